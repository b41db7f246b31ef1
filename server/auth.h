/* The daemon's access token on each request: "Authorization: Bearer TOKEN" (scripts, ctl) or the
 * cookie a browser gets by visiting the URL the daemon printed (/?token=TOKEN). */
#ifndef HEAPSCOPE_SERVER_AUTH_H
#define HEAPSCOPE_SERVER_AUTH_H

#include <microhttpd.h>

#define AUTH_COOKIE "heapscope_token"

/* 1 if the request on c carries token (header or cookie), compared in constant time. */
int auth_request_ok(struct MHD_Connection *c, const char *token);
/* 1 if s equals token, in time independent of where they differ. */
int auth_token_equal(const char *s, const char *token);
/* The 303 to "/" that sets the cookie (HttpOnly, SameSite=Strict, Path=/), queued on c. */
enum MHD_Result auth_login(struct MHD_Connection *c, const char *token);
/* 401: a small page for a browser (what to open), {"error"} for the API. */
enum MHD_Result auth_refuse(struct MHD_Connection *c, int api);

#endif
