/* Starts sleeping threads until the pids cgroup refuses; threads count against the same limit. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (int n = 0; n < 100000; n++) {
    pthread_t t;
    int err = pthread_create(&t, &attr, sleeper, NULL);
    if (err != 0) {
      printf("pthread_create failed after %d threads: %s\n", n, strerrorname_np(err));
      fflush(stdout);
      _exit(0);
    }
  }
  puts("no thread limit");
  fflush(stdout);
  _exit(1);
}
