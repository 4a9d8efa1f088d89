// Known stacks built the way distributions build (gcc -O2, no frame pointers anywhere, .eh_frame
// present), for the CFI unwinding tests (test/probes/unwind.test.ts):
//   unwindwork burn SECS   main -> mid_b -> leaf_a, on the CPU for SECS seconds
//   unwindwork sleep N     main -> sleeper_fn -> nanosleep() (Debian's libc) 20 ms, N times
// Prints "ready" and waits for a line on stdin before it works; exits 0 when done.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile unsigned long sink;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline, noipa)) void leaf_a(void)
{
	for (unsigned long i = 0; i < 20000000UL; i++)
		sink += i;
}

__attribute__((noinline, noipa)) void mid_b(void)
{
	leaf_a();
	sink++; /* not a tail call */
}

__attribute__((noinline, noipa)) void sleeper_fn(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	sink++; /* not a tail call */
}

int main(int argc, char **argv)
{
	char line[16];

	if (argc < 3)
		return 2;
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 3;
	if (strcmp(argv[1], "burn") == 0) {
		double end = now() + atof(argv[2]);
		while (now() < end)
			mid_b();
	} else if (strcmp(argv[1], "sleep") == 0) {
		int n = atoi(argv[2]);
		for (int i = 0; i < n; i++)
			sleeper_fn();
	} else {
		return 2;
	}
	return 0;
}
