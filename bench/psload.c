// psload: bounded loads for `npm run bench`, compiled by the bench at run time (cc -O2).
// Every mode stops by itself: a fixed count of operations, and an alarm() as a backstop.
// Prints one line: "ops=N ns=T ns_per_op=X" (wall time of the loop, CLOCK_MONOTONIC).
//
//   psload pipe N            N round trips of 4 bytes between two processes over two pipes
//   psload open N PATH       N open(PATH, O_RDONLY) + close
//   psload exec N            N fork + execve("/bin/true") + waitpid
//   psload connect N         N loopback TCP connect + accept + close (RST: no TIME_WAIT left)
//   psload threads N         N short-lived threads (each exits at once), at most 500 alive at a time
//   psload storm SECONDS PATH  all of the above at once (but threads), each in its own process, for SECONDS
//   psload sleepers N SECONDS threads|procs  N extra tasks that sleep (threads of this process, or
//                            child processes) for SECONDS, then exit; prints "ready N" when all are
//                            made (the consoles-at-rest table's extra tasks; ops = N)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BACKSTOP_S 300

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "psload: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* deadline_ns > 0: run until then instead of n times. Returns the operations done. */
static unsigned long do_pipe(unsigned long n, double deadline_ns)
{
	int a[2], b[2];
	char buf[4] = "ping";
	unsigned long i;
	pid_t pid;

	if (pipe(a) || pipe(b))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		while (read(a[0], buf, 4) == 4)
			if (write(b[1], buf, 4) != 4)
				break;
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	for (i = 0; deadline_ns ? (i & 63) || now_ns() < deadline_ns : i < n; i++) {
		if (write(a[1], buf, 4) != 4 || read(b[0], buf, 4) != 4)
			die("pipe ping-pong");
	}
	close(a[1]);
	waitpid(pid, NULL, 0);
	return i;
}

static unsigned long do_open(unsigned long n, const char *path, double deadline_ns)
{
	unsigned long i;
	int fd;

	for (i = 0; deadline_ns ? (i & 63) || now_ns() < deadline_ns : i < n; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			die(path);
		close(fd);
	}
	return i;
}

static unsigned long do_exec(unsigned long n, double deadline_ns)
{
	char *const argv[] = { "true", NULL };
	char *const envp[] = { NULL };
	unsigned long i;
	pid_t pid;

	for (i = 0; deadline_ns ? now_ns() < deadline_ns : i < n; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve("/bin/true", argv, envp);
			_exit(127);
		}
		if (waitpid(pid, NULL, 0) < 0)
			die("waitpid");
	}
	return i;
}

static unsigned long do_connect(unsigned long n, double deadline_ns)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	socklen_t len = sizeof(addr);
	unsigned long i;
	int l, c, s;

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof(addr)) || listen(l, 128) ||
	    getsockname(l, (struct sockaddr *)&addr, &len))
		die("listen on 127.0.0.1");
	for (i = 0; deadline_ns ? (i & 15) || now_ns() < deadline_ns : i < n; i++) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof(addr)))
			die("connect 127.0.0.1");
		s = accept(l, NULL, NULL);
		if (s < 0)
			die("accept");
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
		close(c);
		close(s);
	}
	close(l);
	return i;
}

static void *thread_exits(void *arg)
{
	return arg;
}

/* n threads that exit at once, started in batches of up to 500 and joined batch by batch. */
static unsigned long do_threads(unsigned long n)
{
	pthread_t t[500];
	unsigned long done = 0;

	while (done < n) {
		unsigned long k, batch = n - done < 500 ? n - done : 500;
		for (k = 0; k < batch; k++)
			if (pthread_create(&t[k], NULL, thread_exits, NULL))
				die("pthread_create");
		for (k = 0; k < batch; k++)
			pthread_join(t[k], NULL);
		done += batch;
	}
	return done;
}

static unsigned int sleep_for;

static void *thread_sleeps(void *arg)
{
	(void)arg;
	sleep(sleep_for);
	return NULL;
}

/* N sleeping tasks for `seconds`: threads with small stacks (16 KiB: they only sleep), or child
 * processes that pause() until their alarm. The caller (the bench) kills the process group at the
 * end anyway; the alarms are the backstop. */
static unsigned long do_sleepers(unsigned long n, unsigned int seconds, int procs)
{
	unsigned long k;

	sleep_for = seconds;
	alarm(seconds + 30); /* this mode's own backstop, past BACKSTOP_S when asked */
	if (procs) {
		for (k = 0; k < n; k++) {
			pid_t p = fork();
			if (p < 0)
				die("fork");
			if (p == 0) {
				alarm(seconds);
				for (;;)
					pause();
			}
		}
	} else {
		pthread_attr_t a;
		pthread_t t;

		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 16384);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		for (k = 0; k < n; k++)
			if (pthread_create(&t, &a, thread_sleeps, NULL))
				die("pthread_create");
	}
	printf("ready %lu\n", n);
	fflush(stdout);
	sleep(seconds);
	if (procs)
		while (wait(NULL) > 0)
			;
	return n;
}

static unsigned long do_storm(double seconds, const char *path)
{
	double deadline = now_ns() + seconds * 1e9;
	unsigned long total = 0;
	pid_t pids[4];
	int k, status;

	for (k = 0; k < 4; k++) {
		pids[k] = fork();
		if (pids[k] < 0)
			die("fork");
		if (pids[k] == 0) {
			switch (k) {
			case 0: do_pipe(0, deadline); break;
			case 1: do_open(0, path, deadline); break;
			case 2: do_exec(0, deadline); break;
			default: do_connect(0, deadline); break;
			}
			_exit(0);
		}
	}
	for (k = 0; k < 4; k++)
		if (waitpid(pids[k], &status, 0) > 0)
			total++;
	return total;
}

int main(int argc, char **argv)
{
	unsigned long n, ops;
	double t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: psload pipe|open|exec|connect|threads N [PATH] | storm SECONDS PATH\n");
		return 2;
	}
	alarm(BACKSTOP_S);
	n = strtoul(argv[2], NULL, 10);
	t0 = now_ns();
	if (!strcmp(argv[1], "pipe"))
		ops = do_pipe(n, 0);
	else if (!strcmp(argv[1], "open") && argc > 3)
		ops = do_open(n, argv[3], 0);
	else if (!strcmp(argv[1], "exec"))
		ops = do_exec(n, 0);
	else if (!strcmp(argv[1], "connect"))
		ops = do_connect(n, 0);
	else if (!strcmp(argv[1], "threads"))
		ops = do_threads(n);
	else if (!strcmp(argv[1], "sleepers") && argc > 4)
		ops = do_sleepers(n, (unsigned int)strtoul(argv[3], NULL, 10), !strcmp(argv[4], "procs"));
	else if (!strcmp(argv[1], "storm") && argc > 3)
		ops = do_storm(strtod(argv[2], NULL), argv[3]);
	else {
		fprintf(stderr, "psload: unknown mode %s\n", argv[1]);
		return 2;
	}
	t1 = now_ns();
	printf("ops=%lu ns=%.0f ns_per_op=%.1f\n", ops, t1 - t0, ops ? (t1 - t0) / ops : 0.0);
	return 0;
}
