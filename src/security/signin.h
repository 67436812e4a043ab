/*
 * signin.h — the dashboard's one-time sign-in link.
 *
 * When `oxios start` makes the API token it also makes a sign-in code
 * (32 random bytes, base64url) and prints the dashboard's URL with it in
 * the fragment (`#code=...`: a fragment never reaches a server, its logs
 * or a Referer).  The code is never stored: the file
 * $OXIOS_HOME/auth/signin (mode 0600) holds the token sealed with a key
 * derived from the code (XSalsa20-Poly1305, libsodium's secretbox) and
 * the time it expires, one line:
 *
 *   oxios-signin-1:<expires, unix seconds>:<nonce hex>:<sealed hex>
 *
 * The daemon redeems a code once (POST /api/signin): the right code opens
 * the box, the file is removed, and the token goes back to the page.  A
 * wrong code cannot open it (refused, the file kept); an expired link,
 * or one whose token was rotated since, is refused and removed.
 */
#ifndef OXIOS_SECURITY_SIGNIN_H
#define OXIOS_SECURITY_SIGNIN_H

#include <stdint.h>

#include "security/auth.h"

#define SIGNIN_CODE_LEN 43  /* base64url of 32 bytes */
#define SIGNIN_TTL_SECS 600 /* how long a link lives */

/* The file's path ($OXIOS_HOME/auth/signin).  New string. */
char *signin_path(void);
/*
 * Make a sign-in code for `token`, valid SIGNIN_TTL_SECS from now_s (unix
 * seconds), replacing any earlier one.  0, or -1 with *cause.
 */
int signin_create(const char *token, int64_t now_s,
    char code[SIGNIN_CODE_LEN + 1], char **cause);
/*
 * signin_create() for `token`, and the dashboard's URL on host:port with
 * the code in its fragment ("http://127.0.0.1:4200/#code=...": a host
 * listening on every address becomes the loopback one).  New string, or
 * NULL with *cause.
 */
char *signin_link(const char *token, const char *host, long long port,
    int64_t now_s, char **cause);
/*
 * Redeem `code` at now_s: 1 with the token in `token` (the link is spent),
 * 0 if refused (*why says why: "no link", "expired", "wrong code",
 * "token rotated"; static).  Thread-safe.
 */
int signin_redeem(const char *code, int64_t now_s,
    char token[AUTH_TOKEN_LEN + 1], const char **why);

#endif
