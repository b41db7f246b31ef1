/* Token checks of the daemon's server. The cookie is HttpOnly (no script reads it) and
 * SameSite=Strict (no other site's page sends it), so a page elsewhere can neither steal it nor
 * make a browser use it. */
#include "server/auth.h"

#include <stdio.h>
#include <string.h>

static const char LOGIN_PAGE[] =
	"<!doctype html><meta charset=utf-8><title>heapscope: token needed</title>"
	"<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">"
	"<h1>heapscope daemon</h1><p>This dashboard needs its access token. Open the URL that "
	"<code>heapscope daemon</code> printed when it started "
	"(<code>http://HOST:PORT/?token=...</code>); the token is also in the file "
	"<code>token</code> of the daemon's data directory (root only).</p></body>\n";
static const char API_401[] =
	"{\"error\":\"the daemon's token is needed: Authorization: Bearer TOKEN (the file 'token' "
	"in the data directory), or the cookie set by the URL the daemon printed\"}";

int auth_token_equal(const char *s, const char *token)
{
	size_t n = strlen(token), m = s ? strlen(s) : 0;
	unsigned char diff = (unsigned char)(n != m);

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(token[i] ^ (i < m ? s[i] : 0));
	return diff == 0;
}

int auth_request_ok(struct MHD_Connection *c, const char *token)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, AUTH_COOKIE);

	if (h && !strncmp(h, "Bearer ", 7) && auth_token_equal(h + 7, token))
		return 1;
	return cookie && auth_token_equal(cookie, token);
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, const char *type,
			     const char *body, const char *cookie)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (cookie) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, cookie);
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, "/");
	} else if (status == 401) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"heapscope\"");
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result auth_login(struct MHD_Connection *c, const char *token)
{
	char cookie[256];

	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict", AUTH_COOKIE,
		 token);
	return queue(c, 303, "text/plain; charset=utf-8", "logged in: see /\n", cookie);
}

enum MHD_Result auth_refuse(struct MHD_Connection *c, int api)
{
	return api ? queue(c, 401, "application/json", API_401, NULL) :
		     queue(c, 401, "text/html; charset=utf-8", LOGIN_PAGE, NULL);
}
