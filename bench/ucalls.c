/* The uprobe bench's load: N calls of malloc(100)/free (kept from being elided) in a tight loop. */
#include <stdlib.h>

static void *volatile keep;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;

	for (long i = 0; i < n; i++) {
		keep = malloc(100);
		free(keep);
	}
	return 0;
}
