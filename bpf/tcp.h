/* tcp feed: shared between bpf/tcp.bpf.c and src/probes/tcp.ts. Data only. */
#ifndef PERFSCOPE_TCP_H
#define PERFSCOPE_TCP_H

#define TCP_COMM_LEN 16

#define TCP_KIND_CONNECT 1
#define TCP_KIND_ACCEPT  2

/* saddr/sport are always this host's end of the connection (the socket's local address),
 * daddr/dport the peer, for both kinds. Ports in host byte order; addresses in network order
 * (IPv4: the first 4 bytes). */
struct tcp_event {
	__u64 ts_ns;  /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__u32 pid;    /* tgid of the process that called connect()/accept() */
	__u32 tid;
	__u32 uid;
	__u32 kind;   /* TCP_KIND_* */
	__u32 family; /* 4 or 6 */
	__u32 sport;
	__u32 dport;
	__u32 pad;
	__u64 cgroup; /* v2 cgroup id of the task (bpf_get_current_cgroup_id) */
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[TCP_COMM_LEN];
};

#endif
