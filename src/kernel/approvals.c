/*
 * approvals.c — the approvals store and the wait (approvals.h).  The row
 * is the truth; the waiter table only makes an in-daemon answer wake its
 * waiter at once instead of at the next re-read.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kernel/approvals.h"
#include "kernel/events.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/log.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

static const char *const approvals_states[] = {
	"pending",
	"approved",
	"rejected",
	"expired",
	"cancelled",
};

/* The waiter table: approval id -> the eventfd its waiter polls. */
struct approvals_waiter {
	char id[UUID_STRLEN];
	int fd;
	struct approvals_waiter *next;
};
static pthread_mutex_t approvals_lock = PTHREAD_MUTEX_INITIALIZER;
static struct approvals_waiter *approvals_waiters;

const char *
approvals_state_name(enum approval_state s)
{
	if ((size_t)s >= sizeof approvals_states / sizeof *approvals_states)
		return "expired";
	return approvals_states[s];
}

static enum approval_state
approvals_state_parse(const char *s)
{
	size_t i;

	for (i = 0; s != NULL &&
	     i < sizeof approvals_states / sizeof *approvals_states;
	     i++)
		if (strcmp(s, approvals_states[i]) == 0)
			return (enum approval_state)i;
	return APPROVAL_EXPIRED;
}

