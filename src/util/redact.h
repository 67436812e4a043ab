/*
 * redact.h — the one policy for keeping secrets out of what Oxios writes
 * down or shows: the audit log, error messages, logs and events.
 *
 * Two kinds of rule.  Key rules: a JSON member whose name says it holds a
 * credential ("api_key", "Authorization", "client_secret", "x-key" ...)
 * loses its whole value.  Value rules: wherever a string holds a known
 * credential prefix ("sk-", "Bearer ", "ghp_" ...) followed by enough
 * token characters, that run becomes REDACT_MARK; so does a known secret
 * (a provider's key) wherever it appears.
 */
#ifndef OXIOS_UTIL_REDACT_H
#define OXIOS_UTIL_REDACT_H

#include <stddef.h>

#include <jansson.h>

#define REDACT_MARK "<redacted>"

/* Whether a JSON member called `name` holds a secret. */
int redact_key(const char *name);
/*
 * A copy of s with every credential-looking run, and every occurrence of
 * `known` (a secret of 8 bytes or more; NULL for none), replaced by
 * REDACT_MARK.  Caller frees.
 */
char *redact_string(const char *s, const char *known);
/*
 * The same, in place, for the C string in buf[size]: when the result is
 * longer than size - 1 bytes it is cut at a UTF-8 character boundary.
 */
void redact_buf(char *buf, size_t size, const char *known);
/*
 * Redact v in place: members named like secrets become REDACT_MARK
 * whatever they held, and strings lose credential-looking runs.  Nothing
 * in v may be shared with a value that must stay as it was.
 */
void redact_json(json_t *v);

#endif
