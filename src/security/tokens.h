/*
 * tokens.h — API tokens with roles (table api_tokens, migration 013).
 *
 * Besides the admin token of auth/token.hash and gateway.api_key, an
 * admin can make tokens for others: each has a unique name, a role
 * (viewer, operator, admin), an optional expiry, and can be revoked.  A
 * token is "oxt_" + 43 base64url characters, shown once when made;
 * only its BLAKE2b-256 hash is stored.  A check looks the row up by
 * hash, then compares the hashes in constant time (sodium_memcmp); live
 * tokens are cached in memory until a revoke in any process replaces
 * $OXIOS_HOME/auth/tokens.gen.  Creating and revoking are audited
 * (action auth; never the token).  Thread-safe.
 */
#ifndef OXIOS_SECURITY_TOKENS_H
#define OXIOS_SECURITY_TOKENS_H

#include <stdint.h>
#include <sqlite3.h>
#include <jansson.h>

#include "security/auth.h"

#define TOKENS_NAME_MAX 63 /* bytes of a name: [A-Za-z0-9._-] */

/* A role's name ("viewer") or NULL; the role of a name, or AUTH_ROLE_NONE. */
const char *tokens_role_name(int role);
int tokens_role_parse(const char *s);
/* Whether `name` may name a token (1 or 0). */
int tokens_name_ok(const char *name);

/*
 * Make a token `name` with `role`, expiring at `expires_at` (Unix ms; 0:
 * never), made by `actor` (audited as auth {op: create}).  The token goes
 * into `token` (shown once), its row (as tokens_list() shows one) into
 * *row (new reference; may be NULL).  0, or -1 with *cause (a name
 * taken, a bad role, an expiry in the past).
 */
int tokens_create(sqlite3 *db, const char *name, int role, int64_t expires_at,
    const char *actor, char token[AUTH_TOKEN_LEN + 1], json_t **row,
    char **cause);
/* Every token, newest first: [{id, name, role, created_at, created_by,
 * expires_at, revoked_at, last_used_at, state}] (times RFC 3339 or
 * null; state active|expired|revoked).  New reference, or NULL with
 * *cause. */
json_t *tokens_list(sqlite3 *db, char **cause);
/*
 * Revoke the token whose id or name is `which`, by `actor` (audited as
 * auth {op: revoke}).  1 revoked, 0 no such live token, -1 with *cause.
 */
int tokens_revoke(sqlite3 *db, const char *which, const char *actor,
    char **cause);
/*
 * The token `presented` from the table: TOKENS_OK with *id filled (and
 * last_used_at brought up to date, at most once a minute),
 * TOKENS_EXPIRED (or revoked: it was one of ours; *id names it),
 * TOKENS_UNKNOWN.
 */
enum { TOKENS_UNKNOWN = 0, TOKENS_OK = 1, TOKENS_EXPIRED = 2 };
int tokens_check(sqlite3 *db, const char *presented, int64_t now_ms,
    struct auth_identity *id);
/* Empty the cache of live tokens (tests). */
void tokens_reset(void);

#endif
