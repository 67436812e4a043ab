/*
 * auth.h — the API's bearer token and WebSocket tickets.
 *
 * The token is made once (onboarding or the daemon's first start), shown
 * once, and stored only as a hash: $OXIOS_HOME/auth/token.hash (mode 0600),
 * one line "blake2b-256:<hex>:<created RFC 3339>".  Tokens look like
 * "oxt_" + 43 base64url characters (32 random bytes).  Checks compare
 * hashes in constant time (sodium_memcmp).  The daemon re-reads the file
 * when it changes, so `oxios token rotate` takes effect at once.
 *
 * Tickets: short-lived (30 s) one-time strings that let a browser open the
 * WebSocket, which cannot carry an Authorization header; a ticket
 * carries the identity that asked for it.  Thread-safe.
 */
#ifndef OXIOS_SECURITY_AUTH_H
#define OXIOS_SECURITY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_TOKEN_LEN 47  /* "oxt_" + 43 */
#define AUTH_TICKET_LEN 43 /* base64url of 32 bytes */
#define AUTH_TICKET_TTL_MS 30000
#define AUTH_HASH_LEN 32

struct sqlite3;

/* Roles, least first; the same numbers as enum route_role (router.h). */
enum auth_role {
	AUTH_ROLE_NONE,
	AUTH_ROLE_VIEWER,
	AUTH_ROLE_OPERATOR,
	AUTH_ROLE_ADMIN,
};

/* Who a credential speaks for. */
struct auth_identity {
	char name[64];      /* "admin", "api_key", or a token's name */
	int role;           /* enum auth_role */
	char actor[80];     /* for the audit log: "token:<name>" */
	int64_t expires_at; /* Unix ms; 0: never */
};

/* The hash file's path ($OXIOS_HOME/auth/token.hash).  New string. */
char *auth_token_path(void);
/* 1 if a token hash exists, 0 if not, -1 with *cause if unreadable. */
int auth_token_exists(char **cause);
/*
 * Make a new token, store its hash (atomically replacing any old one: the
 * old token stops working), and return it in `token`.  0, or -1 with
 * *cause.
 */
int auth_token_create(char token[AUTH_TOKEN_LEN + 1], char **cause);
/* When the token was made (RFC 3339), or "" if none.  Into out. */
void auth_token_created(char *out, size_t size);

/*
 * Who `presented` (the bearer credential, any length) is: the stored
 * token (admin "admin"), `extra` (OXIOS_API_KEY / gateway.api_key; may be
 * NULL or ""; admin "api_key"), or, when `db` is not NULL, a token of
 * the api_tokens table (tokens.h; its name and role).  Compared in
 * constant time; re-reads the hash file if it changed since the last
 * call.  AUTH_OK with *id filled (id may be NULL), AUTH_EXPIRED for a
 * table token that expired or was revoked (*id names it), 0 if not
 * accepted.
 */
#define AUTH_OK 1
#define AUTH_EXPIRED 2
int auth_check(struct sqlite3 *db, const char *presented, const char *extra,
    struct auth_identity *id);
/* Fill *id for `name` with `role`, actor "token:<name>". */
void auth_identity_set(struct auth_identity *id, const char *name, int role,
    int64_t expires_at);
/* The BLAKE2b-256 hash of `s`. */
void auth_hash(const char *s, unsigned char out[AUTH_HASH_LEN]);
/* A new random token ("oxt_" + 43 base64url characters). */
void auth_token_random(char token[AUTH_TOKEN_LEN + 1]);
/*
 * The credential from an Authorization header value: "Bearer <token>"
 * (scheme case-insensitive, one or more spaces).  Pointer into `header`,
 * or NULL if it is not a bearer credential.
 */
const char *auth_bearer(const char *header);

/* A new one-time ticket for `id` (copied), valid AUTH_TICKET_TTL_MS from
 * now_ms.  The table holds at most 1024 live tickets (the oldest go
 * first). */
void auth_ticket_new(char ticket[AUTH_TICKET_LEN + 1], uint64_t now_ms,
    const struct auth_identity *id);
/* Use a ticket: 1 if it was live (it is now spent; its identity into *id,
 * which may be NULL), 0 if not. */
int auth_ticket_use(const char *ticket, uint64_t now_ms,
    struct auth_identity *id);
/* Forget the cached hash and every ticket (tests, shutdown). */
void auth_reset(void);

#endif
