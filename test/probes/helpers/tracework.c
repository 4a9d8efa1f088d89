/* Known work for test/probes/trace.test.ts. Prints "ready", waits for one line on stdin (so the
 * probe can be attached, with this pid as its filter, after the loader's own syscalls), does
 * exactly what its mode says, prints "done" and exits.
 *   tracework fork N        fork N children that exit at once (N sched_process_fork in this process)
 *   tracework read N PATH   N read(2) calls of 4096 bytes on PATH (lseek back to 0 before each)
 *   tracework open N PATH   N open(2) calls of PATH (openat), each fd closed
 *   tracework syscalls N    each syscall of the list below N times, with arguments that fail at once
 *   tracework names         print the names of that list, one per line, and exit */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct call {
	const char *name;
	long nr;
};

/* Each with fd -1 (EBADF) or a NULL pointer (EFAULT) or harmless: nothing changes. */
static const struct call calls[] = {
	{ "read", SYS_read }, { "write", SYS_write }, { "close", SYS_close }, { "newfstat", SYS_fstat },
	{ "lseek", SYS_lseek }, { "ioctl", SYS_ioctl }, { "pread64", SYS_pread64 }, { "pwrite64", SYS_pwrite64 },
	{ "readv", SYS_readv }, { "writev", SYS_writev }, { "dup", SYS_dup }, { "fcntl", SYS_fcntl },
	{ "flock", SYS_flock }, { "fsync", SYS_fsync }, { "fdatasync", SYS_fdatasync }, { "ftruncate", SYS_ftruncate },
	{ "getdents64", SYS_getdents64 }, { "fchdir", SYS_fchdir }, { "fchmod", SYS_fchmod }, { "fchown", SYS_fchown },
	{ "fstatfs", SYS_fstatfs }, { "readahead", SYS_readahead }, { "fsetxattr", SYS_fsetxattr }, { "fgetxattr", SYS_fgetxattr },
	{ "flistxattr", SYS_flistxattr }, { "fremovexattr", SYS_fremovexattr }, { "epoll_ctl", SYS_epoll_ctl }, { "epoll_wait", SYS_epoll_wait },
	{ "sendfile64", SYS_sendfile }, { "connect", SYS_connect }, { "accept", SYS_accept }, { "sendto", SYS_sendto },
	{ "recvfrom", SYS_recvfrom }, { "sendmsg", SYS_sendmsg }, { "recvmsg", SYS_recvmsg }, { "shutdown", SYS_shutdown },
	{ "bind", SYS_bind }, { "listen", SYS_listen }, { "getsockname", SYS_getsockname }, { "getpeername", SYS_getpeername },
	{ "setsockopt", SYS_setsockopt }, { "getsockopt", SYS_getsockopt }, { "getpid", SYS_getpid }, { "getppid", SYS_getppid },
	{ "getuid", SYS_getuid }, { "geteuid", SYS_geteuid }, { "getgid", SYS_getgid }, { "getegid", SYS_getegid },
	{ "gettid", SYS_gettid }, { "getpgrp", SYS_getpgrp }, { "sched_yield", SYS_sched_yield }, { "fallocate", SYS_fallocate },
	{ "sync_file_range", SYS_sync_file_range }, { "timerfd_gettime", SYS_timerfd_gettime }, { "inotify_rm_watch", SYS_inotify_rm_watch }, { "fadvise64", SYS_fadvise64 },
	{ "accept4", SYS_accept4 }, { "recvmmsg", SYS_recvmmsg }, { "sendmmsg", SYS_sendmmsg }, { "syncfs", SYS_syncfs },
	{ "preadv", SYS_preadv }, { "pwritev", SYS_pwritev }, { "newfstatat", SYS_newfstatat }, { "copy_file_range", SYS_copy_file_range },
	{ "getcwd", SYS_getcwd }, { "newuname", SYS_uname }, { "sysinfo", SYS_sysinfo }, { "times", SYS_times },
};

int main(int argc, char **argv)
{
	char line[16], buf[4096];
	long n, i;
	size_t k;
	int fd = -1;

	if (argc == 2 && !strcmp(argv[1], "names")) {
		for (k = 0; k < sizeof(calls) / sizeof(calls[0]); k++)
			printf("%s\n", calls[k].name);
		return 0;
	}
	if (argc < 3)
		return 2;
	n = atol(argv[2]);
	if (!strcmp(argv[1], "read")) {
		if (argc != 4 || (fd = open(argv[3], O_RDONLY)) < 0)
			return 2;
	}
	printf("ready\n");
	fflush(stdout);
	if (read(0, line, sizeof(line)) <= 0)
		return 3;
	for (i = 0; i < n; i++) {
		if (!strcmp(argv[1], "fork")) {
			pid_t p = fork();
			if (p == 0)
				_exit(0);
			if (p < 0 || waitpid(p, NULL, 0) != p)
				return 4;
		} else if (!strcmp(argv[1], "read")) {
			lseek(fd, 0, SEEK_SET);
			if (read(fd, buf, sizeof(buf)) < 0)
				return 4;
		} else if (!strcmp(argv[1], "open") && argc == 4) {
			int f = open(argv[3], O_RDONLY);
			if (f >= 0)
				close(f);
		} else if (!strcmp(argv[1], "syscalls")) {
			for (k = 0; k < sizeof(calls) / sizeof(calls[0]); k++) {
				if (calls[k].nr == SYS_getcwd || calls[k].nr == SYS_uname || calls[k].nr == SYS_sysinfo)
					syscall(calls[k].nr, NULL, 0); /* EFAULT / ERANGE */
				else if (calls[k].nr == SYS_times)
					syscall(calls[k].nr, NULL);
				else
					syscall(calls[k].nr, -1L, 0L, 0L, 0L, 0L, 0L);
			}
		} else {
			return 2;
		}
	}
	printf("done\n");
	fflush(stdout);
	return 0;
}
