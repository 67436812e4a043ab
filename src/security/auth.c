/*
 * auth.c — the API's bearer token (stored as a BLAKE2b hash) and the
 * one-time WebSocket tickets.
 *
 * The hash file is the only state shared with other processes: `oxios
 * token rotate` replaces it atomically (a new inode), and every check
 * stat()s it and re-reads it when its identity (device, inode, mtime,
 * size) changed, so a rotation takes effect on the next request without
 * a reload.  A process that rotates also drops its own cache at once.
 *
 * One mutex guards the cached hash and the ticket table; both critical
 * sections are short (a stat, rarely a 100-byte read).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

#include "config/home.h"
#include "security/auth.h"
#include "security/tokens.h"
#include "util/file.h"
#include "util/time.h"
#include "util/xalloc.h"

#define AUTH_HASH_PREFIX "blake2b-256:"
#define AUTH_TOKEN_PREFIX "oxt_"
#define AUTH_FILE_CAP 4096 /* the line is ~100 bytes; more is not ours */
#define AUTH_CREATED_MAX 40
#define AUTH_TICKETS_MAX 1024

struct auth_ticket {
	char text[AUTH_TICKET_LEN + 1];
	uint64_t expiry_ms;
	struct auth_identity id;
};

static pthread_mutex_t auth_lock = PTHREAD_MUTEX_INITIALIZER;

/* What the hash file held when last read, and how to tell it changed. */
static struct {
	int stat_ok; /* dev..size describe the file last read */
	int valid;   /* hash and created were parsed from it */
	dev_t dev;
	ino_t ino;
	struct timespec mtim;
	off_t size;
	unsigned char hash[AUTH_HASH_LEN];
	char created[AUTH_CREATED_MAX];
} auth_cache;

static struct auth_ticket auth_tickets[AUTH_TICKETS_MAX];
static size_t auth_ntickets;

char *
auth_token_path(void)
{
	return home_path("auth/token.hash");
}

void
auth_hash(const char *s, unsigned char out[AUTH_HASH_LEN])
{
	crypto_generichash(out, AUTH_HASH_LEN, (const unsigned char *)s,
	    strlen(s), NULL, 0);
}

/*
 * Parse "blake2b-256:<64 hex>:<created>\n".  Strict: the file is only
 * ever written by auth_token_create(), so anything else is damage.
 */
static int
auth_parse(const char *data, unsigned char hash[AUTH_HASH_LEN], char *created,
    size_t size)
{
	const char *p = data, *end;
	size_t n, binlen;

	if (strncmp(p, AUTH_HASH_PREFIX, strlen(AUTH_HASH_PREFIX)) != 0)
		return -1;
	p += strlen(AUTH_HASH_PREFIX);
	if (strspn(p, "0123456789abcdef") != 2 * AUTH_HASH_LEN ||
	    p[2 * AUTH_HASH_LEN] != ':')
		return -1;
	if (sodium_hex2bin(hash, AUTH_HASH_LEN, p, 2 * AUTH_HASH_LEN, NULL,
		&binlen, NULL) != 0 ||
	    binlen != AUTH_HASH_LEN)
		return -1;
	p += 2 * AUTH_HASH_LEN + 1;
	end = p + strcspn(p, "\n");
	n = (size_t)(end - p);
	if (n == 0 || n >= size || (*end == '\n' && end[1] != '\0'))
		return -1;
	memcpy(created, p, n);
	created[n] = '\0';
	return 0;
}

/* Bring auth_cache up to date with the file.  Called with auth_lock held. */
static void
auth_refresh(void)
{
	struct stat st;
	char *path, *data = NULL, *cause = NULL;
	size_t len;

	path = auth_token_path();
	if (stat(path, &st) == -1) {
		/* Gone (or unreachable): only `extra` can match now. */
		sodium_memzero(&auth_cache, sizeof auth_cache);
		goto out;
	}
	if (auth_cache.stat_ok && auth_cache.dev == st.st_dev &&
	    auth_cache.ino == st.st_ino &&
	    auth_cache.mtim.tv_sec == st.st_mtim.tv_sec &&
	    auth_cache.mtim.tv_nsec == st.st_mtim.tv_nsec &&
	    auth_cache.size == st.st_size)
		goto out;

	/*
	 * The identity is recorded before the read, so if the file is
	 * replaced in between we hold newer content under an older identity
	 * and simply read it again next time.
	 */
	sodium_memzero(&auth_cache, sizeof auth_cache);
	auth_cache.stat_ok = 1;
	auth_cache.dev = st.st_dev;
	auth_cache.ino = st.st_ino;
	auth_cache.mtim = st.st_mtim;
	auth_cache.size = st.st_size;
	if (file_read(path, AUTH_FILE_CAP, &data, &len, &cause) != 0)
		goto out;
	if (auth_parse(data, auth_cache.hash, auth_cache.created,
		sizeof auth_cache.created) == 0)
		auth_cache.valid = 1;
	else
		sodium_memzero(auth_cache.hash, sizeof auth_cache.hash);
out:
	free(data);
	free(cause);
	free(path);
}

