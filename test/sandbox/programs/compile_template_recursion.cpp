// Unbounded template instantiation: stopped by the compiler's depth limit, or by the stack when the
// depth limit is lifted with -ftemplate-depth.
template <unsigned N> struct Deep {
  static const unsigned value = Deep<N + 1>::value + 1;
};
unsigned answer = Deep<0>::value;
