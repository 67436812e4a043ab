/*
 * signin.c — the one-time sign-in link: the token sealed under a key
 * derived from a code that only the terminal of `oxios start` saw.
 *
 * The key is BLAKE2b-256 of the code, personalised with a fixed context
 * string, so the file alone (which the daemon's user can read anyway)
 * yields nothing without the code.  One mutex makes a redemption atomic
 * within the daemon, the only process that redeems.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "config/home.h"
#include "security/signin.h"
#include "util/file.h"
#include "util/xalloc.h"

#define SIGNIN_PREFIX "oxios-signin-1:"
#define SIGNIN_FILE_CAP 1024
#define SIGNIN_SEALED_LEN (crypto_secretbox_MACBYTES + AUTH_TOKEN_LEN)

static pthread_mutex_t signin_lock = PTHREAD_MUTEX_INITIALIZER;

char *
signin_path(void)
{
	return home_path("auth/signin");
}

static void
signin_key(const char *code, unsigned char key[crypto_secretbox_KEYBYTES])
{
	static const char ctx[] = "oxios dashboard sign-in link v1";

	crypto_generichash(key, crypto_secretbox_KEYBYTES,
	    (const unsigned char *)code, strlen(code),
	    (const unsigned char *)ctx, sizeof ctx - 1);
}

int
signin_create(const char *token, int64_t now_s, char code[SIGNIN_CODE_LEN + 1],
    char **cause)
{
	unsigned char raw[32], key[crypto_secretbox_KEYBYTES];
	unsigned char nonce[crypto_secretbox_NONCEBYTES];
	unsigned char sealed[SIGNIN_SEALED_LEN];
	char nonce_hex[2 * sizeof nonce + 1], sealed_hex[2 * sizeof sealed + 1];
	char *path = NULL, *dir = NULL, *line = NULL;
	int len, rc = -1;

	code[0] = '\0';
	if (strlen(token) != AUTH_TOKEN_LEN) {
		xasprintf(cause, "sign-in link: not a token");
		goto out;
	}
	dir = home_path("auth");
	if (file_mkdirs(dir, HOME_DIR_MODE, cause) != 0)
		goto out;
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(code, SIGNIN_CODE_LEN + 1, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	signin_key(code, key);
	randombytes_buf(nonce, sizeof nonce);
	crypto_secretbox_easy(sealed, (const unsigned char *)token,
	    AUTH_TOKEN_LEN, nonce, key);
	sodium_bin2hex(nonce_hex, sizeof nonce_hex, nonce, sizeof nonce);
	sodium_bin2hex(sealed_hex, sizeof sealed_hex, sealed, sizeof sealed);
	len = xasprintf(&line, "%s%" PRId64 ":%s:%s\n", SIGNIN_PREFIX,
	    now_s + SIGNIN_TTL_SECS, nonce_hex, sealed_hex);
	path = signin_path();
	if (file_write_atomic(path, line, (size_t)len, HOME_FILE_MODE, cause) !=
	    0)
		goto out;
	rc = 0;
out:
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(key, sizeof key);
	if (rc != 0)
		sodium_memzero(code, SIGNIN_CODE_LEN + 1);
	free(line);
	free(path);
	free(dir);
	return rc;
}

char *
signin_link(const char *token, const char *host, long long port, int64_t now_s,
    char **cause)
{
	char code[SIGNIN_CODE_LEN + 1], *url;
	int v6;

	if (signin_create(token, now_s, code, cause) != 0)
		return NULL;
	if (*host == '\0' || strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	v6 = strchr(host, ':') != NULL;
	xasprintf(&url, "http://%s%s%s:%lld/#code=%s", v6 ? "[" : "", host,
	    v6 ? "]" : "", port, code);
	sodium_memzero(code, sizeof code);
	return url;
}

/* Parse the file's line.  0, or -1 if it is not one of ours. */
static int
signin_parse(const char *data, int64_t *expires,
    unsigned char nonce[crypto_secretbox_NONCEBYTES],
    unsigned char sealed[SIGNIN_SEALED_LEN])
{
	const char *p = data;
	char *end;
	size_t binlen;
	long long v;

	if (strncmp(p, SIGNIN_PREFIX, strlen(SIGNIN_PREFIX)) != 0)
		return -1;
	p += strlen(SIGNIN_PREFIX);
	errno = 0;
	v = strtoll(p, &end, 10);
	if (end == p || *end != ':' || errno != 0)
		return -1;
	*expires = v;
	p = end + 1;
	if (sodium_hex2bin(nonce, crypto_secretbox_NONCEBYTES, p,
		2 * crypto_secretbox_NONCEBYTES, NULL, &binlen, &p) != 0 ||
	    binlen != crypto_secretbox_NONCEBYTES || *p != ':')
		return -1;
	p++;
	if (sodium_hex2bin(sealed, SIGNIN_SEALED_LEN, p, 2 * SIGNIN_SEALED_LEN,
		NULL, &binlen, &p) != 0 ||
	    binlen != SIGNIN_SEALED_LEN || (*p != '\n' && *p != '\0'))
		return -1;
	return 0;
}

int
signin_redeem(const char *code, int64_t now_s, char token[AUTH_TOKEN_LEN + 1],
    const char **why)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	unsigned char nonce[crypto_secretbox_NONCEBYTES];
	unsigned char sealed[SIGNIN_SEALED_LEN];
	char *path, *data = NULL, *cause = NULL;
	size_t len;
	int64_t expires;
	int ok = 0;

	token[0] = '\0';
	*why = "no link";
	path = signin_path();
	pthread_mutex_lock(&signin_lock);
	if (file_read(path, SIGNIN_FILE_CAP, &data, &len, &cause) != 0)
		goto out;
	if (signin_parse(data, &expires, nonce, sealed) != 0) {
		*why = "no link";
		unlink(path); /* damaged: no code can open it */
		goto out;
	}
	if (now_s >= expires) {
		*why = "expired";
		unlink(path);
		goto out;
	}
	if (strlen(code) != SIGNIN_CODE_LEN) {
		*why = "wrong code";
		goto out;
	}
	signin_key(code, key);
	if (crypto_secretbox_open_easy((unsigned char *)token, sealed,
		sizeof sealed, nonce, key) != 0) {
		*why = "wrong code";
		goto out;
	}
	token[AUTH_TOKEN_LEN] = '\0';
	/* Spent whatever happens next. */
	if (unlink(path) != 0) {
		*why = "no link";
		goto out;
	}
	if (auth_check(NULL, token, NULL, NULL) != AUTH_OK) {
		*why = "token rotated";
		goto out;
	}
	*why = NULL;
	ok = 1;
out:
	pthread_mutex_unlock(&signin_lock);
	if (!ok)
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
	sodium_memzero(key, sizeof key);
	if (data != NULL) {
		sodium_memzero(data, len);
		free(data);
	}
	free(cause);
	free(path);
	return ok;
}
