/* A test program of known user-space calls for the trace probe's uprobes: prints "ready", waits
 * for a line on stdin (the probe attaches meanwhile), does the calls, exits 0 (_exit: no stdio
 * work after).
 *   malloc N  -> N malloc(100) and N malloc(5000) (kept, then freed: the compiler cannot elide them)
 *   strlen N  -> N calls of strlen through a pointer (the IFUNC's implementation)
 *   sleep N   -> N calls of sleep10(), a function of this program that sleeps 10 ms
 *   str N     -> N calls of pscstr("pscstring-42"), then one with a string of 300 'L's, then one
 *                with an escape sequence in it ("\x1b[31mred"), then one with NULL (--print's
 *                u:PROGRAM:pscstr:arg1:str)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) void sleep10(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	__asm__ volatile("" ::: "memory");
}

/* noipa: called as it is (no clone with the constant string folded in, no inlining). */
__attribute__((noipa)) size_t pscstr(const char *s)
{
	size_t n = 0;

	while (s && s[n])
		n++;
	return n;
}

static void *volatile keep[4096];
size_t (*volatile strlen_p)(const char *) = strlen;
static volatile char text[32] = "perfscope";

int main(int argc, char **argv)
{
	char line[16];
	int n = argc > 2 ? atoi(argv[2]) : 0;

	if (argc < 3 || n < 0 || n > 2048)
		return 2;
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 3;
	if (strcmp(argv[1], "malloc") == 0) {
		for (int i = 0; i < n; i++) {
			keep[2 * i] = malloc(100);
			keep[2 * i + 1] = malloc(5000);
		}
		for (int i = 0; i < 2 * n; i++)
			free(keep[i]);
	} else if (strcmp(argv[1], "strlen") == 0) {
		size_t sum = 0;
		for (int i = 0; i < n; i++)
			sum += strlen_p((const char *)text);
		if (sum != (size_t)n * 9)
			_exit(4);
	} else if (strcmp(argv[1], "str") == 0) {
		static char longer[301];
		size_t sum = 0;

		memset(longer, 'L', 300);
		for (int i = 0; i < n; i++)
			sum += pscstr("pscstring-42");
		sum += pscstr(longer);
		sum += pscstr("\x1b[31mred");
		sum += pscstr(NULL);
		if (sum != (size_t)n * 12 + 300 + 8)
			_exit(4);
	} else if (strcmp(argv[1], "sleep") == 0) {
		for (int i = 0; i < n; i++)
			sleep10();
	} else {
		_exit(2);
	}
	_exit(0);
}
