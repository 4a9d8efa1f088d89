// The failed-exec flood of issue 24: execve("/nonexistent/x", argv) in a loop, argv being 20
// arguments of 127 bytes 0xff each (each escapes to \xff: ~14 KB of JSON per event), for the
// number of seconds given (argv[1]); then it prints how many execve calls it made and exits 0.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  double secs = argc > 1 ? atof(argv[1]) : 4;
  static char args[20][128];
  char *av[21];
  for (int i = 0; i < 20; i++) {
    memset(args[i], 0xff, 127);
    args[i][127] = 0;
    av[i] = args[i];
  }
  av[20] = NULL;
  char *envp[] = {NULL};
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (unsigned long n = 0;; n++) {
    execve("/nonexistent/x", av, envp);
    if ((n & 255) == 0) {
      clock_gettime(CLOCK_MONOTONIC, &t);
      if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= secs) {
        printf("%lu\n", n + 1);
        return 0;
      }
    }
  }
}
