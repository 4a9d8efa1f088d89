// Workloads for test/probes/isolation.test.ts, each on a given CPU:
//   isowork intrude CPU PERIOD_MS HOLD_MS   a resident thread on CPU (SCHED_FIFO 10) that polls
//                                            7 ms of every 8 (absolute timer: it sleeps the last
//                                            ms, which leaves the CPU's other tasks their share
//                                            without the fair server's 50 ms slices) and an
//                                            intruder thread (SCHED_FIFO 50) on the same CPU woken
//                                            every PERIOD_MS (absolute timer) that burns HOLD_MS
//                                            each time; prints "ready RESIDENT_TID INTRUDER_TID",
//                                            runs until killed
//   isowork ipi CPU0 CPU1 MS                 a thread spinning on CPU1 (SCHED_FIFO 10) while the
//                                            main thread on CPU0 calls membarrier(PRIVATE_EXPEDITED)
//                                            for MS milliseconds: one IPI to CPU1 per call while the
//                                            spinner is on it; prints "calls N" at the end
//   isowork udp N                            a UDP socket on 127.0.0.1 with the smallest receive
//                                            buffer that is never read, and N datagrams of 1000
//                                            bytes sent to it; prints "sent N"
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
	perror(what);
	exit(1);
}

static void pin(int cpu) {
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) die("sched_setaffinity");
}

static void fifo(int prio) {
	struct sched_param p = { .sched_priority = prio };
	if (sched_setscheduler(0, SCHED_FIFO, &p)) die("sched_setscheduler");
}

static long long now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void burn_until(long long end) {
	while (now_ns() < end) {
	}
}

static int cpu_arg, period_ms, hold_ms;
static atomic_int resident_tid, intruder_tid;
static atomic_int stop_spin;

static void *resident(void *arg) {
	(void)arg;
	pin(cpu_arg);
	prctl(PR_SET_NAME, "iso_resident");
	fifo(10);
	resident_tid = (int)syscall(SYS_gettid);
	long long t = now_ns();
	for (;;) {
		t += 8000000LL;
		burn_until(t - 1000000LL);
		struct timespec next = { .tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
		}
	}
	return NULL;
}

static void *intruder(void *arg) {
	(void)arg;
	pin(cpu_arg);
	prctl(PR_SET_NAME, "iso_intruder");
	fifo(50);
	intruder_tid = (int)syscall(SYS_gettid);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += period_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
		}
		burn_until(now_ns() + hold_ms * 1000000LL);
	}
	return NULL;
}

static void *spinner(void *arg) {
	(void)arg;
	pin(cpu_arg);
	prctl(PR_SET_NAME, "iso_spinner");
	fifo(10);
	resident_tid = (int)syscall(SYS_gettid);
	while (!atomic_load(&stop_spin)) {
	}
	return NULL;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && !strcmp(argv[1], "intrude")) {
		cpu_arg = atoi(argv[2]);
		period_ms = atoi(argv[3]);
		hold_ms = atoi(argv[4]);
		pthread_t a, b;
		if (pthread_create(&a, NULL, resident, NULL) || pthread_create(&b, NULL, intruder, NULL)) die("pthread_create");
		while (!resident_tid || !intruder_tid) usleep(1000);
		printf("ready %d %d\n", resident_tid, intruder_tid);
		pause();
		return 0;
	}
	if (argc >= 5 && !strcmp(argv[1], "ipi")) {
		int cpu0 = atoi(argv[2]);
		cpu_arg = atoi(argv[3]);
		long long ms = atoll(argv[4]);
		pin(cpu0);
		if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0)) die("membarrier register");
		pthread_t t;
		if (pthread_create(&t, NULL, spinner, NULL)) die("pthread_create");
		while (!resident_tid) usleep(1000);
		usleep(20000); /* the spinner is on its CPU */
		long long end = now_ns() + ms * 1000000LL;
		long calls = 0;
		while (now_ns() < end) {
			if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0)) die("membarrier");
			calls++;
		}
		atomic_store(&stop_spin, 1);
		pthread_join(t, NULL);
		printf("calls %ld\n", calls);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "udp")) {
		long n = atol(argv[2]);
		int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
		if (rx < 0 || tx < 0) die("socket");
		int one = 1;
		if (setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one))) die("SO_RCVBUF");
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(a);
		if (bind(rx, (struct sockaddr *)&a, sizeof(a)) || getsockname(rx, (struct sockaddr *)&a, &len)) die("bind");
		char buf[1000];
		memset(buf, 'x', sizeof(buf));
		long sent = 0;
		for (long i = 0; i < n; i++)
			if (sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&a, sizeof(a)) == (ssize_t)sizeof(buf)) sent++;
		printf("sent %ld\n", sent);
		return 0;
	}
	fprintf(stderr, "usage: isowork intrude CPU PERIOD_MS HOLD_MS | ipi CPU0 CPU1 MS | udp N\n");
	return 2;
}
