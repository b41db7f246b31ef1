/* What the analysis files of store/ share about an open reader; not part of the public face. */
#ifndef HEAPSCOPE_STORE_READER_PRIV_H
#define HEAPSCOPE_STORE_READER_PRIV_H

#include <sqlite3.h>
#include <stdint.h>

struct store_reader {
	sqlite3 *db;
	char errmsg[512];
};

/* Prepares sql; -EIO with the reason kept in r->errmsg. */
int rd_prepare(struct store_reader *r, const char *sql, sqlite3_stmt **st);

/* The statement's last step result as 0 or -EIO (SQLITE_DONE/ROW are success). */
int rd_done(struct store_reader *r, sqlite3_stmt *st, int rc);

/* A copy of column col's text, NULL for NULL; *err = -ENOMEM when out of memory. */
char *rd_text(sqlite3_stmt *st, int col, int *err);

/* One integer from a query without parameters; dflt when it yields no row or NULL. */
int64_t rd_scalar(struct store_reader *r, const char *sql, int64_t dflt);

/* Whether the recorder has written site_stats yet: before its first publish, a live recording's
 * counts come from the allocation rows. */
int rd_site_stats_written(struct store_reader *r);

#endif
