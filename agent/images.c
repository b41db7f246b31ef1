/* The table of live images: a small array (at most one per BPF slot), searched linearly. */
#include <errno.h>
#include <stdlib.h>

#include "agent/images.h"
#include "agent/probes.h"
#include "agent/stacks.h"
#include "agent/symbolize.h"

struct images {
	struct image **live; /* [count] */
	int count;
	uint32_t nslots;
	unsigned char *slot_used; /* [nslots] */
	int64_t next_id;
};

int images_new(uint32_t nslots, struct images **out)
{
	struct images *im = calloc(1, sizeof(*im));

	if (!im)
		return -ENOMEM;
	im->live = calloc(nslots, sizeof(*im->live));
	im->slot_used = calloc(nslots, 1);
	if (!im->live || !im->slot_used) {
		images_free(im);
		return -ENOMEM;
	}
	im->nslots = nslots;
	*out = im;
	return 0;
}

void images_free(struct images *im)
{
	if (!im)
		return;
	while (im->count)
		images_remove(im, im->live[im->count - 1]);
	free(im->live);
	free(im->slot_used);
	free(im);
}

struct image *images_add(struct images *im, pid_t pid, pid_t ppid)
{
	struct image *img;
	uint32_t slot = 0;

	while (slot < im->nslots && im->slot_used[slot])
		slot++;
	if (slot == im->nslots || !(img = calloc(1, sizeof(*img))))
		return NULL;
	img->id = ++im->next_id;
	img->heap_proc = img->id;
	img->exit_code = -1;
	img->pid = pid;
	img->ppid = ppid;
	img->slot = slot;
	im->slot_used[slot] = 1;
	im->live[im->count++] = img;
	return img;
}

/* The newest image of pid: after an exec the old one may linger until its events are in. */
struct image *images_find(const struct images *im, pid_t pid)
{
	for (int i = im->count - 1; i >= 0; i--)
		if (im->live[i]->pid == pid)
			return im->live[i];
	return NULL;
}

void images_remove(struct images *im, struct image *img)
{
	int i = 0;

	while (i < im->count && im->live[i] != img)
		i++;
	if (i == im->count)
		return;
	for (; i + 1 < im->count; i++)
		im->live[i] = im->live[i + 1];
	im->count--;
	im->slot_used[img->slot] = 0;
	probes_free_later(img->probes); /* the process is gone, or exec'd with new probes */
	stacks_space_free(img->space);
	sym_close(img->sym);
	target_free(&img->t);
	free(img);
}

int images_count(const struct images *im)
{
	return im->count;
}

struct image *images_at(const struct images *im, int i)
{
	return i >= 0 && i < im->count ? im->live[i] : NULL;
}