char *
approvals_canonical(const json_t *args)
{
	char *s = NULL;

	if (args != NULL)
		s = json_dumps(args,
		    JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	return s != NULL ? s : xstrdup("null");
}

/* Append `s` to b (at most APPROVALS_SUMMARY_MAX), with "..." if cut. */
static char *
approvals_cap(char *s)
{
	size_t n = strlen(s), cut = APPROVALS_SUMMARY_MAX - 3;

	if (n <= APPROVALS_SUMMARY_MAX)
		return s;
	/* Do not cut a UTF-8 sequence in two. */
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	memcpy(s + cut, "...", 4);
	return s;
}

char *
approvals_summary(const char *tool, const json_t *args)
{
	const char *cmd, *path, *content;
	char *s = NULL, *tmp;
	json_t *v;
	size_t i;

	if ((cmd = json_string_value(json_object_get(args, "command"))) !=
	    NULL) {
		s = xstrdup(cmd);
	} else if ((cmd = json_string_value(json_object_get(args, "binary"))) !=
	    NULL) {
		s = xstrdup(cmd);
		json_array_foreach(json_object_get(args, "args"), i, v) {
			if (strlen(s) > APPROVALS_SUMMARY_MAX)
				break;
			xasprintf(&tmp, "%s %s", s,
			    json_string_value(v) != NULL ?
				json_string_value(v) :
				"?");
			free(s);
			s = tmp;
		}
	} else if ((path = json_string_value(json_object_get(args, "path"))) !=
	    NULL) {
		content = json_string_value(json_object_get(args, "content"));
		if (content != NULL)
			xasprintf(&s, "%s %s (%zu bytes)", tool, path,
			    strlen(content));
		else
			xasprintf(&s, "%s %s", tool, path);
	} else {
		tmp = approvals_canonical(args);
		xasprintf(&s, "%s %s", tool, tmp);
		free(tmp);
	}
	/* One line. */
	for (tmp = s; *tmp != '\0'; tmp++)
		if (*tmp == '\n' || *tmp == '\r' || *tmp == '\t')
			*tmp = ' ';
	return approvals_cap(s);
}

static void
approvals_wake(const char *id)
{
	struct approvals_waiter *w;
	uint64_t one = 1;

	pthread_mutex_lock(&approvals_lock);
	for (w = approvals_waiters; w != NULL; w = w->next)
		if (strcmp(w->id, id) == 0 &&
		    write(w->fd, &one, sizeof one) < 0 && errno != EAGAIN)
			log_warn("%s: %s", __func__, strerror(errno));
	pthread_mutex_unlock(&approvals_lock);
}

int
approvals_request(sqlite3 *db, const struct approval_req *q,
    char id[UUID_STRLEN], json_t **out, char **cause)
{
	char *input = NULL, *summary = NULL;
	const char *principal = q->principal != NULL ? q->principal : "default";
	int64_t now = time_wall_ms(), expires;
	json_t *ev = NULL, *detail = NULL;
	char *actor = NULL;
	int rc = -1;
	char at[40];

	if (out != NULL)
		*out = NULL;
	uuid_v4(id);
	expires = now + (int64_t)q->timeout_secs * 1000;
	input = approvals_canonical(q->args);
	if (strlen(input) > APPROVALS_INPUT_MAX) {
		/* Kept cut: an "always" rule made of it never matches. */
		input[APPROVALS_INPUT_MAX] = '\0';
	}
	summary = approvals_summary(q->tool, q->args);
	if (db_exec(db,
		"INSERT INTO approvals (id, principal, agent_id, session_id, "
		"tool, input, summary, reason, danger, created_at, "
		"expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
		"?10, ?11)",
		"tttttttttII", id, principal, q->agent_id, q->session_id,
		q->tool, input, summary, q->reason != NULL ? q->reason : "",
		q->danger, now, expires) < 0)
		goto sqlerr;
	time_rfc3339(expires, at, sizeof at);
	ev = json_pack("{s:s, s:s?, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s, "
		       "s:I}",
	    "id", id, "agent_id", q->agent_id, "principal", principal,
	    "session_id", q->session_id, "tool", q->tool, "summary", summary,
	    "reason", q->reason != NULL ? q->reason : "", "danger", q->danger,
	    "expires_at", at, "expires_at_ms", (json_int_t)expires);
	detail = json_pack("{s:s, s:s, s:s, s:s}", "op", "requested", "id", id,
	    "summary", summary, "reason", q->reason != NULL ? q->reason : "");
	if (q->agent_id != NULL)
		xasprintf(&actor, "agent:%s", q->agent_id);
	audit_note(db, actor != NULL ? actor : "system", AUDIT_APPROVAL,
	    q->tool, detail);
	events_emit(EVENT_APPROVAL_NEEDED, ev);
	if (out != NULL)
		*out = json_incref(ev);
	rc = 0;
	goto out;
sqlerr:
	xasprintf(cause, "approvals: %s", sqlite3_errmsg(db));
out:
	json_decref(ev);
	json_decref(detail);
	free(actor);
	free(input);
	free(summary);
	return rc;
}

/* ROLLBACK after a failure inside BEGIN ... COMMIT. */
static void
approvals_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* The state of row `id`: its text copied into buf, or -1 (none) / -2
 * (an error, *cause). Also its principal, tool and input when wanted
 * (caller frees). */
static int
approvals_row(sqlite3 *db, const char *id, char *state, size_t size,
    char **principal, char **tool, char **input, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((st = db_prepare(db,
		 "SELECT state, principal, tool, input FROM approvals "
		 "WHERE id = ?",
		 "t", id)) == NULL) {
		xasprintf(cause, "approvals: %s", sqlite3_errmsg(db));
		return -2;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(state, size, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		if (principal != NULL)
			*principal =
			    xstrdup((const char *)sqlite3_column_text(st, 1));
		if (tool != NULL)
			*tool =
			    xstrdup((const char *)sqlite3_column_text(st, 2));
		if (input != NULL)
			*input =
			    xstrdup((const char *)sqlite3_column_text(st, 3));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -1;
	} else {
		xasprintf(cause, "approvals: %s", sqlite3_errmsg(db));
		rc = -2;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Move pending row `id` to `to` as `actor` (scope for an approval; an
 * "always" one adds its rule), with its audit entry, in one transaction;
 * then approval.resolved and the waiter's wake.  0, -1, APPROVALS_UNKNOWN
 * or APPROVALS_DECIDED, with *cause.
 */
static int
approvals_decide(sqlite3 *db, const char *id, enum approval_state to,
    const char *scope, const char *actor, const char *note, char **cause)
{
	char state[16], *principal = NULL, *tool = NULL, *input = NULL;
	const char *op = approvals_state_name(to);
	int64_t now = time_wall_ms(), rule = 0;
	json_t *detail = NULL, *ev = NULL;
	int rc = -1, r;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		xasprintf(cause, "approvals: %s", sqlite3_errmsg(db));
		return -1;
	}
	r = approvals_row(db, id, state, sizeof state, &principal, &tool,
	    &input, cause);
	if (r == -1) {
		xasprintf(cause, "no approval %s", id);
		rc = APPROVALS_UNKNOWN;
		goto fail;
	}
	if (r != 0)
		goto fail;
	if (strcmp(state, "pending") != 0) {
		xasprintf(cause, "approval %s is already %s", id, state);
		rc = APPROVALS_DECIDED;
		goto fail;
	}
	if (to == APPROVAL_APPROVED && scope != NULL &&
	    strcmp(scope, "always") == 0) {
		if (db_exec(db,
			"INSERT INTO policy_rules (principal, tool, match, "
			"created_at, created_by, approval_id) VALUES (?, ?, "
			"?, ?, ?, ?)",
			"tttItt", principal, tool, input, now, actor, id) < 0)
			goto sqlerr;
		rule = sqlite3_last_insert_rowid(db);
	}
	if (to != APPROVAL_APPROVED)
		scope = NULL;
	else if (scope == NULL)
		scope = "once";
	if (db_exec(db,
		"UPDATE approvals SET state = ?, scope = ?, rule_id = ?, "
		"decided_at = ?, decided_by = ?, note = ? WHERE id = ? AND "
		"state = 'pending'",
		"ttNIttt", op, scope, rule, now, actor, note, id) < 0)
		goto sqlerr;
	detail =
	    json_pack("{s:s, s:s, s:s?}", "op", op, "id", id, "scope", scope);
	if (rule > 0)
		json_object_set_new(detail, "rule_id", json_integer(rule));
	if (note != NULL)
		json_object_set_new(detail, "reason", json_string(note));
	if (audit_append_tx(db, actor, AUDIT_APPROVAL, tool, detail, cause) < 0)
		goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlerr;
	ev = json_pack("{s:s, s:s, s:s?, s:s}", "id", id, "state", op, "scope",
	    scope, "by", actor);
	json_object_set_new(ev, "rule_id",
	    rule > 0 ? json_integer(rule) : json_null());
	events_emit(EVENT_APPROVAL_RESOLVED, ev);
	if (rule > 0) {
		json_decref(ev);
		ev = json_pack("{s:s, s:I, s:s, s:s, s:s}", "op", "rule_add",
		    "rule_id", (json_int_t)rule, "principal", principal, "tool",
		    tool, "by", actor);
		events_emit(EVENT_PERMISSIONS_CHANGED, ev);
	}
	approvals_wake(id);
	rc = 0;
	goto out;
sqlerr:
	xasprintf(cause, "approvals: %s", sqlite3_errmsg(db));
fail:
	approvals_rollback(db);
out:
	json_decref(detail);
	json_decref(ev);
	free(principal);
	free(tool);
	free(input);
	return rc;
}

int
approvals_answer(sqlite3 *db, const char *id, int approve, const char *scope,
    const char *actor, json_t **out, char **cause)
{
	int rc;

	if (out != NULL)
		*out = NULL;
	if (scope != NULL && strcmp(scope, "once") != 0 &&
	    strcmp(scope, "always") != 0) {
		xasprintf(cause, "scope must be once or always, not %s", scope);
		return -1;
	}
	rc = approvals_decide(db, id,
	    approve ? APPROVAL_APPROVED : APPROVAL_REJECTED, scope, actor, NULL,
	    cause);
	if (rc == 0 && out != NULL &&
	    (*out = approvals_get(db, id, cause)) == NULL)
		rc = -1;
	return rc;
}

int
approvals_reject(sqlite3 *db, const char *id, const char *actor,
    const char *reason, json_t **out, char **cause)
{
	int rc;

	if (out != NULL)
		*out = NULL;
	if (reason != NULL && *reason == '\0')
		reason = NULL;
	if (reason != NULL &&
	    (strlen(reason) > APPROVALS_MAX_NOTE ||
		!utf8_valid(reason, strlen(reason)))) {
		xasprintf(cause,
		    "the reason must be UTF-8 text of at most %d bytes",
		    APPROVALS_MAX_NOTE);
		return APPROVALS_BAD;
	}
	rc = approvals_decide(db, id, APPROVAL_REJECTED, NULL, actor, reason,
	    cause);
	if (rc == 0 && out != NULL &&
	    (*out = approvals_get(db, id, cause)) == NULL)
		rc = -1;
	return rc;
}

/* A final state: an expiry or a cancel, unless an answer came first. */
static enum approval_state
approvals_end(sqlite3 *db, const char *id, enum approval_state to)
{
	char state[16], *cause = NULL;
	int r;

	r = approvals_decide(db, id, to, NULL, "system", NULL, &cause);
	if (r == -1)
		log_warn("approvals: %s: %s", id, cause);
	free(cause);
	cause = NULL;
	if (r == 0)
		return to;
	r = approvals_row(db, id, state, sizeof state, NULL, NULL, NULL,
	    &cause);
	free(cause);
	return r == 0 ? approvals_state_parse(state) : APPROVAL_EXPIRED;
}

enum approval_state
approvals_wait(sqlite3 *db, const char *id, struct cancel *stop,
    int64_t expires_ms, void (*progress)(void *), void *arg)
{
	struct approvals_waiter w, **pp;
	struct pollfd pfd;
	enum approval_state got;
	char state[16], *cause = NULL;
	int64_t now;
	uint64_t drain;
	long wait;
	int r;

	memset(&w, 0, sizeof w);
	snprintf(w.id, sizeof w.id, "%s", id);
	w.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_lock(&approvals_lock);
	w.next = approvals_waiters;
	approvals_waiters = &w;
	pthread_mutex_unlock(&approvals_lock);
	for (;;) {
		r = approvals_row(db, id, state, sizeof state, NULL, NULL, NULL,
		    &cause);
		if (r == -1) {
			got = APPROVAL_EXPIRED;
			break;
		}
		if (r == 0 && strcmp(state, "pending") != 0) {
			got = approvals_state_parse(state);
			break;
		}
		if (r != 0) { /* a busy database: read again next tick */
			log_warn("%s: %s", __func__, cause);
			free(cause);
			cause = NULL;
		}
		if (cancel_fired(stop)) {
			got = approvals_end(db, id, APPROVAL_CANCELLED);
			break;
		}
		if ((now = time_wall_ms()) >= expires_ms) {
			got = approvals_end(db, id, APPROVAL_EXPIRED);
			break;
		}
		if (progress != NULL)
			progress(arg);
		wait = expires_ms - now;
		if (wait > APPROVALS_POLL_MS)
			wait = APPROVALS_POLL_MS;
		pfd.fd = w.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (cancel_poll(stop, &pfd, w.fd >= 0 ? 1 : 0, (int)wait) > 0 &&
		    (pfd.revents & POLLIN) &&
		    read(w.fd, &drain, sizeof drain) < 0 && errno != EAGAIN)
			log_warn("%s: %s", __func__, strerror(errno));
	}
	pthread_mutex_lock(&approvals_lock);
	for (pp = &approvals_waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &w) {
			*pp = w.next;
			break;
		}
	pthread_mutex_unlock(&approvals_lock);
	if (w.fd >= 0)
		close(w.fd);
	return got;
}

json_t *
approvals_get(sqlite3 *db, const char *id, char **cause)
{
	const char *p[] = { id };
	char *ignored = NULL;
	json_t *v;

	if (cause == NULL) {
		v = approvals_get(db, id, &ignored);
		free(ignored);
		return v;
	}
	return db_row(db,
	    "SELECT id, principal, agent_id, session_id, tool, input, "
	    "summary, reason, danger, state, scope, rule_id, created_at, "
	    "expires_at, decided_at, decided_by, note FROM approvals WHERE id = "
	    "?1",
	    1, p, cause);
}

json_t *
approvals_list(sqlite3 *db, int all, long limit, char **cause)
{
	char *ignored = NULL;
	json_t *v;

	if (cause == NULL) {
		v = approvals_list(db, all, limit, &ignored);
		free(ignored);
		return v;
	}
	return db_rows(db,
	    all ? "SELECT id, principal, agent_id, session_id, tool, input, "
		  "summary, reason, danger, state, scope, rule_id, "
		  "created_at, expires_at, decided_at, decided_by, note "
		  "FROM approvals ORDER BY created_at DESC, id" :
		  "SELECT id, principal, agent_id, session_id, tool, input, "
		  "summary, reason, danger, state, scope, rule_id, "
		  "created_at, expires_at, decided_at, decided_by, note "
		  "FROM approvals WHERE state = 'pending' ORDER BY created_at, "
		  "id",
	    0, NULL, limit > 0 ? (size_t)limit : 1, cause);
}

int
approvals_sweep(sqlite3 *db, char **cause)
{
	json_t *detail = NULL;
	int64_t n;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		SQLITE_OK ||
	    (n = db_exec(db,
		 "UPDATE approvals SET state = 'expired', decided_at = ?, "
		 "decided_by = 'system' WHERE state = 'pending'",
		 "I", time_wall_ms())) < 0)
		goto sqlerr;
	if (n > 0) {
		detail = json_pack("{s:s, s:i, s:s}", "op", "expired", "count",
		    (int)n, "why", "the daemon restarted");
		if (audit_append_tx(db, "system", AUDIT_APPROVAL, "", detail,
			cause) < 0) {
			n = -1;
			goto fail;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlerr;
	goto out;
sqlerr:
	n = -1;
	xasprintf(cause, "approvals: %s", sqlite3_errmsg(db));
fail:
	approvals_rollback(db);
out:
	json_decref(detail);
	return (int)n;
}
