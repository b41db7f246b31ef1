/* The recording file's schema: creation, version stamp and the check that refuses other versions. */
#ifndef HEAPSCOPE_STORE_SCHEMA_H
#define HEAPSCOPE_STORE_SCHEMA_H

#include <sqlite3.h>

/* Stored in PRAGMA user_version; a file with another value is refused. */
#define STORE_SCHEMA_VERSION 6

/* The recorder's timeline samples (table timeline) are this far apart. */
#define STORE_TIMELINE_INTERVAL_NS 100000000LL

/* Creates every table of an empty database and stamps the version. 0 or -errno;
 * on failure *errmsg (owned by the caller, may be NULL) says why. */
int schema_create(sqlite3 *db, char **errmsg);

/* 0 when the file carries STORE_SCHEMA_VERSION, -EPROTO (another version) or -ENOTSUP (not a
 * heapscope file) otherwise; *found gets the version read. */
int schema_check(sqlite3 *db, int *found);

#endif
