/* Which Host and Origin headers the server answers: its guard against DNS rebinding and against
 * pages of other sites reading the API. */
#include "server/hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_MAX_LEN 253 /* a DNS name */

/* A numeric address (IPv4, or IPv6 without brackets): its family and bytes, or 0. */
static int numeric(const char *name, unsigned char addr[16])
{
	if (inet_pton(AF_INET, name, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, name, addr) == 1)
		return AF_INET6;
	return 0;
}

static int loopback(int family, const unsigned char *a)
{
	static const unsigned char v6_lo[16] = { [15] = 1 };
	static const unsigned char v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET)
		return a[0] == 127;
	return !memcmp(a, v6_lo, 16) || (!memcmp(a, v4_mapped, 12) && a[12] == 127);
}

/* "NAME[:PORT]" or "[V6][:PORT]" into name without brackets; 0 or -EINVAL. */
static int split(const char *host, char *name, size_t len)
{
	const char *port, *end;
	size_t n;

	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end)
			return -EINVAL;
		host++;
		n = (size_t)(end - host);
		port = end + 1;
	} else {
		n = strcspn(host, ":");
		port = host + n;
	}
	if (*port && (*port != ':' || !port[1] || strlen(port + 1) > 5 ||
		      strspn(port + 1, "0123456789") != strlen(port + 1)))
		return -EINVAL;
	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(name, host, n);
	name[n] = '\0';
	return 0;
}

int hosts_name_ok(const char *name)
{
	unsigned char a[16];
	char bare[NAME_MAX_LEN + 1];
	size_t n = strlen(name);

	if (name[0] == '[' && n > 2 && name[n - 1] == ']' && n - 2 < sizeof(bare)) {
		memcpy(bare, name + 1, n - 2);
		bare[n - 2] = '\0';
		return numeric(bare, a) == AF_INET6;
	}
	if (numeric(name, a))
		return 1;
	return n > 0 && n <= NAME_MAX_LEN && name[0] != '.' && name[0] != '-' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
		       n;
}

int hosts_init(struct hosts *h, const char *bind_addr, const char *const *allow)
{
	size_t n;

	memset(h, 0, sizeof(*h));
	h->family = numeric(bind_addr, h->bind);
	if (!h->family)
		return -EINVAL;
	for (; allow && *allow; allow++) {
		if (h->nallow == SERVER_ALLOW_HOSTS_MAX || !hosts_name_ok(*allow))
			return -EINVAL;
		n = strlen(*allow);
		if (**allow == '[') /* stored as Host names are compared: without brackets */
			h->allow[h->nallow] = strndup(*allow + 1, n - 2);
		else
			h->allow[h->nallow] = strdup(*allow);
		if (!h->allow[h->nallow++])
			return -ENOMEM;
	}
	return 0;
}

void hosts_free(struct hosts *h)
{
	for (int i = 0; i < h->nallow; i++)
		free(h->allow[i]);
	h->nallow = 0;
}

/* Numeric addresses compare as addresses (::1 is 0:0::1), names case-insensitively. */
static int same_name(const char *name, const char *allowed)
{
	unsigned char a[16], b[16];
	int fa = numeric(name, a), fb = numeric(allowed, b);

	if (fa || fb)
		return fa == fb && !memcmp(a, b, fa == AF_INET ? 4 : 16);
	return !strcasecmp(name, allowed);
}

int hosts_host_ok(const struct hosts *h, const char *host)
{
	char name[NAME_MAX_LEN + 1];
	unsigned char a[16];
	int family;

	if (!host)
		return 1;
	if (split(host, name, sizeof(name)))
		return 0;
	if (!strcasecmp(name, "localhost"))
		return 1;
	family = numeric(name, a);
	if (family && (loopback(family, a) ||
		       (family == h->family && !memcmp(a, h->bind, family == AF_INET ? 4 : 16))))
		return 1;
	for (int i = 0; i < h->nallow; i++)
		if (same_name(name, h->allow[i]))
			return 1;
	return 0;
}

int hosts_origin_ok(const char *origin, const char *host)
{
	if (!origin)
		return 1;
	if (!host)
		return 0;
	if (!strncasecmp(origin, "http://", 7))
		origin += 7;
	else if (!strncasecmp(origin, "https://", 8)) /* behind a TLS proxy */
		origin += 8;
	else
		return 0;
	return !strcasecmp(origin, host);
}
