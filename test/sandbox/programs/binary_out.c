/* Writes every byte value and invalid UTF-8 to stdout, and the same bytes reversed to stderr. */
#include <unistd.h>

int main(void) {
  unsigned char buf[256 + 12];
  for (int i = 0; i < 256; i++) buf[i] = (unsigned char)i;
  /* lone continuation bytes, an overlong NUL, a UTF-16 surrogate, a truncated 4-byte sequence */
  const unsigned char bad[12] = {0x80, 0xbf, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0xff, 0xfe};
  for (int i = 0; i < 12; i++) buf[256 + i] = bad[i];
  unsigned char rev[sizeof buf];
  for (size_t i = 0; i < sizeof buf; i++) rev[i] = buf[sizeof buf - 1 - i];
  write(1, buf, sizeof buf);
  write(2, rev, sizeof rev);
  return 0;
}
