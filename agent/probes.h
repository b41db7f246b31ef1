/* Finding the allocator of a process and attaching heapscope's probes to it, each entry probe
 * placed on the cheapest safe instruction of the prologue. */
#ifndef HEAPSCOPE_PROBES_H
#define HEAPSCOPE_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct heapscope_bpf;
struct obj_list;
struct store;
struct probes;

/* The object that provides malloc to a process whose objects are objs (load order, executable
 * first): the executable if it defines malloc (static or custom allocator), else a preloaded
 * or linked replacement (jemalloc, tcmalloc, mimalloc...), else libc. Writes its path to out;
 * -ENOENT with a message in err when nothing defines malloc. */
int probes_find_allocator(const struct obj_list *objs, char *out, size_t len, char *err,
			  size_t errlen);

/* Attaches every allocator probe for pid only: the malloc family in allocator, C++'s operator
 * new/delete in the libstdc++ among objs (or the system one, for a later dlopen), and ld.so's
 * _dl_debug_state. 0 or -errno with a one-line reason in err. Owns links until probes_free. */
int probes_attach(struct heapscope_bpf *skel, pid_t pid, const char *allocator,
		  const struct obj_list *objs, int sampled, struct probes **out, char *err,
		  size_t errlen);

/* The attach type a program must be loaded with to be used in probes_link_multi (the UAPI
 * headers of Debian 12 predate it). */
#define PROBES_UPROBE_MULTI 48
#define PROBES_UPROBE_SESSION 57 /* kernel >= 6.13 */
#define PROBES_SESSION 2	 /* probes_link_multi's retprobe: a session (entry and return) */

/* One uprobe_multi link (kernel 6.6+; libbpf 1.1 has no API for it): prog_fd on n file offsets
 * of path, with their cookies, for pid only; retprobe: return probes. The link's fd (close it
 * to detach) or -errno. */
int probes_link_multi(int prog_fd, pid_t pid, const char *path, const uint64_t *offsets,
		      const uint64_t *cookies, uint32_t n, int retprobe);

/* Records where each probe went and why in the store's probes table. 0 or -errno. */
int probes_store(const struct probes *p, struct store *st);

/* Prepares the loaded-later programs for uprobe_multi links; call between open and load.
 * 0 or -errno. */
int probes_set_attach_type(struct heapscope_bpf *skel, int sampled);

/* Detaches everything, once no program is running any more (a grace period). Accepts NULL. */
void probes_free(struct probes *p);

/* The same in the background, for the probes of a process that is gone. Accepts NULL. */
void probes_free_later(struct probes *p);

/* Detaches the n sets at once (their grace periods overlap) and returns when all are done;
 * every ps[i] (NULL accepted) is freed and set to NULL. */
void probes_free_all(struct probes **ps, int n);

#endif
