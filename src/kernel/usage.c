/*
 * usage.c — the usage report (kernel/usage.h): llm_calls grouped by one
 * dimension of usage_dim_table[], each group's tokens and cost summed in
 * one prepared statement.
 *
 * The statement is put together from constant strings only: the group's
 * expression from the table, the window and agent conditions as fixed
 * text whose values are bound.  started_at is RFC 3339 UTC with
 * milliseconds as the gate writes it, so a window is a text comparison
 * with a time written the same way (and can use llm_calls_started).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/usage.h"
#include "util/time.h"
#include "util/xalloc.h"

struct usage_dim {
	const char *name;
	const char *expr; /* SQL over llm_calls: the group's key */
};

static const struct usage_dim usage_dim_table[] = {
	{ "phase", "phase" },
	{ "model", "provider || '/' || model" },
	{ "principal", "principal" },
	{ "class", "class" },
	{ "kind", "kind" },
	{ "day", "substr(started_at, 1, 10)" },
	{ NULL, NULL },
};

/* The longest relative window: ten years. */
#define USAGE_MAX_BACK_MS (3653 * 24 * 3600 * 1000LL)

const char *
usage_dims(void)
{
	return "phase model principal class kind day";
}

static const struct usage_dim *
usage_dim_find(const char *by)
{
	const struct usage_dim *d;

	if (by == NULL)
		return NULL;
	for (d = usage_dim_table; d->name != NULL; d++)
		if (strcmp(d->name, by) == 0)
			return d;
	return NULL;
}

int
usage_dim_ok(const char *by)
{
	return usage_dim_find(by) != NULL;
}

/* `n` decimal digits at *p into *v (advancing *p): 0, or -1. */
static int
usage_digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

/* "24h", "7d", ...: the start `now_ms` less the span into *at; 0, or -1. */
static int
usage_since_relative(const char *s, int64_t now_ms, int64_t *at)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 's', 1000LL }, { 'm', 60000LL }, { 'h', 3600000LL },
		{ 'd', 86400000LL }, { 'w', 604800000LL } };
	long long n = 0;
	size_t i;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		n = n * 10 + (*s - '0');
		if (n > USAGE_MAX_BACK_MS / 1000)
			return -1;
	}
	if (s[0] == '\0' || s[1] != '\0')
		return -1;
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (units[i].unit == *s) {
			if (n * units[i].ms > USAGE_MAX_BACK_MS)
				return -1;
			*at = now_ms - n * units[i].ms;
			return 0;
		}
	return -1;
}

/*
 * An RFC 3339 date or time: "YYYY-MM-DD", or with "THH:MM[:SS[.frac]]"
 * and a zone ("Z", "+HH:MM", "-HH:MM"; none: UTC) into *at; 0, or -1.
 */
static int
usage_since_time(const char *s, int64_t *at)
{
	struct tm tm, chk;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign;
	int64_t frac = 0, scale = 100, off = 0;
	time_t t;

	if (usage_digits(&s, 4, &y) != 0 || *s++ != '-' ||
	    usage_digits(&s, 2, &mo) != 0 || *s++ != '-' ||
	    usage_digits(&s, 2, &d) != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (usage_digits(&s, 2, &h) != 0 || h > 23 || *s++ != ':' ||
		    usage_digits(&s, 2, &mi) != 0 || mi > 59)
			return -1;
		if (*s == ':') {
			s++;
			if (usage_digits(&s, 2, &sec) != 0 || sec > 59)
				return -1;
		}
		if (*s == '.') {
			if (!isdigit((unsigned char)*++s))
				return -1;
			for (; isdigit((unsigned char)*s); s++) {
				frac += (*s - '0') * scale;
				scale /= 10;
			}
		}
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (usage_digits(&s, 2, &oh) != 0 || oh > 23 ||
			    *s++ != ':' || usage_digits(&s, 2, &om) != 0 ||
			    om > 59)
				return -1;
			off = sign * (oh * 60 + om) * 60000LL;
		}
	}
	if (*s != '\0')
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &chk) == NULL ||
	    chk.tm_mday != d || chk.tm_mon != mo - 1)
		return -1; /* 2026-02-30 */
	*at = (int64_t)t * 1000 + frac - off;
	return *at >= 0 ? 0 : -1;
}

int
usage_since_parse(const char *s, int64_t now_ms, char *out, size_t size,
    char **cause)
{
	int64_t at;

	if (s == NULL || size < USAGE_SINCE_MAX ||
	    (usage_since_relative(s, now_ms, &at) != 0 &&
		usage_since_time(s, &at) != 0) ||
	    at < 0) {
		xasprintf(cause,
		    "since: '%.64s' is neither a time back (a whole number "
		    "and s, m, h, d or w: 24h, 7d) nor an RFC 3339 date or "
		    "time (2026-12-01, 2026-12-01T10:00:00Z)",
		    s != NULL ? s : "");
		return -1;
	}
	time_rfc3339(at, out, size);
	return 0;
}

int
usage_until_parse(const char *s, int64_t now_ms, int64_t *at, char **cause)
{
	int64_t back;

	if (s != NULL && usage_since_relative(s, now_ms, &back) == 0) {
		*at = now_ms + (now_ms - back);
		return 0;
	}
	if (s == NULL || usage_since_time(s, at) != 0) {
		xasprintf(cause,
		    "'%.64s' is neither a time ahead (a whole number and s, "
		    "m, h, d or w: 24h, 30d) nor an RFC 3339 date or time "
		    "(2027-01-01, 2027-01-01T10:00:00Z)",
		    s != NULL ? s : "");
		return -1;
	}
	return 0;
}

