/*
 * expand.h — query expansion: a short search query rewritten by the chat
 * model (through the gate) into related terms, cached per query and
 * model; and the strict parser of the model's answer (outside input).
 */
#ifndef OXIOS_MEMORY_EXPAND_H
#define OXIOS_MEMORY_EXPAND_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#define EXPAND_MAX_ANSWER 1024 /* bytes of the model's answer read */
#define EXPAND_MAX_TERMS 8     /* words added to a query */
#define EXPAND_MAX_TERM 32     /* bytes of one word */
#define EXPAND_MAX_WORDS 6     /* longer queries are not expanded */
#define EXPAND_MAX_QUERY 200   /* nor are queries of more bytes */
#define EXPAND_CACHE_MAX 1000  /* rows of memory_expansions */
#define EXPAND_CACHE_DAYS 30   /* how long an answer is used */
#define EXPAND_DAY_MS (24LL * 3600 * 1000)
/* Room for the terms: EXPAND_MAX_TERMS words and their spaces. */
#define EXPAND_TERMS_SIZE (EXPAND_MAX_TERMS * (EXPAND_MAX_TERM + 1) + 1)

/*
 * The terms of the model's answer s[0..len): a JSON array of strings, or
 * one line of words (separated by spaces or commas).  Each string holds
 * letters, digits, UTF-8, spaces, hyphens and apostrophes only; it is cut
 * into words (at spaces and hyphens, apostrophes dropped), lower-cased
 * (ASCII), and words shorter than 2 bytes, longer than EXPAND_MAX_TERM,
 * repeated, or words of `query` (may be NULL) are left out; at most
 * EXPAND_MAX_TERMS.  0 with out[size] the words joined by spaces, or -1
 * with *why (a static string): too long, not that shape, a character
 * that does not belong, or no word left.
 */
int expand_parse(const char *s, size_t len, const char *query, char *out,
    size_t size, const char **why);

/*
 * The query as the cache keys it: ASCII lower-cased, runs of white space
 * one space, trimmed, into out[size].  Returns its number of words, or
 * -1 if it does not fit.
 */
int expand_normalise(const char *q, char *out, size_t size);

/*
 * The cache (memory_expansions): the terms of (key, model), younger than
 * EXPAND_CACHE_DAYS at now_ms, into out[size]: 1, or 0 if none.
 */
int expand_cache_get(sqlite3 *db, const char *key, const char *model,
    int64_t now_ms, char *out, size_t size);
/* Remember terms for (key, model) at now_ms; rows older than
 * EXPAND_CACHE_DAYS go, and the oldest beyond EXPAND_CACHE_MAX.  Best
 * effort (a failure is no error: the next search asks again). */
void expand_cache_put(sqlite3 *db, const char *key, const char *model,
    const char *terms, int64_t now_ms);

#endif
