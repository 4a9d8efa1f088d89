/* Open storm for test/probes/storm.test.ts: prints "ready", waits for one line on stdin (so the
 * probe can be attached with this pid as its filter after the loader's own opens), then makes
 * exactly N open syscalls as fast as it can and prints "done <N> <failures>".
 * usage: storm N PATH  -- opens PATH read-only N times (openat), closing each fd it gets. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char line[16];
	long n, i, failed = 0;
	int fd;

	if (argc != 3)
		return 2;
	n = atol(argv[1]);
	printf("ready\n");
	fflush(stdout);
	if (read(0, line, sizeof(line)) <= 0)
		return 3;
	for (i = 0; i < n; i++) {
		fd = open(argv[2], O_RDONLY);
		if (fd >= 0)
			close(fd);
		else
			failed++;
	}
	printf("done %ld %ld\n", n, failed);
	fflush(stdout);
	return 0;
}
