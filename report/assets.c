/* The dashboard files (web/) embedded into the binary at build time, looked up by exact name. */
#include "report/assets.h"

#include <string.h>

/* Generated into build/web_assets.S by server/gen_assets.sh (see the Makefile). */
extern const struct asset web_assets[] __attribute__((visibility("hidden")));
extern const size_t web_assets_count __attribute__((visibility("hidden")));

const struct asset *assets_find(const char *name)
{
	for (size_t i = 0; i < web_assets_count; i++)
		if (!strcmp(web_assets[i].name, name))
			return &web_assets[i];
	return NULL;
}

const struct asset *assets_at(size_t i)
{
	return i < web_assets_count ? &web_assets[i] : NULL;
}
