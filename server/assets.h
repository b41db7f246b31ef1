/* The dashboard page for the server; the embedded web/ files themselves are report/assets.h's
 * (the HTML report inlines the same set). */
#ifndef HEAPSCOPE_SERVER_ASSETS_H
#define HEAPSCOPE_SERVER_ASSETS_H

#include "report/assets.h"

/* The dashboard page: the embedded web/index.html, else a built-in placeholder. Never NULL. */
const struct asset *assets_index(void);

#endif
