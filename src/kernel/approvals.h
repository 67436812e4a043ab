/*
 * approvals.h — human approvals of tool calls (docs/security.md, "Human
 * approvals").  A call that needs one writes a row to table `approvals`
 * (migration 013) and its agent's host thread waits on it; a human
 * answers through REST, the WebSocket, the control socket or `oxios
 * approvals` (another process, straight on the database).
 *
 * The row is the truth: an answer, an expiry and a cancel each change it
 * only while it is pending (UPDATE ... WHERE state = 'pending'), so exactly
 * one of them wins.  A waiter wakes on its run's cancel token, on an
 * eventfd an in-daemon answer writes (the waiter table, one mutex), and
 * re-reads its row at least every 500 ms (an answer from another
 * process).  At daemon start, rows left pending become expired.
 */
#ifndef OXIOS_KERNEL_APPROVALS_H
#define OXIOS_KERNEL_APPROVALS_H

#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "util/cancel.h"
#include "util/uuid.h"

#define APPROVALS_INPUT_MAX 65536 /* canonical input kept in the row */
#define APPROVALS_SUMMARY_MAX 240 /* the one-line summary */
#define APPROVALS_POLL_MS 500     /* a waiter re-reads its row this often */

enum approval_state {
	APPROVAL_PENDING,
	APPROVAL_APPROVED,
	APPROVAL_REJECTED,
	APPROVAL_EXPIRED,
	APPROVAL_CANCELLED,
};

/* Results of approvals_answer() besides 0 and -1. */
#define APPROVALS_UNKNOWN -2    /* no such approval */
#define APPROVALS_DECIDED -3    /* no longer pending */
#define APPROVALS_BAD -4        /* bad input: a reason, a rule's name... */
#define APPROVALS_MAX_NOTE 1024 /* bytes of a rejection's reason */

/* What a call that waits is. */
struct approval_req {
	const char *principal;  /* the agent profile; NULL: "default" */
	const char *agent_id;   /* may be NULL */
	const char *session_id; /* may be NULL */
	const char *tool;
	const json_t *args; /* the call's arguments */
	const char *reason; /* why it waits (shown to the human) */
	const char *danger; /* the deny-list rule; NULL: none */
	long timeout_secs;  /* it is denied this long after */
};

/* "pending", "approved", ... */
const char *approvals_state_name(enum approval_state s);
/* The canonical JSON of `args` (sorted keys, compact).  Caller frees. */
char *approvals_canonical(const json_t *args);
/* A one-line summary of a call of `tool` (the command of an exec, the
 * path of a write ...), at most APPROVALS_SUMMARY_MAX bytes.  Caller
 * frees. */
char *approvals_summary(const char *tool, const json_t *args);

/*
 * Write the pending row of `q` (id into `id`), emit approval.needed and
 * audit it (approval {op: requested}).  *out (may be NULL) receives the
 * event's data (new reference).  0, or -1 with *cause.
 */
int approvals_request(sqlite3 *db, const struct approval_req *q,
    char id[UUID_STRLEN], json_t **out, char **cause);
/*
 * Wait for an answer to approval `id`, until `expires_ms` (Unix ms) or
 * `stop` fires, calling `progress(arg)` (may be NULL) at every tick.  An
 * expiry marks the row expired, a cancel cancelled (each audited, with
 * approval.resolved), unless an answer came first.  Returns the final
 * state; APPROVAL_EXPIRED too when the row cannot be read.
 */
enum approval_state approvals_wait(sqlite3 *db, const char *id,
    struct cancel *stop, int64_t expires_ms, void (*progress)(void *),
    void *arg);
/*
 * Answer pending approval `id`: approve (scope "once" or "always") or
 * reject, as `actor`.  An "always" approval adds an allow rule for the
 * call (policy_rules) in the same transaction.  Emits approval.resolved
 * and wakes the waiter.  *out (may be NULL): the row after (new
 * reference).  0; -1 with *cause; APPROVALS_UNKNOWN or APPROVALS_DECIDED
 * (with *cause).
 */
int approvals_answer(sqlite3 *db, const char *id, int approve,
    const char *scope, const char *actor, json_t **out, char **cause);
/* A rejection with the human's reason (NULL or "": none; kept as the
 * row's note and in the audit entry, shown to the model), as
 * approvals_answer() otherwise; APPROVALS_BAD for a reason over
 * APPROVALS_MAX_NOTE bytes or not UTF-8. */
int approvals_reject(sqlite3 *db, const char *id, const char *actor,
    const char *reason, json_t **out, char **cause);
/* One row as an object (new reference), or NULL (*cause set on error;
 * cause may be NULL). */
json_t *approvals_get(sqlite3 *db, const char *id, char **cause);
/* The newest rows (pending ones only unless `all`), at most `limit`.  New
 * reference, or NULL with *cause. */
json_t *approvals_list(sqlite3 *db, int all, long limit, char **cause);
/* At daemon start: pending rows become expired (nobody waits on them).
 * Returns how many, or -1 with *cause. */
int approvals_sweep(sqlite3 *db, char **cause);

/*
 * The allow rules ("allow always" answers): a call of `tool` by
 * `principal` whose canonical arguments equal a rule's match runs
 * without asking.  approvals_rule_match() returns the rule's id, 0 for
 * none, -1 on an error.
 */
int64_t approvals_rule_match(sqlite3 *db, const char *principal,
    const char *tool, const json_t *args);
/* The rules (revoked ones too when `all`).  New reference, or NULL with
 * *cause. */
json_t *approvals_rules(sqlite3 *db, int all, char **cause);
/*
 * Make an allow rule without a waiting call (a run nobody can answer —
 * cron, `oxios run` — needs one made beforehand): `principal`'s calls
 * of `tool` with exactly `args` (checked against the tool's schema) run
 * without asking.  Audited permission_change, event permissions.changed.
 * The rule's id; -1 or APPROVALS_BAD (a bad name, tool or arguments),
 * with *cause.
 */
int64_t approvals_rule_add(sqlite3 *db, const char *principal, const char *tool,
    const json_t *args, const char *actor, char **cause);
/* Revoke rule `id` as `actor` (audited permission_change, event
 * permissions.changed).  0, -1, APPROVALS_UNKNOWN or APPROVALS_DECIDED
 * (already revoked), with *cause. */
int approvals_rule_revoke(sqlite3 *db, int64_t id, const char *actor,
    char **cause);

#endif
