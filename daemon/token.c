/* The token file: created once with O_EXCL and mode 0600, so no other user ever reads it. */
#include "daemon/token.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int create_token(const char *path, char token[TOKEN_HEX + 1])
{
	unsigned char raw[TOKEN_HEX / 2];
	int fd, e = 0;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, token, TOKEN_HEX) != TOKEN_HEX || write(fd, "\n", 1) != 1)
		e = errno ? -errno : -EIO;
	if (close(fd) && !e)
		e = -errno;
	if (e)
		unlink(path);
	return e;
}

static int hex_token(const char *s)
{
	for (int i = 0; i < TOKEN_HEX; i++)
		if (!strchr("0123456789abcdef", s[i]) || !s[i])
			return 0;
	return s[TOKEN_HEX] == 0 || s[TOKEN_HEX] == '\n';
}

static int read_token(const char *path, char token[TOKEN_HEX + 1], char *err, size_t errlen)
{
	char buf[TOKEN_HEX + 2] = "";
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || (st.st_mode & 077) || st.st_uid != geteuid()) {
		close(fd);
		snprintf(err, errlen, "%s: must be a file of this user with mode 0600", path);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < TOKEN_HEX || !hex_token(buf)) {
		snprintf(err, errlen, "%s: not a heapscope token (64 hex digits); delete it to make "
			 "a new one", path);
		return -EINVAL;
	}
	memcpy(token, buf, TOKEN_HEX);
	token[TOKEN_HEX] = 0;
	return 0;
}

int token_load(const char *data_dir, char token[TOKEN_HEX + 1], char *err, size_t errlen)
{
	char path[PATH_MAX];
	int e;

	snprintf(path, sizeof(path), "%s/token", data_dir);
	e = read_token(path, token, err, errlen);
	if (e != -ENOENT)
		return e;
	e = create_token(path, token);
	if (e == -EEXIST) /* another daemon made it meanwhile */
		return read_token(path, token, err, errlen);
	if (e)
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(-e));
	return e;
}
