/*
 * audit.h — the audit trail: an append-only log in SQLite whose entries
 * are the leaves of a Merkle tree (merkle.h), with tree heads signed by an
 * Ed25519 key of this home.
 *
 * Every field of an entry (seq, time, actor, action, resource, detail) is
 * in its leaf hash; triggers refuse UPDATE and DELETE; a signed head
 * (size, root, time) is published every audit.sign_interval_secs and on
 * flush.  audit_verify() recomputes everything and names the first entry
 * or head that does not check: an edited field, a missing or reordered
 * row, a truncated log, a forged head.  Secrets never enter: values under
 * keys that name credentials, and strings that look like keys, are
 * redacted; long strings are summarised by their length and hash.
 */
#ifndef OXIOS_SECURITY_AUDIT_H
#define OXIOS_SECURITY_AUDIT_H

#include <stdint.h>
#include <stdio.h>
#include <sqlite3.h>
#include <jansson.h>

#define AUDIT_MAX_STRING 1024 /* longer strings in details are summarised */
#define AUDIT_MAX_FIELD 512   /* actor, action, resource */

enum audit_action {
	AUDIT_AGENT_SPAWN,
	AUDIT_AGENT_EXIT,
	AUDIT_TOOL_CALL,
	AUDIT_TOOL_RESULT,
	AUDIT_MEMORY_WRITE,
	AUDIT_CONFIG_CHANGE,
	AUDIT_ACCESS_DENIED,
	AUDIT_APPROVAL,
	AUDIT_CRON_TRIGGER,
	AUDIT_GIT_COMMIT,
	AUDIT_AUTH,
	AUDIT_FILE_WRITE,
	AUDIT_OTHER,
	AUDIT_AGENT_ZOMBIE,
	AUDIT_BUDGET,
	AUDIT_PERMISSION,
	AUDIT_SPACE,
	AUDIT_NACTIONS
};

const char *audit_action_name(enum audit_action a);
int audit_action_parse(const char *s); /* -1 if unknown */

/*
 * Turn the audit log on for this process (audit.enabled and
 * audit.sign_interval_secs).  The home's signing key is read, or made
 * (mode 0600), when a head is first signed.  0, or -1 with *cause.
 * Without it (or with audit.enabled false), audit_append() does nothing
 * and returns 0.
 */
int audit_open(int enabled, long sign_interval_secs, char **cause);
void audit_close(void);

/*
 * Append one entry: actor ("user", "system", "agent:<id>"), action,
 * resource (what it was done to; may be ""), detail (an object; may be
 * NULL; sanitised, the caller keeps it).  In its own transaction, or in
 * the caller's if one is open (batches).  Returns the entry's seq, 0 when
 * auditing is off, -1 with *cause.
 */
int64_t audit_append(sqlite3 *db, const char *actor, enum audit_action action,
    const char *resource, const json_t *detail, char **cause);
/*
 * The same inside the caller's write transaction, which must be open
 * (BEGIN IMMEDIATE ... COMMIT): the entry commits or rolls back with the
 * write it records.  -1 with *cause outside a transaction.
 */
int64_t audit_append_tx(sqlite3 *db, const char *actor,
    enum audit_action action, const char *resource, const json_t *detail,
    char **cause);
/*
 * An audited write: `write(db, arg, cause)` (0, or -1 with *cause) and
 * its entry in one transaction of their own, both stored or neither.
 * 0, or -1 with *cause (rolled back).
 */
int audit_write(sqlite3 *db, int (*write)(sqlite3 *, void *, char **),
    void *arg, const char *actor, enum audit_action action,
    const char *resource, const json_t *detail, char **cause);
/* The same for callers that cannot do anything about a failure: logged. */
void audit_note(sqlite3 *db, const char *actor, enum audit_action action,
    const char *resource, const json_t *detail);

/*
 * Sign and store a tree head for the log as it is now, if it grew since
 * the last one (a head is never replaced).  Returns the newest head (new
 * reference: size, root, time, signature, public_key), or NULL with
 * *cause.
 */
json_t *audit_flush(sqlite3 *db, char **cause);
/* audit_flush() if audit.sign_interval_secs have passed since the last
 * head (the daemon's clock calls it). */
void audit_tick(sqlite3 *db);
/* The newest signed head, or NULL (none yet: *cause NULL). */
json_t *audit_head(sqlite3 *db, char **cause);

/*
 * Entries, oldest first after `after` (a seq; 0 from the start), at most
 * `limit`; filters may be NULL.  New reference, or NULL with *cause.
 */
json_t *audit_list(sqlite3 *db, int64_t after, long limit, const char *action,
    const char *actor, const char *resource, char **cause);
/* One entry, or NULL (none: *cause NULL). */
json_t *audit_get(sqlite3 *db, int64_t seq, char **cause);

/*
 * Verify the whole log: every entry's hash against its fields, seq without
 * gaps, every head's signature and root, the newest head's size against
 * the log's.  Returns a report {ok, entries, heads, first_bad_seq?,
 * first_bad_head?, problem?}; NULL with *cause if it could not run.
 */
json_t *audit_verify(sqlite3 *db, char **cause);
/* The same for an export file (JSON lines), against `public_key_hex` (or,
 * if NULL, the key in the file's heads). */
json_t *audit_verify_file(FILE *f, const char *public_key_hex, char **cause);

/*
 * An inclusion proof of entry `seq` in the newest head (signing one first
 * if the entry is newer), and the consistency proof from `old_size` (0:
 * none) to that head.  New reference {seq, leaf, size, root, proof[],
 * head, ...}, or NULL with *cause.
 */
json_t *audit_prove(sqlite3 *db, int64_t seq, int64_t old_size, char **cause);

/* Write the log and its heads as JSON lines.  0, or -1 with *cause. */
int audit_export(sqlite3 *db, FILE *f, char **cause);

/* Remove what must never be logged from a detail.  New reference. */
json_t *audit_sanitize(const json_t *detail);

#endif
