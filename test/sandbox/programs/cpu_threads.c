/* Four threads spin at once: CPU time must be summed over threads. */
#include <pthread.h>

static void *spin(void *arg) {
  (void)arg;
  volatile unsigned long n = 0;
  for (;;) n++;
  return NULL;
}

int main(void) {
  pthread_t t;
  for (int i = 0; i < 3; i++) pthread_create(&t, NULL, spin, NULL);
  spin(NULL);
  return 0;
}
