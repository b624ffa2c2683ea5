/* Includes itself until the preprocessor's nesting limit. */
#include "compile_include_self.c"