int
auth_token_exists(char **cause)
{
	unsigned char hash[AUTH_HASH_LEN];
	char created[AUTH_CREATED_MAX];
	char *path, *data = NULL;
	size_t len;
	int rc = -1;

	path = auth_token_path();
	if (file_read(path, AUTH_FILE_CAP, &data, &len, cause) != 0) {
		if (errno == ENOENT) {
			free(*cause);
			*cause = NULL;
			rc = 0;
		}
		goto out;
	}
	if (auth_parse(data, hash, created, sizeof created) != 0) {
		xasprintf(cause,
		    "%s: not a token hash (make a new token: oxios token "
		    "rotate)",
		    path);
		goto out;
	}
	rc = 1;
out:
	free(data);
	free(path);
	return rc;
}

/* Make $OXIOS_HOME/auth, private to its owner even if it existed. */
static int
auth_mkdir(char **cause)
{
	struct stat st;
	char *dir;
	int rc = -1;

	if (home_ensure(cause) != 0)
		return -1;
	dir = home_path("auth");
	if (file_mkdirs(dir, HOME_DIR_MODE, cause) != 0)
		goto out;
	if (stat(dir, &st) == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if ((st.st_mode & 07777) != HOME_DIR_MODE &&
	    chmod(dir, HOME_DIR_MODE) == -1) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

void
auth_token_random(char token[AUTH_TOKEN_LEN + 1])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof raw);
	memcpy(token, AUTH_TOKEN_PREFIX, strlen(AUTH_TOKEN_PREFIX));
	sodium_bin2base64(token + strlen(AUTH_TOKEN_PREFIX),
	    AUTH_TOKEN_LEN + 1 - strlen(AUTH_TOKEN_PREFIX), raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

int
auth_token_create(char token[AUTH_TOKEN_LEN + 1], char **cause)
{
	unsigned char hash[AUTH_HASH_LEN];
	char hex[2 * AUTH_HASH_LEN + 1], created[AUTH_CREATED_MAX];
	char *path = NULL, *line = NULL;
	int len, rc = -1;

	token[0] = '\0';
	if (auth_mkdir(cause) != 0)
		goto out;

	auth_token_random(token);
	auth_hash(token, hash);
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	time_rfc3339(time_wall_ms(), created, sizeof created);
	len = xasprintf(&line, "%s%s:%s\n", AUTH_HASH_PREFIX, hex, created);

	path = auth_token_path();
	if (file_write_atomic(path, line, (size_t)len, HOME_FILE_MODE, cause) !=
	    0)
		goto out;

	/*
	 * Our own cache must not wait for the stat check: two rotations
	 * within one timestamp tick could reuse an inode number.
	 */
	pthread_mutex_lock(&auth_lock);
	sodium_memzero(&auth_cache, sizeof auth_cache);
	pthread_mutex_unlock(&auth_lock);
	rc = 0;
out:
	if (rc != 0)
		sodium_memzero(token, AUTH_TOKEN_LEN + 1);
	free(line);
	free(path);
	return rc;
}

void
auth_token_created(char *out, size_t size)
{
	if (size == 0)
		return;
	pthread_mutex_lock(&auth_lock);
	auth_refresh();
	if (auth_cache.valid)
		snprintf(out, size, "%s", auth_cache.created);
	else
		out[0] = '\0';
	pthread_mutex_unlock(&auth_lock);
}

void
auth_identity_set(struct auth_identity *id, const char *name, int role,
    int64_t expires_at)
{
	memset(id, 0, sizeof *id);
	snprintf(id->name, sizeof id->name, "%s", name);
	id->role = role;
	snprintf(id->actor, sizeof id->actor, "token:%s", id->name);
	id->expires_at = expires_at;
}

int
auth_check(struct sqlite3 *db, const char *presented, const char *extra,
    struct auth_identity *id)
{
	unsigned char mine[AUTH_HASH_LEN], other[AUTH_HASH_LEN];
	struct auth_identity scratch;
	const char *who = NULL;
	int ok = 0;

	if (id == NULL)
		id = &scratch;
	memset(id, 0, sizeof *id);
	if (presented == NULL || *presented == '\0')
		return 0;
	/*
	 * Comparing hashes rather than the strings keeps the time
	 * independent of where (and whether) the lengths differ.
	 */
	auth_hash(presented, mine);

	pthread_mutex_lock(&auth_lock);
	auth_refresh();
	if (auth_cache.valid &&
	    sodium_memcmp(mine, auth_cache.hash, AUTH_HASH_LEN) == 0)
		who = "admin";
	pthread_mutex_unlock(&auth_lock);

	if (extra != NULL && *extra != '\0') {
		auth_hash(extra, other);
		if (sodium_memcmp(mine, other, AUTH_HASH_LEN) == 0 &&
		    who == NULL)
			who = "api_key";
		sodium_memzero(other, sizeof other);
	}
	sodium_memzero(mine, sizeof mine);
	if (who != NULL) {
		auth_identity_set(id, who, AUTH_ROLE_ADMIN, 0);
		return AUTH_OK;
	}
	/* Only what the fixed credentials did not take reaches the table. */
	if (db != NULL) {
		ok = tokens_check(db, presented, time_wall_ms(), id);
		if (ok == TOKENS_OK)
			return AUTH_OK;
		if (ok == TOKENS_EXPIRED)
			return AUTH_EXPIRED;
	}
	memset(id, 0, sizeof *id);
	return 0;
}

const char *
auth_bearer(const char *header)
{
	const char *p, *c;

	if (header == NULL)
		return NULL;
	if (strncasecmp(header, "Bearer", 6) != 0 || header[6] != ' ')
		return NULL;
	p = header + 6;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return NULL;
	/* A credential is one printable word: no spaces, no controls. */
	for (c = p; *c != '\0'; c++) {
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c == 0x7f)
			return NULL;
	}
	return p;
}

/* Drop expired tickets.  Called with auth_lock held. */
static void
auth_ticket_purge(uint64_t now_ms)
{
	size_t i = 0;

	while (i < auth_ntickets) {
		if (auth_tickets[i].expiry_ms <= now_ms) {
			auth_tickets[i] = auth_tickets[--auth_ntickets];
			sodium_memzero(&auth_tickets[auth_ntickets],
			    sizeof auth_tickets[0]);
		} else
			i++;
	}
}

void
auth_ticket_new(char ticket[AUTH_TICKET_LEN + 1], uint64_t now_ms,
    const struct auth_identity *id)
{
	unsigned char raw[32];
	size_t i, oldest;

	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(ticket, AUTH_TICKET_LEN + 1, raw, sizeof raw,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);

	pthread_mutex_lock(&auth_lock);
	auth_ticket_purge(now_ms);
	if (auth_ntickets == AUTH_TICKETS_MAX) {
		/* Full of live tickets: the one closest to expiry goes. */
		oldest = 0;
		for (i = 1; i < auth_ntickets; i++) {
			if (auth_tickets[i].expiry_ms <
			    auth_tickets[oldest].expiry_ms)
				oldest = i;
		}
		auth_tickets[oldest] = auth_tickets[--auth_ntickets];
	}
	memcpy(auth_tickets[auth_ntickets].text, ticket, AUTH_TICKET_LEN + 1);
	auth_tickets[auth_ntickets].expiry_ms = now_ms + AUTH_TICKET_TTL_MS;
	auth_tickets[auth_ntickets].id = *id;
	auth_ntickets++;
	pthread_mutex_unlock(&auth_lock);
}

int
auth_ticket_use(const char *ticket, uint64_t now_ms, struct auth_identity *id)
{
	size_t i, found = SIZE_MAX;

	if (id != NULL)
		memset(id, 0, sizeof *id);
	/* Every ticket has the same, public length. */
	if (ticket == NULL || strlen(ticket) != AUTH_TICKET_LEN)
		return 0;
	pthread_mutex_lock(&auth_lock);
	auth_ticket_purge(now_ms);
	/* Compare against all of them so the time says nothing. */
	for (i = 0; i < auth_ntickets; i++) {
		if (sodium_memcmp(auth_tickets[i].text, ticket,
			AUTH_TICKET_LEN) == 0)
			found = i;
	}
	if (found != SIZE_MAX) {
		if (id != NULL)
			*id = auth_tickets[found].id;
		auth_tickets[found] = auth_tickets[--auth_ntickets];
		sodium_memzero(&auth_tickets[auth_ntickets],
		    sizeof auth_tickets[0]);
	}
	pthread_mutex_unlock(&auth_lock);
	return found != SIZE_MAX;
}

void
auth_reset(void)
{
	pthread_mutex_lock(&auth_lock);
	sodium_memzero(&auth_cache, sizeof auth_cache);
	sodium_memzero(auth_tickets, sizeof auth_tickets);
	auth_ntickets = 0;
	pthread_mutex_unlock(&auth_lock);
}
