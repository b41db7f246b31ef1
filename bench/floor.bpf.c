/* The benchmark floor: counts hits on heapscope's probe addresses and does nothing else. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* Index = the link's cookie: 0 for entry probes, 1 for return probes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

SEC("uprobe")
int count_hit(struct pt_regs *ctx)
{
	__u32 key = bpf_get_attach_cookie(ctx) ? 1 : 0;
	__u64 *n = bpf_map_lookup_elem(&hits, &key);

	if (n)
		(*n)++;
	return 0;
}
