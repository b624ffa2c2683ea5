/* A 1 GiB initialised array: the assembler must write all of it into the object file. */
static char big[1UL << 30] = {1};
int main(void) { return big[12345]; }
