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
 * WebSocket, which cannot carry an Authorization header.  Thread-safe.
 */
#ifndef OXIOS_SECURITY_AUTH_H
#define OXIOS_SECURITY_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_TOKEN_LEN 47  /* "oxt_" + 43 */
#define AUTH_TICKET_LEN 43 /* base64url of 32 bytes */
#define AUTH_TICKET_TTL_MS 30000

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
 * Whether `presented` (the bearer credential, any length) is the stored
 * token, or equal to `extra` (OXIOS_API_KEY / gateway.api_key; may be NULL
 * or ""), compared in constant time.  Re-reads the hash file if it changed
 * since the last call.  1 if accepted, 0 if not.
 */
int auth_check(const char *presented, const char *extra);
/*
 * The credential from an Authorization header value: "Bearer <token>"
 * (scheme case-insensitive, one or more spaces).  Pointer into `header`,
 * or NULL if it is not a bearer credential.
 */
const char *auth_bearer(const char *header);

/* A new one-time ticket, valid AUTH_TICKET_TTL_MS from now_ms.  The
 * table holds at most 1024 live tickets (the oldest go first). */
void auth_ticket_new(char ticket[AUTH_TICKET_LEN + 1], uint64_t now_ms);
/* Use a ticket: 1 if it was live (it is now spent), 0 if not. */
int auth_ticket_use(const char *ticket, uint64_t now_ms);
/* Forget the cached hash and every ticket (tests, shutdown). */
void auth_reset(void);

#endif
