/* `heapscope version`: the version, the libraries it runs with and what this kernel offers. */
#include "agent/version.h"

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>
#include <elfutils/libdwfl.h>

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* The kernel's release as major * 1000 + minor ("6.13.2-amd64": 6013), 0 if unreadable. */
static int kernel_release(char *buf, size_t len)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u)) {
		snprintf(buf, len, "unknown");
		return 0;
	}
	snprintf(buf, len, "%s", u.release);
	if (sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major * 1000 + minor;
}

static const char *yes_no(int ok)
{
	return ok ? "yes" : "no";
}

int version_main(int argc, char **argv)
{
	char release[128];
	int kernel = kernel_release(release, sizeof(release));
	int btf = access(VMLINUX_BTF, R_OK) == 0;

	if (argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h")) {
		fprintf(stderr, "heapscope: version takes no arguments ('%s')\n", argv[1]);
		return 2;
	}
	printf("heapscope %s\n", HEAPSCOPE_VERSION);
	printf("libbpf %s (built with %d.%d), libdw %s\n", libbpf_version_string() + 1, /* "v1.1" */
	       LIBBPF_MAJOR_VERSION, LIBBPF_MINOR_VERSION, dwfl_version(NULL));
	printf("kernel %s\n", release);
	printf("  BTF (" VMLINUX_BTF "): %s\n", yes_no(btf));
	/* What the BPF programs need (see agent/bpfside.c's load error). */
	printf("  record, exact (uprobe_multi, Linux >= 6.6): %s\n", yes_no(btf && kernel >= 6006));
	printf("  record --sample (uprobe sessions, Linux >= 6.13): %s\n",
	       yes_no(btf && kernel >= 6013));
	printf("  running as root (record and daemon need root, or CAP_BPF and CAP_PERFMON): %s\n",
	       yes_no(geteuid() == 0));
	return 0;
}
