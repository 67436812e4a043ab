/*
 * expand.c — query expansion.
 *
 * Before a search (memory_search() with a configuration), a short query
 * (at most EXPAND_MAX_WORDS words) is sent to the chat model
 * (engine.default_model) through the gate — gate_call() without a scope:
 * background priority, the global budgets, recorded in llm_calls with
 * phase "expand" — which answers with related words ("indentation" →
 * tabs spaces indent); the search then looks for the query and them.
 * memory.query_expansion: off, auto (when the default model's provider
 * is configured), on (always try: a missing key is a failure, said).
 *
 * The answer is outside input: read up to EXPAND_MAX_ANSWER bytes and
 * parsed strictly (expand_parse()).  Answers are cached per normalised
 * query and model in memory_expansions (at most EXPAND_CACHE_MAX rows,
 * younger than EXPAND_CACHE_DAYS), so a repeated search asks nothing.
 * Nothing here fails a search: a refusal (budget), an error or a bad
 * answer leaves the query as it was, and the recall says why.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/gate.h"
#include "llm/models.h"
#include "memory/expand.h"
#include "memory/memory_int.h"
#include "store/db.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define EXPAND_MAX_ITEMS 32 /* strings of a JSON answer */

static int
expand_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

static int
expand_wordc(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

int
expand_normalise(const char *q, char *out, size_t size)
{
	size_t o = 0;
	int words = 0, gap = 1;

	if (size == 0)
		return -1;
	for (; *q != '\0'; q++) {
		unsigned char c = (unsigned char)*q;

		if (expand_space(c)) {
			gap = 1;
			continue;
		}
		if (gap) {
			if (o > 0) {
				if (o + 1 >= size)
					return -1;
				out[o++] = ' ';
			}
			words++;
			gap = 0;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
	return words;
}

/* Whether `list` (words separated by single spaces) holds w[0..wl). */
static int
expand_has(const char *list, const char *w, size_t wl)
{
	const char *p = list;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, " ");
		if (n == wl && memcmp(p, w, wl) == 0)
			return 1;
		p += n;
		if (*p == ' ')
			p++;
	}
	return 0;
}

/* The query's words, lower-cased, at letters, digits and UTF-8. */
static void
expand_query_words(const char *q, char *out, size_t size)
{
	size_t o = 0;
	int gap = 0;

	out[0] = '\0';
	for (; q != NULL && *q != '\0' && o + 2 < size; q++) {
		unsigned char c = (unsigned char)*q;

		if (!expand_wordc(c)) {
			gap = o > 0;
			continue;
		}
		if (gap) {
			out[o++] = ' ';
			gap = 0;
		}
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
}

struct expand_out {
	char *out;
	size_t size, len;
	int count;
	const char *query; /* its words */
};

/* One word w[0..wl) (ASCII lower-cased here) for the list, unless it is
 * too short or long, known, or the list is full. */
static void
expand_add(struct expand_out *o, const char *w, size_t wl)
{
	char word[EXPAND_MAX_TERM + 1];
	size_t i;

	if (wl < 2 || wl > EXPAND_MAX_TERM || o->count >= EXPAND_MAX_TERMS)
		return;
	for (i = 0; i < wl; i++)
		word[i] = (char)tolower((unsigned char)w[i]);
	word[wl] = '\0';
	if (expand_has(o->out, word, wl) || expand_has(o->query, word, wl))
		return;
	if (o->len + wl + 2 > o->size)
		return;
	if (o->len > 0)
		o->out[o->len++] = ' ';
	memcpy(o->out + o->len, word, wl + 1);
	o->len += wl;
	o->count++;
}

/* The words of s[0..len): -1 at a character that does not belong. */
static int
expand_words(struct expand_out *o, const char *s, size_t len, int commas)
{
	char w[EXPAND_MAX_TERM + 2];
	size_t i, wl = 0;
	unsigned char c;

	for (i = 0; i <= len; i++) {
		c = i < len ? (unsigned char)s[i] : ' ';
		if (expand_wordc(c)) {
			if (wl <= EXPAND_MAX_TERM) /* longer: dropped */
				w[wl] = (char)c;
			wl++;
			continue;
		}
		if (c == '\'')
			continue; /* "don't" is one word */
		if (c != ' ' && c != '-' && !(commas && c == ','))
			return -1;
		if (wl > 0)
			expand_add(o, w, wl);
		wl = 0;
	}
	return 0;
}

int
expand_parse(const char *s, size_t len, const char *query, char *out,
    size_t size, const char **why)
{
	char qwords[EXPAND_MAX_QUERY * 2 + 2];
	struct expand_out o = { out, size, 0, 0, qwords };
	json_error_t jerr;
	json_t *a, *v;
	size_t i;

	if (size == 0)
		return -1;
	out[0] = '\0';
	if (len > EXPAND_MAX_ANSWER) {
		*why = "the answer is too long";
		return -1;
	}
	while (len > 0 && expand_space((unsigned char)*s)) {
		s++;
		len--;
	}
	while (len > 0 && expand_space((unsigned char)s[len - 1]))
		len--;
	expand_query_words(query, qwords, sizeof qwords);
	if (len > 0 && s[0] == '[') {
		if ((a = json_loadb(s, len, 0, &jerr)) == NULL ||
		    !json_is_array(a) ||
		    json_array_size(a) > EXPAND_MAX_ITEMS) {
			json_decref(a);
			*why = "the answer is not a JSON array of at most 32 "
			       "strings";
			return -1;
		}
		json_array_foreach(a, i, v) {
			if (!json_is_string(v) ||
			    expand_words(&o, json_string_value(v),
				json_string_length(v), 0) != 0) {
				json_decref(a);
				out[0] = '\0';
				*why = "the answer holds something other than "
				       "words";
				return -1;
			}
		}
		json_decref(a);
	} else if (memchr(s, '\n', len) != NULL || !utf8_valid(s, len) ||
	    expand_words(&o, s, len, 1) != 0) {
		out[0] = '\0';
		*why = "the answer is not one line of words";
		return -1;
	}
	if (o.count == 0) {
		*why = "the answer has no new word";
		return -1;
	}
	return 0;
}

int
expand_cache_get(sqlite3 *db, const char *key, const char *model,
    int64_t now_ms, char *out, size_t size)
{
	sqlite3_stmt *st;
	int found = 0;

	if ((st = db_prepare(db,
		 "SELECT terms FROM memory_expansions WHERE query = ?1 AND "
		 "model = ?2 AND created_ms >= ?3",
		 "ttI", key, model,
		 (int64_t)(now_ms - EXPAND_CACHE_DAYS * EXPAND_DAY_MS))) ==
	    NULL)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (size_t)sqlite3_column_bytes(st, 0) < size) {
		snprintf(out, size, "%s", sqlite3_column_text(st, 0));
		found = out[0] != '\0';
	}
	sqlite3_finalize(st);
	return found;
}

void
expand_cache_put(sqlite3 *db, const char *key, const char *model,
    const char *terms, int64_t now_ms)
{
	/* Each on its own: a failed one does not keep the next. */
	db_exec(db,
	    "INSERT INTO memory_expansions (query, model, terms, created_ms) "
	    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (query, model) DO UPDATE "
	    "SET terms = excluded.terms, created_ms = excluded.created_ms",
	    "tttI", key, model, terms, (int64_t)now_ms);
	db_exec(db, "DELETE FROM memory_expansions WHERE created_ms < ?1", "I",
	    (int64_t)(now_ms - EXPAND_CACHE_DAYS * EXPAND_DAY_MS));
	db_exec(db,
	    "DELETE FROM memory_expansions WHERE id IN (SELECT id FROM "
	    "memory_expansions ORDER BY created_ms DESC, id DESC LIMIT -1 "
	    "OFFSET ?1)",
	    "i", (int)EXPAND_CACHE_MAX);
}

/* Whether the provider of `spec` ("provider/model") is configured. */
static void
expand_not(struct mem_recall *r, const char *expansion, const char *why)
{
	snprintf(r->expansion, sizeof r->expansion, "%s", expansion);
	snprintf(r->why, sizeof r->why, "%s", why);
	r->terms[0] = '\0';
}

int
memory_expand_due(const struct config *cfg, const char *text)
{
	char key[EXPAND_MAX_QUERY + 1];
	const char *set;
	int words;

	if (cfg == NULL || text == NULL ||
	    (set = config_str(cfg, "memory.query_expansion")) == NULL ||
	    strcmp(set, "off") == 0)
		return 0;
	words = expand_normalise(text, key, sizeof key);
	if (words < 1 || words > EXPAND_MAX_WORDS)
		return 0;
	return strcmp(set, "on") == 0 ||
	    llm_model_configured(cfg, config_str(cfg, "engine.default_model"));
}

/* Ask the model for the terms of `query` into r->terms: 0, or -1 with
 * r->why. */
static int
expand_ask(const struct config *cfg, const char *spec, const char *query,
    const struct cancel *cancel, struct mem_recall *r)
{
	struct llm_request req;
	struct llm_response resp;
	struct llm_error err;
	const char *why = NULL;
	json_t *messages;
	char *text;
	int rc;

	messages = json_pack("[{s:s, s:s}]", "role", "user", "content", query);
	if (messages == NULL) {
		snprintf(r->why, sizeof r->why, "the query is not UTF-8");
		return -1;
	}
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.system =
	    "You expand search queries for a store of notes. Answer with a "
	    "JSON array of at most 8 single words that notes about the "
	    "query may use instead of its own words (synonyms, narrower and "
	    "broader terms), lower case, and nothing else.";
	req.messages = messages;
	req.max_tokens = 100;
	req.temperature = 0;
	req.phase = "expand";
	rc = gate_call(cfg, spec, &req, NULL, NULL,
	    cancel != NULL ? cancel : mem_stop(), &resp, NULL, &err);
	json_decref(messages);
	if (rc != 0) {
		snprintf(r->why, sizeof r->why, "%.250s", err.message);
		return -1;
	}
	text = llm_response_text(&resp);
	llm_response_free(&resp);
	rc = expand_parse(text, strlen(text), query, r->terms, sizeof r->terms,
	    &why);
	free(text);
	if (rc != 0)
		snprintf(r->why, sizeof r->why, "%s", why);
	return rc;
}

void
mem_expand(sqlite3 *db, const struct mem_query *q, struct mem_recall *r)
{
	char key[EXPAND_MAX_QUERY + 1];
	const char *set, *spec;
	int words;

	set = config_str(q->cfg, "memory.query_expansion");
	if (set == NULL || strcmp(set, "off") == 0) {
		expand_not(r, "off", "memory.query_expansion is off");
		return;
	}
	words = expand_normalise(q->text, key, sizeof key);
	if (words < 1 || words > EXPAND_MAX_WORDS) {
		expand_not(r, "skipped",
		    "only queries of 1 to 6 words are expanded");
		return;
	}
	spec = config_str(q->cfg, "engine.default_model");
	if (strcmp(set, "auto") == 0 && !llm_model_configured(q->cfg, spec)) {
		expand_not(r, "off",
		    "no chat model: the provider of engine.default_model has "
		    "no key");
		return;
	}
	if (spec != NULL &&
	    expand_cache_get(db, key, spec, time_wall_ms(), r->terms,
		sizeof r->terms)) {
		snprintf(r->expansion, sizeof r->expansion, "cached");
		return;
	}
	if (expand_ask(q->cfg, spec, key, q->cancel, r) != 0) {
		snprintf(r->expansion, sizeof r->expansion, "failed");
		r->terms[0] = '\0';
		return;
	}
	snprintf(r->expansion, sizeof r->expansion, "expanded");
	if (spec != NULL)
		expand_cache_put(db, key, spec, r->terms, time_wall_ms());
}

void
memory_recall_line(const struct mem_recall *r, char *out, size_t size)
{
	int n;

	if (strcmp(r->how, "fts") == 0 && !r->vector_failed)
		n = snprintf(out, size, "recall: fts");
	else if (r->vector_failed)
		n = snprintf(out, size, "recall: fts (embedder %s failed)",
		    r->embedder);
	else
		n = snprintf(out, size, "recall: %s (embedder %s)", r->how,
		    r->embedder);
	if (n < 0 || (size_t)n >= size)
		return;
	if (strcmp(r->expansion, "expanded") == 0)
		snprintf(out + n, size - (size_t)n, ", expanded: %s", r->terms);
	else if (strcmp(r->expansion, "cached") == 0)
		snprintf(out + n, size - (size_t)n, ", expanded (cached): %s",
		    r->terms);
	else if (r->expansion[0] != '\0')
		snprintf(out + n, size - (size_t)n, ", not expanded: %s",
		    r->why);
}

json_t *
memory_recall_json(const struct mem_recall *r)
{
	json_t *j, *terms = json_array();
	const char *p = r->terms;
	size_t n;

	while (*p != '\0') {
		n = strcspn(p, " ");
		json_array_append_new(terms, json_stringn(p, n));
		p += n;
		if (*p == ' ')
			p++;
	}
	j = json_pack("{s:s, s:s, s:b, s:s, s:o}", "how", r->how, "embedder",
	    r->embedder, "vector_failed", r->vector_failed, "expansion",
	    r->expansion[0] != '\0' ? r->expansion : "off", "terms", terms);
	if (r->why[0] != '\0')
		json_object_set_new(j, "why", json_string(r->why));
	return j;
}
