// Known stacks for the stack tests, built with frame pointers (-O0 -fno-omit-frame-pointer).
//   stackwork burn SECS   main -> mid_b -> leaf_a, on the CPU for SECS seconds
//   stackwork sleep N     sleeper_fn sleeps 20 ms N times (the syscall made from sleeper_fn
//                         itself: Debian's libc has no frame pointers, so through its wrapper the
//                         caller of nanosleep would be skipped by a frame-pointer walk)
// Prints "ready" and waits for a line on stdin before it works; exits 0 when done.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

volatile unsigned long sink;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

__attribute__((noinline)) void leaf_a(void)
{
	for (unsigned long i = 0; i < 20000000UL; i++)
		sink += i;
}

__attribute__((noinline)) void mid_b(void)
{
	leaf_a();
	sink++; /* not a tail call */
}

__attribute__((noinline)) void sleeper_fn(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_nanosleep), "D"(&ts), "S"(0L) : "rcx", "r11", "memory");
	(void)ret;
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
