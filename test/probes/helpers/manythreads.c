/* manythreads N: starts N threads that wait on one condition variable. Each line "go" on stdin
 * wakes every thread once (a broadcast); when all N have run after it, prints "woke K" (K = the
 * round). When every thread waits: one line "t TID" per thread, then "ready". Small stacks: 10,000 threads take 640 MiB of
 * address space and little memory. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static long round_no, woke, waiting;
static pid_t *tids;

static void *worker(void *arg)
{
	long i = (long)arg, seen = 0;

	tids[i] = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&mu);
	for (;;) {
		waiting++;
		pthread_cond_broadcast(&done);
		while (round_no == seen)
			pthread_cond_wait(&go, &mu);
		seen = round_no;
		waiting--;
		woke++;
		pthread_cond_broadcast(&done);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	pthread_attr_t attr;
	char line[64];

	if (n <= 0)
		return 2;
	tids = calloc(n, sizeof(*tids));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, &attr, worker, (void *)i)) {
			perror("pthread_create");
			return 1;
		}
	}
	pthread_mutex_lock(&mu);
	while (waiting < n)
		pthread_cond_wait(&done, &mu);
	pthread_mutex_unlock(&mu);
	for (long i = 0; i < n; i++)
		printf("t %d\n", tids[i]);
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "go", 2))
			continue;
		pthread_mutex_lock(&mu);
		round_no++;
		woke = 0;
		pthread_cond_broadcast(&go);
		while (woke < n || waiting < n)
			pthread_cond_wait(&done, &mu);
		pthread_mutex_unlock(&mu);
		printf("woke %ld\n", round_no);
		fflush(stdout);
	}
	return 0;
}