/* Add the figures of `r` to `t`. */
static void
usage_add(struct usage_row *t, const struct usage_row *r)
{
	t->calls += r->calls;
	t->errors += r->errors;
	t->input_tokens += r->input_tokens;
	t->output_tokens += r->output_tokens;
	t->cache_read_tokens += r->cache_read_tokens;
	t->cache_write_tokens += r->cache_write_tokens;
	t->unpriced_calls += r->unpriced_calls;
	if (r->priced) {
		t->cost_usd += r->cost_usd;
		t->priced = 1;
	}
}

int
usage_report(sqlite3 *db, const char *by, const struct usage_filter *f,
    struct usage_report *out, char **cause)
{
	const struct usage_dim *d;
	sqlite3_stmt *st = NULL;
	struct usage_row *r;
	char *sql = NULL;
	size_t cap = 0;
	int rc = -1, i = 1, step;

	memset(out, 0, sizeof *out);
	out->total.key = xstrdup("total");
	if ((d = usage_dim_find(by)) == NULL) {
		xasprintf(cause, "unknown dimension '%.32s' (try: %s)",
		    by != NULL ? by : "", usage_dims());
		goto out;
	}
	xasprintf(&sql,
	    "SELECT %s, COUNT(*), "
	    "SUM(CASE WHEN status <> 'ok' THEN 1 ELSE 0 END), "
	    "SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), "
	    "SUM(cache_write_tokens), SUM(cost_usd), "
	    "SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) "
	    "FROM llm_calls WHERE 1 = 1%s%s%s GROUP BY 1 "
	    "ORDER BY COALESCE(SUM(cost_usd), 0) DESC, "
	    "SUM(input_tokens) + SUM(output_tokens) DESC, 1",
	    d->expr, f->since != NULL ? " AND started_at >= ?" : "",
	    f->agent_id != NULL ? " AND agent_id = ?" : "",
	    f->session_id != NULL ? " AND agent_id IN (SELECT id FROM "
				    "agents WHERE session_id = ?)" :
				    "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		xasprintf(cause, "usage: %s", sqlite3_errmsg(db));
		goto out;
	}
	if (f->since != NULL)
		sqlite3_bind_text(st, i++, f->since, -1, SQLITE_STATIC);
	if (f->agent_id != NULL)
		sqlite3_bind_text(st, i++, f->agent_id, -1, SQLITE_STATIC);
	if (f->session_id != NULL)
		sqlite3_bind_text(st, i++, f->session_id, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			out->rows = xreallocarray(out->rows, cap, sizeof *r);
		}
		r = &out->rows[out->n++];
		memset(r, 0, sizeof *r);
		r->key = xstrdup(sqlite3_column_type(st, 0) == SQLITE_NULL ?
			"" :
			(const char *)sqlite3_column_text(st, 0));
		r->calls = sqlite3_column_int64(st, 1);
		r->errors = sqlite3_column_int64(st, 2);
		r->input_tokens = sqlite3_column_int64(st, 3);
		r->output_tokens = sqlite3_column_int64(st, 4);
		r->cache_read_tokens = sqlite3_column_int64(st, 5);
		r->cache_write_tokens = sqlite3_column_int64(st, 6);
		r->priced = sqlite3_column_type(st, 7) != SQLITE_NULL;
		r->cost_usd = r->priced ? sqlite3_column_double(st, 7) : 0;
		r->unpriced_calls = sqlite3_column_int64(st, 8);
		usage_add(&out->total, r);
	}
	if (step != SQLITE_DONE) {
		xasprintf(cause, "usage: %s", sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	free(sql);
	if (rc != 0)
		usage_report_free(out);
	return rc;
}

void
usage_report_free(struct usage_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->rows[i].key);
	free(r->rows);
	free(r->total.key);
	memset(r, 0, sizeof *r);
}

/* One row as JSON: new reference. */
static json_t *
usage_row_json(const struct usage_row *r)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:b}",
	    "key", r->key, "calls", (json_int_t)r->calls, "errors",
	    (json_int_t)r->errors, "input_tokens", (json_int_t)r->input_tokens,
	    "output_tokens", (json_int_t)r->output_tokens, "cache_read_tokens",
	    (json_int_t)r->cache_read_tokens, "cache_write_tokens",
	    (json_int_t)r->cache_write_tokens, "cost_usd",
	    r->priced ? json_real(r->cost_usd) : json_null(), "unpriced_calls",
	    (json_int_t)r->unpriced_calls, "partial",
	    r->priced && r->unpriced_calls > 0);
}

json_t *
usage_report_json(const struct usage_report *r, const char *by,
    const struct usage_filter *f)
{
	json_t *rows = json_array();
	size_t i;

	for (i = 0; i < r->n; i++)
		json_array_append_new(rows, usage_row_json(&r->rows[i]));
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "by", by, "since",
	    f->since != NULL ? json_string(f->since) : json_null(), "agent",
	    f->agent_id != NULL ? json_string(f->agent_id) : json_null(),
	    "session",
	    f->session_id != NULL ? json_string(f->session_id) : json_null(),
	    "rows", rows, "total", usage_row_json(&r->total));
}
