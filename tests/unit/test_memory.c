/*
 * test_memory.c — the memory subsystem: decay and protection, tiers, the
 * TF-IDF embedder, classification, reciprocal rank fusion, dream
 * consolidation and pruning, input checks (nothing stored on error), the
 * index file (saved, loaded, rebuilt, synced with other connections),
 * forgetting, and the reasoning bank.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"
#include "memory/embed.h"
#include "memory/memory.h"
#include "memory/memory_int.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/time.h"
#include "memdb.h"

#define HOUR_MS 3600000LL

/* Doubles within eps (cmocka has only floats). */
#define assert_double_equal(a, b, eps) \
	assert_near((double)(a), (double)(b), (double)(eps), #a, __FILE__, \
	    __LINE__)

static void
assert_near(double a, double b, double eps, const char *what, const char *file,
    int line)
{
	if (!(fabs(a - b) <= eps)) {
		print_error("%s: %.12g != %.12g (+- %g)\n", what, a, b, eps);
		_fail(file, line);
	}
}

static struct memdb mdb;
static sqlite3 *db;        /* mdb.db */
static struct config *cfg; /* mdb.cfg */

/* ---- fixtures ---- */

static int
setup_cfg(const char *config_text)
{
	if (memdb_setup(&mdb, "memory", config_text) != 0)
		return -1;
	db = mdb.db;
	cfg = mdb.cfg;
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	return setup_cfg("");
}

/* The TF-IDF embedder (the default is the local one): for the tests of
 * TF-IDF itself and of what they build on its 256 hashed dimensions. */
static int
setup_tfidf(void **state)
{
	(void)state;
	return setup_cfg("[memory]\nembedder = \"tfidf\"\n");
}

/* A small hot tier: 30 tokens. */
static int
setup_small_hot(void **state)
{
	(void)state;
	return setup_cfg("[memory]\nhot_tokens = 30\n");
}

static int
teardown(void **state)
{
	(void)state;
	memdb_teardown(&mdb);
	db = NULL;
	cfg = NULL;
	return 0;
}

/* ---- helpers ---- */

/* A memory of `type`, untagged, its protection and weight the type's. */
static int64_t
add(const char *content, int type)
{
	return memdb_add(db, content, type, -1, -1, NULL);
}

static long long
scalar(sqlite3 *d, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(d, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static long long
scalarf(const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return scalar(db, sql);
}

static void
exec(sqlite3 *d, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(d, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static void
execf(sqlite3 *d, const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	exec(d, sql);
}

/* Pretend a memory was last used `hours` ago. */
static void
age(int64_t id, double hours)
{
	execf(db, "UPDATE memories SET last_access_ms = %lld WHERE id = %lld",
	    (long long)(time_wall_ms() - (int64_t)(hours * HOUR_MS)),
	    (long long)id);
}

static const char *
tier_of(int64_t id)
{
	static char buf[16];
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT tier FROM memories WHERE id = ?1", -1, &st,
			     NULL),
	    SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(buf, sizeof buf, "%s",
	    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

/* Search; the results (new reference). */
static json_t *
search(const char *text, enum mem_mode mode, size_t limit)
{
	struct mem_query q;
	char *cause = NULL;
	json_t *r;

	memset(&q, 0, sizeof q);
	q.text = text;
	q.mode = mode;
	q.limit = limit;
	q.type = -1;
	q.include_cold = 1;
	r = memory_search(db, &q, &cause);
	if (r == NULL)
		fail_msg("memory_search(%s): %s", text, cause);
	assert_true(json_is_array(r));
	return r;
}

/* The result for `id` in a search, or NULL. */
static json_t *
result_of(json_t *results, int64_t id)
{
	json_t *row;
	size_t i;

	json_array_foreach(results, i, row) {
		if (json_integer_value(json_object_get(row, "id")) == id)
			return row;
	}
	return NULL;
}

static long long
stat_index_vectors(void)
{
	char *cause = NULL;
	json_t *s = memory_stats(db, &cause);
	long long v;

	assert_non_null(s);
	v = json_integer_value(
	    json_object_get(json_object_get(s, "index"), "vectors"));
	json_decref(s);
	return v;
}

static double
dot(const float *a, const float *b, int n)
{
	double d = 0;
	int i;

	for (i = 0; i < n; i++)
		d += (double)a[i] * b[i];
	return d;
}

static double
norm2(const float *v, int n)
{
	return dot(v, v, n);
}

/* ---- decay and protection ---- */

static void
test_retention_formula(void **state)
{
	static const long long counts[] = { 0, 1, 3, 10, 100 };
	static const double hours[] = { 0, 1, 24, 500, 10000 };
	size_t c, h;
	int t, p;
	double want, rate, m;

	(void)state;
	for (t = 0; t < MEM_NTYPES; t++) {
		for (p = 0; p < PROT_NLEVELS; p++) {
			for (c = 0; c < sizeof counts / sizeof counts[0]; c++) {
				for (h = 0; h < sizeof hours / sizeof hours[0];
				     h++) {
					rate = mem_types[t].decay;
					m = mem_protect_multiplier(
					    (enum mem_protect)p);
					want = exp(-rate * m /
					    (1.0 +
						log(1.0 + (double)counts[c])) *
					    hours[h]);
					assert_double_equal(
					    mem_retention((enum mem_type)t,
						(enum mem_protect)p, counts[c],
						hours[h]),
					    want, 1e-12);
				}
			}
		}
	}
	/* Worked by hand: a preference (0.001/h), unprotected, never used,
	 * 100 hours: e^-0.1; a fact (0.004/h) at Low (x0.5), used once,
	 * 1000 hours: e^(-2 / (1 + ln 2)). */
	assert_double_equal(mem_retention(MEM_PREFERENCE, PROT_NONE, 0, 100),
	    exp(-0.1), 1e-12);
	assert_double_equal(mem_retention(MEM_FACT, PROT_LOW, 1, 1000),
	    exp(-2.0 / (1.0 + log(2.0))), 1e-12);
	/* Fresh memories are whole; the past is not negative. */
	assert_double_equal(mem_retention(MEM_SESSION, PROT_NONE, 0, 0), 1.0,
	    0);
	assert_double_equal(mem_retention(MEM_SESSION, PROT_NONE, 0, -50), 1.0,
	    0);
	/* Faster-fading types fade faster. */
	assert_true(mem_retention(MEM_CONVERSATION, PROT_NONE, 0, 48) <
	    mem_retention(MEM_FACT, PROT_NONE, 0, 48));
	assert_true(mem_retention(MEM_FACT, PROT_NONE, 0, 48) <
	    mem_retention(MEM_USER_PROFILE, PROT_NONE, 0, 48));
}

static void
test_retention_protection_and_use(void **state)
{
	double prev;
	long long n;
	int p;

	(void)state;
	/* No protection means no slowing; Permanent means no decay. */
	assert_double_equal(mem_protect_multiplier(PROT_NONE), 1.0, 0);
	assert_double_equal(mem_protect_multiplier(PROT_PERMANENT), 0.0, 0);
	assert_double_equal(mem_retention(MEM_CONVERSATION, PROT_PERMANENT, 0,
				1e7),
	    1.0, 0);
	assert_double_equal(mem_retention(MEM_EPISODE, PROT_PERMANENT, 50, 1e9),
	    1.0, 0);
	/* Each level keeps more than the one below it. */
	prev = -1;
	for (p = PROT_NONE; p < PROT_NLEVELS; p++) {
		double r =
		    mem_retention(MEM_EPISODE, (enum mem_protect)p, 0, 200);

		assert_true(r > prev);
		prev = r;
	}
	/* More accesses, slower decay. */
	prev = -1;
	for (n = 0; n <= 64; n = n * 2 + 1) {
		double r = mem_retention(MEM_EPISODE, PROT_NONE, n, 200);

		assert_true(r > prev);
		assert_true(r < 1.0);
		prev = r;
	}
}

static void
test_auto_protect(void **state)
{
	(void)state;
	assert_int_equal(mem_auto_protect(PROT_NONE, 0), PROT_NONE);
	assert_int_equal(mem_auto_protect(PROT_NONE, 3), PROT_NONE);
	assert_int_equal(mem_auto_protect(PROT_NONE, 4), PROT_LOW);
	assert_int_equal(mem_auto_protect(PROT_NONE, 9), PROT_LOW);
	assert_int_equal(mem_auto_protect(PROT_NONE, 10), PROT_MEDIUM);
	assert_int_equal(mem_auto_protect(PROT_NONE, 24), PROT_MEDIUM);
	assert_int_equal(mem_auto_protect(PROT_NONE, 25), PROT_HIGH);
	/* Use never earns Permanent: only people give that. */
	assert_int_equal(mem_auto_protect(PROT_NONE, 1000000), PROT_HIGH);
	/* Never lowers. */
	assert_int_equal(mem_auto_protect(PROT_HIGH, 0), PROT_HIGH);
	assert_int_equal(mem_auto_protect(PROT_HIGH, 5), PROT_HIGH);
	assert_int_equal(mem_auto_protect(PROT_MEDIUM, 4), PROT_MEDIUM);
	assert_int_equal(mem_auto_protect(PROT_PERMANENT, 0), PROT_PERMANENT);
	assert_int_equal(mem_auto_protect(PROT_PERMANENT, 30), PROT_PERMANENT);
	assert_int_equal(mem_auto_protect(PROT_LOW, 10), PROT_MEDIUM);
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < MEM_NTYPES; i++)
		assert_int_equal(mem_type_parse(mem_types[i].name), i);
	assert_int_equal(mem_type_parse("preference"), MEM_PREFERENCE);
	assert_int_equal(mem_type_parse("Preference"), -1);
	assert_int_equal(mem_type_parse(""), -1);
	assert_int_equal(mem_type_parse(NULL), -1);
	assert_int_equal(mem_tier_parse("cold"), TIER_COLD);
	assert_int_equal(mem_tier_parse("lukewarm"), -1);
	assert_int_equal(mem_protect_parse("permanent"), PROT_PERMANENT);
	assert_int_equal(mem_protect_parse("forever"), -1);
	assert_string_equal(mem_tier_name(TIER_HOT), "hot");
	assert_string_equal(mem_protect_name(PROT_MEDIUM), "medium");
}

/* ---- classification ---- */

static void
test_classify(void **state)
{
	static const struct {
		const char *text;
		enum mem_type want;
	} cases[] = {
		{ "My name is Ada and I live in London", MEM_USER_PROFILE },
		{ "I work as a nurse", MEM_USER_PROFILE },
		{ "Call me Bob", MEM_USER_PROFILE },
		{ "I prefer tabs over spaces", MEM_PREFERENCE },
		{ "My FAVOURITE editor is vim", MEM_PREFERENCE },
		{ "Always use UTC in logs", MEM_PREFERENCE },
		{ "We decided to ship on Fridays", MEM_DECISION },
		{ "Decision: postgres over mysql", MEM_DECISION },
		{ "Let's go with the blue logo", MEM_DECISION },
		{ "How to release: tag, build, upload", MEM_SKILL },
		{ "Step 1 open the lid", MEM_SKILL },
		{ "Usage: oxios run TEXT", MEM_SKILL },
		{ "User: hi\nAssistant: hello", MEM_CONVERSATION },
		{ "Yesterday the build broke", MEM_EPISODE },
		{ "We met at the conference", MEM_EPISODE },
		{ "In this session we fixed the parser", MEM_SESSION },
		{ "Session summary: three bugs fixed", MEM_SESSION },
		{ "A monad is a monoid in the category of endofunctors",
		    MEM_KNOWLEDGE },
		{ "HNSW refers to a graph index", MEM_KNOWLEDGE },
		{ "The server has 64 GB of RAM", MEM_FACT },
		{ "Paris", MEM_FACT },
		/* The order of the rules: a session beats everything, a
		 * profile beats a preference, a decision beats a skill. */
		{ "In this session I prefer short answers", MEM_SESSION },
		{ "My name is Eve and I like tea", MEM_USER_PROFILE },
		{ "We decided how to deploy", MEM_DECISION },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum mem_type got =
		    mem_classify(cases[i].text, strlen(cases[i].text));

		if (got != cases[i].want)
			fail_msg("'%s': %s, want %s", cases[i].text,
			    mem_types[got].name, mem_types[cases[i].want].name);
	}
	/* Only the first len bytes count. */
	assert_int_equal(mem_classify("I prefer tea", 5), MEM_FACT);
}

/* ---- the TF-IDF embedder ---- */

static void
test_embed_terms(void **state)
{
	const char *s = "Hello, HELLO hello World! the a I x "
			"\xc3\x9cn\xc3\xaf"
			"code \xe6\x97\xa5\xe6\x9c\xac "
			"abc123 it's";
	struct embed_term *t;
	size_t n;

	(void)state;
	n = embed_terms(s, strlen(s), &t);
	/* Sorted by bytes; stop words, one-letter words dropped; repeats
	 * counted; ASCII lower-cased, UTF-8 kept as it is. */
	assert_int_equal(n, 5);
	assert_string_equal(t[0].term, "abc123");
	assert_int_equal(t[0].tf, 1);
	assert_string_equal(t[1].term, "hello");
	assert_int_equal(t[1].tf, 3);
	assert_string_equal(t[2].term, "world");
	assert_int_equal(t[2].tf, 1);
	assert_string_equal(t[3].term,
	    "\xc3\x9cn\xc3\xaf"
	    "code");
	assert_string_equal(t[4].term, "\xe6\x97\xa5\xe6\x9c\xac");
	embed_terms_free(t, n);

	/* Nothing but stop words and punctuation: no terms. */
	n = embed_terms("The, and; of it!", 16, &t);
	assert_int_equal(n, 0);
	assert_null(t);
	n = embed_terms("", 0, &t);
	assert_int_equal(n, 0);
	/* The length counts, not the NUL. */
	n = embed_terms("alpha beta", 5, &t);
	assert_int_equal(n, 1);
	assert_string_equal(t[0].term, "alpha");
	embed_terms_free(t, n);
}

static void
test_embed_idf_and_vector(void **state)
{
	struct embed_term *t;
	long long df[2];
	float v[256];
	double big, small, a, b;
	size_t n;
	int i, nz;

	(void)state;
	/* ln((docs + 1) / (df + 1)) + 1 */
	assert_double_equal(embed_idf(0, 0), 1.0, 1e-12);
	assert_double_equal(embed_idf(9, 4), log(2.0) + 1.0, 1e-12);
	assert_double_equal(embed_idf(99, 0), log(100.0) + 1.0, 1e-12);
	assert_double_equal(embed_idf(10, 10), 1.0, 1e-12);
	/* Rarer terms weigh more. */
	assert_true(embed_idf(100, 1) > embed_idf(100, 50));

	/* tf 2 vs tf 1, idf 1 vs ln(10/2)+1: weights (1 + ln 2) x 1 and
	 * 1 x (ln 5 + 1), L2-normalised. */
	n = embed_terms("zebra zebra quokka", 18, &t);
	assert_int_equal(n, 2);
	assert_string_equal(t[0].term, "quokka");
	df[0] = 1; /* quokka */
	df[1] = 9; /* zebra */
	embed_tfidf(t, n, df, 9, 256, v);
	a = 1.0 * (log(10.0 / 2.0) + 1.0);      /* quokka */
	b = (1.0 + log(2.0)) * embed_idf(9, 9); /* zebra */
	assert_double_equal(norm2(v, 256), 1.0, 1e-5);
	for (i = 0, nz = 0, big = 0, small = 2; i < 256; i++) {
		if (v[i] == 0)
			continue;
		nz++;
		if (fabs(v[i]) > big)
			big = fabs(v[i]);
		if (fabs(v[i]) < small)
			small = fabs(v[i]);
	}
	assert_int_equal(nz, 2); /* the two hash to different buckets */
	assert_double_equal(big, a / sqrt(a * a + b * b), 1e-5);
	assert_double_equal(small, b / sqrt(a * a + b * b), 1e-5);
	embed_terms_free(t, n);

	/* No terms: the zero vector, not NaN. */
	embed_tfidf(NULL, 0, NULL, 5, 256, v);
	assert_double_equal(norm2(v, 256), 0.0, 0);
}

static void
test_idf_follows_corpus(void **state)
{
	const char *text = "saffron risotto";
	float before[256], after[256], again[256];
	struct embed_term *t;
	long long df[2];
	char *cause = NULL;
	size_t n;
	int dim = memory_dim();

	(void)state;
	assert_int_equal(dim, 256);
	assert_int_equal(memory_embed(db, text, strlen(text), before, &cause),
	    0);
	assert_double_equal(norm2(before, dim), 1.0, 1e-5);
	/* Both terms unseen: equal weights. */
	add("saffron is expensive", MEM_FACT);
	add("saffron comes from crocus flowers", MEM_FACT);
	add("saffron colours rice yellow", MEM_FACT);
	assert_int_equal(scalar(db,
			     "SELECT df FROM memory_terms WHERE term = "
			     "'saffron'"),
	    3);
	assert_int_equal(scalar(db,
			     "SELECT value FROM memory_meta WHERE key = "
			     "'docs'"),
	    3);
	/* Now "saffron" is common and "risotto" rare: another vector. */
	assert_int_equal(memory_embed(db, text, strlen(text), after, &cause),
	    0);
	assert_double_equal(norm2(after, dim), 1.0, 1e-5);
	assert_true(dot(before, after, dim) < 0.99);
	/* Exactly the TF-IDF of the corpus as it is now. */
	n = embed_terms(text, strlen(text), &t);
	assert_int_equal(n, 2);
	assert_string_equal(t[0].term, "risotto");
	df[0] = 0;
	df[1] = 3;
	embed_tfidf(t, n, df, 3, dim, again);
	embed_terms_free(t, n);
	assert_memory_equal(after, again, sizeof again);

	/* A text of stop words only embeds to zero. */
	assert_int_equal(memory_embed(db, "the of and", 10, after, &cause), 0);
	assert_double_equal(norm2(after, dim), 0.0, 0);
}

static void
test_df_follows_add_and_forget(void **state)
{
	char *cause = NULL;
	int64_t a, b;

	(void)state;
	a = add("walrus tusks are ivory", MEM_FACT);
	b = add("walrus colonies haul out on ice", MEM_FACT);
	assert_int_equal(scalar(db,
			     "SELECT df FROM memory_terms WHERE term = "
			     "'walrus'"),
	    2);
	assert_int_equal(memory_forget(db, a, &cause), 1);
	assert_int_equal(scalar(db,
			     "SELECT df FROM memory_terms WHERE term = "
			     "'walrus'"),
	    1);
	/* Terms no memory has any more are gone. */
	assert_int_equal(scalar(db,
			     "SELECT COUNT(*) FROM memory_terms WHERE term = "
			     "'tusks'"),
	    0);
	assert_int_equal(scalar(db,
			     "SELECT value FROM memory_meta WHERE key = "
			     "'docs'"),
	    1);
	assert_int_equal(memory_forget(db, b, &cause), 1);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM memory_terms"), 0);
	assert_int_equal(scalar(db,
			     "SELECT value FROM memory_meta WHERE key = "
			     "'docs'"),
	    0);
}

/* ---- tiers ---- */

static long
tokens(const char *s)
{
	return (long)strlen(s) / 4 + 1;
}

static void
test_tiers(void **state)
{
	const char *a_text = "Prefers dark mode in every editor";
	const char *b_text =
	    "The user is a structural engineer who designs pedestrian "
	    "bridges in Rotterdam, writes reports in Dutch and English, and "
	    "reviews load calculations every Thursday afternoon with a team "
	    "of six.";
	const char *c_text = "The build cache lives in /var/cache/b";
	const char *d_text = "The staging cluster has nine nodes in zone c";
	const char *e_text = "We met at the cafe";
	const char *f_text =
	    "An old but much-used note about the nightly backup job, which "
	    "copies the database to the NAS and keeps two weeks of dumps";
	const char *g_text = "hello there";
	int64_t a, b, c, d, e, f, g;
	int promoted = -1, demoted = -1, prot = -1;
	char *cause = NULL;
	long hot_sum = 0;
	json_t *m, *tiers;

	(void)state;
	a = add(a_text, MEM_PREFERENCE);                     /* 0.8 */
	b = add(b_text, MEM_USER_PROFILE);                   /* 0.9, too big */
	c = add(c_text, MEM_FACT);                           /* 0.5 */
	d = memdb_add(db, d_text, MEM_FACT, -1, 0.45, NULL); /* does not fit */
	e = add(e_text, MEM_EPISODE);                        /* 0.4, faded */
	f = add(f_text, MEM_EPISODE);      /* faded, much used */
	g = add(g_text, MEM_CONVERSATION); /* 0.2 */
	assert_true(tokens(b_text) > 30);
	assert_true(tokens(a_text) + tokens(c_text) <= 30);
	assert_true(tokens(a_text) + tokens(c_text) + tokens(d_text) > 30);
	/* New memories of importance >= 0.8 start hot, the rest warm. */
	assert_string_equal(tier_of(a), "hot");
	assert_string_equal(tier_of(b), "hot");
	assert_string_equal(tier_of(c), "warm");
	/* Recall keeps to the budget even before re-tiering: b is hot but
	 * does not fit. */
	{
		char *r = memory_recall(db, NULL, 5);

		assert_non_null(strstr(r, a_text));
		assert_null(strstr(r, "structural engineer"));
		free(r);
	}
	age(e, 500); /* episode: e^-5 */
	age(f, 20000);
	execf(db, "UPDATE memories SET access_count = 30 WHERE id = %lld",
	    (long long)f);

	assert_int_equal(mem_retier(db, &promoted, &demoted, &prot, &cause), 0);
	assert_string_equal(tier_of(a), "hot");
	assert_string_equal(tier_of(b), "warm"); /* over the budget */
	assert_string_equal(tier_of(c), "hot");
	assert_string_equal(tier_of(d), "warm");
	assert_string_equal(tier_of(e), "cold");
	assert_string_equal(tier_of(f), "warm"); /* faded, but High */
	assert_string_equal(tier_of(g), "warm"); /* fresh, unimportant */
	assert_int_equal(promoted, 1);           /* c */
	assert_int_equal(demoted, 2);            /* b, e */
	assert_int_equal(prot, 1);               /* f, by use */
	assert_int_equal(scalarf("SELECT protection FROM memories WHERE id = "
				 "%lld",
			     (long long)f),
	    PROT_HIGH);
	/* The hot tier fits memory.hot_tokens. */
	assert_non_null(tiers = memory_tiers(db, &cause));
	{
		json_t *row;
		size_t i;

		json_array_foreach(json_object_get(tiers, "hot"), i, row)
			hot_sum += tokens(
			    json_string_value(json_object_get(row, "content")));
		assert_int_equal(json_array_size(json_object_get(tiers, "hot")),
		    2);
		assert_int_equal(json_array_size(
				     json_object_get(tiers, "cold")),
		    1);
	}
	json_decref(tiers);
	assert_true(hot_sum <= 30);

	/* Again: nothing changes. */
	assert_int_equal(mem_retier(db, &promoted, &demoted, &prot, &cause), 0);
	assert_int_equal(promoted + demoted + prot, 0);

	/* Used again, the faded memory comes back (and fits). */
	assert_non_null(m = memory_get(db, e, 1, &cause));
	assert_int_equal(json_integer_value(json_object_get(m, "access_count")),
	    1);
	assert_true(json_real_value(json_object_get(m, "retention")) > 0.99);
	json_decref(m);
	assert_int_equal(mem_retier(db, &promoted, &demoted, &prot, &cause), 0);
	assert_int_equal(promoted, 1);
	assert_int_equal(demoted, 0);
	assert_string_equal(tier_of(e), "hot");

	/* An unused memory reads without counting. */
	assert_non_null(m = memory_get(db, g, 0, &cause));
	assert_int_equal(json_integer_value(json_object_get(m, "access_count")),
	    0);
	json_decref(m);
}

static void
test_recall(void **state)
{
	char *r;

	(void)state;
	add("Prefers dark mode in every editor", MEM_PREFERENCE); /* hot */
	add("The wombat enclosure is behind the gift shop", MEM_FACT);
	add("The espresso machine needs descaling monthly", MEM_FACT);
	/* The hot tier always; warm ones when the message calls them. */
	r = memory_recall(db, "where is the wombat enclosure?", 5);
	assert_non_null(strstr(r, "dark mode"));
	assert_non_null(strstr(r, "wombat enclosure is behind"));
	assert_null(strstr(r, "espresso"));
	free(r);
	r = memory_recall(db, NULL, 5);
	assert_non_null(strstr(r, "dark mode"));
	assert_null(strstr(r, "wombat"));
	free(r);
	/* Recalled memories count as used. */
	assert_int_equal(scalar(db,
			     "SELECT access_count FROM memories WHERE content "
			     "LIKE 'The wombat%'"),
	    1);
}

/* ---- reciprocal rank fusion ---- */

/* A word whose hashed vector is the same as `word`'s: similar to it by
 * the embedder, unrelated by keywords. */
static void
collider(const char *word, char *out, size_t size)
{
	struct embed_term *t;
	float want[256], v[256];
	long long df[1] = { 0 };
	size_t n;
	int i;

	n = embed_terms(word, strlen(word), &t);
	assert_int_equal(n, 1);
	embed_tfidf(t, n, df, 0, 256, want);
	embed_terms_free(t, n);
	for (i = 0; i < 200000; i++) {
		snprintf(out, size, "zq%dx", i);
		n = embed_terms(out, strlen(out), &t);
		embed_tfidf(t, n, df, 0, 256, v);
		embed_terms_free(t, n);
		if (dot(want, v, 256) > 0.999)
			return;
	}
	fail_msg("no collider for %s", word);
}

/* score = sum of 1 / (60 + rank) over the lists, x tier weight x
 * (0.5 + 0.5 retention). */
static void
assert_rrf_score(const json_t *row)
{
	json_t *kr = json_object_get(row, "keyword_rank");
	json_t *vr = json_object_get(row, "vector_rank");
	const char *tier = json_string_value(json_object_get(row, "tier"));
	double want = 0, w;

	assert_true(kr != NULL || vr != NULL);
	if (kr != NULL)
		want += 1.0 / (MEMORY_RRF_K + (double)json_integer_value(kr));
	if (vr != NULL)
		want += 1.0 / (MEMORY_RRF_K + (double)json_integer_value(vr));
	w = strcmp(tier, "hot") == 0  ? 1.0 :
	    strcmp(tier, "warm") == 0 ? 0.9 :
					0.6;
	want *= w *
	    (0.5 + 0.5 * json_real_value(json_object_get(row, "retention")));
	assert_double_equal(json_real_value(json_object_get(row, "score")),
	    want, 1.1e-6);
}

static void
test_rrf(void **state)
{
	char word[32];
	int64_t both, kw, vec, noise;
	json_t *r, *row;
	double prev;
	size_t i;

	(void)state;
	collider("kangaroo", word, sizeof word);
	both = add("kangaroo pouch biology", MEM_FACT);
	/* Only in the keyword list: the query is in its tags, its content
	 * has no term to embed (so no vector). */
	kw = memdb_add(db, "it is as it was", MEM_FACT, -1, -1,
	    "[\"kangaroo\"]");
	/* Only in the vector list. */
	vec = add(word, MEM_FACT);
	noise = add("spreadsheet macro errors", MEM_FACT);

	r = search("kangaroo", MEM_HYBRID, 10);
	assert_true(json_array_size(r) >= 3);
	/* In both lists: first. */
	row = json_array_get(r, 0);
	assert_int_equal(json_integer_value(json_object_get(row, "id")), both);
	assert_non_null(json_object_get(row, "keyword_rank"));
	assert_non_null(json_object_get(row, "vector_rank"));
	assert_non_null(json_object_get(row, "similarity"));
	row = result_of(r, kw);
	assert_non_null(row);
	assert_non_null(json_object_get(row, "keyword_rank"));
	assert_null(json_object_get(row, "vector_rank"));
	row = result_of(r, vec);
	assert_non_null(row);
	assert_null(json_object_get(row, "keyword_rank"));
	assert_int_equal(json_integer_value(
			     json_object_get(row, "vector_rank")),
	    1);
	assert_true(json_real_value(json_object_get(row, "similarity")) > 0.99);
	/* Unrelated text: no match at all. */
	assert_null(result_of(r, noise));
	/* Every score is the documented sum, best first. */
	prev = 1e9;
	json_array_foreach(r, i, row) {
		double s = json_real_value(json_object_get(row, "score"));

		assert_rrf_score(row);
		assert_true(s <= prev);
		prev = s;
		assert_non_null(json_object_get(row, "content"));
		assert_non_null(json_object_get(row, "retention"));
	}
	json_decref(r);

	/* One list at a time. */
	r = search("kangaroo", MEM_KEYWORD, 10);
	assert_int_equal(json_array_size(r), 2);
	json_array_foreach(r, i, row) {
		assert_null(json_object_get(row, "vector_rank"));
		assert_rrf_score(row);
	}
	assert_non_null(result_of(r, both));
	assert_non_null(result_of(r, kw));
	json_decref(r);
	r = search("kangaroo", MEM_SEMANTIC, 10);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(r, 0), "id")),
	    vec);
	assert_null(result_of(r, kw));
	json_array_foreach(r, i, row) {
		assert_null(json_object_get(row, "keyword_rank"));
		assert_rrf_score(row);
	}
	json_decref(r);

	/* The tier weighs: the same ranks, cold, score 0.6 / 0.9 of it. */
	r = search("kangaroo", MEM_HYBRID, 10);
	prev = json_real_value(json_object_get(result_of(r, both), "score"));
	json_decref(r);
	execf(db, "UPDATE memories SET tier = 'cold' WHERE id = %lld",
	    (long long)both);
	r = search("kangaroo", MEM_HYBRID, 10);
	row = result_of(r, both);
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "tier")),
	    "cold");
	assert_rrf_score(row);
	assert_double_equal(json_real_value(json_object_get(row, "score")) /
		prev,
	    0.6 / 0.9, 1e-3);
	json_decref(r);
}

static void
test_search_filters_and_limits(void **state)
{
	struct mem_query q;
	char *cause = NULL;
	int64_t a, b;
	json_t *r;
	int i;

	(void)state;
	a = memdb_add(db, "ferret grooming schedule", MEM_FACT, -1, -1,
	    "[\"pets\"]");
	b = add("ferret vaccination decided for May", MEM_DECISION);
	for (i = 0; i < 12; i++) {
		char s[64];

		snprintf(s, sizeof s, "ferret note number %d", i);
		add(s, MEM_FACT);
	}
	r = search("ferret", MEM_HYBRID, 5);
	assert_int_equal(json_array_size(r), 5);
	json_decref(r);
	r = search("ferret", MEM_HYBRID, 0); /* 0: the default, 10 */
	assert_int_equal(json_array_size(r), 10);
	json_decref(r);

	memset(&q, 0, sizeof q);
	q.text = "ferret";
	q.limit = 50;
	q.type = MEM_DECISION;
	q.include_cold = 1;
	assert_non_null(r = memory_search(db, &q, &cause));
	assert_int_equal(json_array_size(r), 1);
	assert_non_null(result_of(r, b));
	json_decref(r);
	q.type = -1;
	q.tag = "pets";
	assert_non_null(r = memory_search(db, &q, &cause));
	assert_int_equal(json_array_size(r), 1);
	assert_non_null(result_of(r, a));
	json_decref(r);
	/* Cold ones only when asked for. */
	q.tag = NULL;
	execf(db, "UPDATE memories SET tier = 'cold' WHERE id = %lld",
	    (long long)a);
	q.include_cold = 0;
	assert_non_null(r = memory_search(db, &q, &cause));
	assert_null(result_of(r, a));
	assert_int_equal(json_array_size(r), 13);
	json_decref(r);
	/* Not a query. */
	q.text = "";
	assert_null(memory_search(db, &q, &cause));
	assert_non_null(cause);
	free(cause);
	cause = NULL;
}

/* ---- dream: consolidation and pruning ---- */

static json_t *
dream(void)
{
	char *cause = NULL;
	json_t *rep = memory_dream(db, NULL, "test", &cause);

	if (rep == NULL)
		fail_msg("memory_dream: %s", cause);
	return rep;
}

static long long
report_int(const json_t *rep, const char *section, const char *key)
{
	json_t *v = json_object_get(json_object_get(rep, section), key);

	assert_non_null(v);
	return json_integer_value(v);
}

static void
test_dream_merges_near_duplicates(void **state)
{
	const char *m1_text = "The staging database password rotates every "
			      "Monday at nine";
	const char *m2_text = "the staging database password rotates every "
			      "monday at nine!";
	int64_t m1, m2, m3, m4;
	char *cause = NULL;
	json_t *rep, *m, *pair, *reports;
	json_t *tags, *sources;

	(void)state;
	m1 = memdb_add(db, m1_text, MEM_FACT, -1, 0.5, "[\"ops\"]");
	m2 =
	    memdb_add(db, m2_text, MEM_FACT, -1, 0.6, "[\"security\",\"ops\"]");
	/* The same words, another type: kept apart. */
	m3 = add(m1_text, MEM_DECISION);
	m4 = add("The coffee grinder is set to fine", MEM_FACT);
	execf(db, "UPDATE memories SET access_count = 1 WHERE id = %lld",
	    (long long)m1);
	execf(db, "UPDATE memories SET access_count = 2 WHERE id = %lld",
	    (long long)m2);

	rep = dream();
	assert_string_equal(json_string_value(json_object_get(rep, "reason")),
	    "test");
	assert_int_equal(report_int(rep, "consolidate", "merged"), 1);
	pair =
	    json_array_get(json_object_get(json_object_get(rep, "consolidate"),
			       "pairs"),
		0);
	assert_non_null(pair);
	/* The more important one stays. */
	assert_int_equal(json_integer_value(json_object_get(pair, "kept")), m2);
	assert_int_equal(json_integer_value(json_object_get(pair, "merged")),
	    m1);
	assert_true(
	    json_real_value(json_object_get(pair, "similarity")) >= 0.92);
	assert_int_equal(report_int(rep, "orient", "total"), 4);
	assert_int_equal(report_int(rep, "after", "total"), 3);
	assert_int_equal(report_int(rep, "prune", "pruned"), 0);
	assert_non_null(json_object_get(rep, "id"));

	/* One remains, with the other's history. */
	assert_null(memory_get(db, m1, 0, &cause));
	assert_null(cause);
	assert_non_null(m = memory_get(db, m2, 0, &cause));
	assert_string_equal(json_string_value(json_object_get(m, "content")),
	    m2_text);
	assert_int_equal(json_integer_value(json_object_get(m, "access_count")),
	    3);
	sources = json_object_get(m, "sources");
	assert_int_equal(json_array_size(sources), 1);
	assert_int_equal(json_integer_value(json_array_get(sources, 0)), m1);
	tags = json_object_get(m, "tags");
	assert_int_equal(json_array_size(tags), 2);
	{
		int ops = 0, sec = 0;
		json_t *t;
		size_t i;

		json_array_foreach(tags, i, t) {
			ops += strcmp(json_string_value(t), "ops") == 0;
			sec += strcmp(json_string_value(t), "security") == 0;
		}
		assert_int_equal(ops, 1);
		assert_int_equal(sec, 1);
	}
	json_decref(m);
	/* The merged text is kept, with where it went. */
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM memory_merged"), 1);
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db,
				     "SELECT id, into_id, content, type FROM "
				     "memory_merged",
				     -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(st, 0), m1);
		assert_int_equal(sqlite3_column_int64(st, 1), m2);
		assert_string_equal((const char *)sqlite3_column_text(st, 2),
		    m1_text);
		assert_string_equal((const char *)sqlite3_column_text(st, 3),
		    "fact");
		sqlite3_finalize(st);
	}
	/* Other types and other texts stay. */
	assert_non_null(m = memory_get(db, m3, 0, &cause));
	json_decref(m);
	assert_non_null(m = memory_get(db, m4, 0, &cause));
	json_decref(m);
	/* The keyword index and the IDF forgot the merged one. */
	assert_int_equal(scalar(db,
			     "SELECT COUNT(*) FROM memories_fts WHERE "
			     "memories_fts MATCH 'staging'"),
	    2);
	assert_int_equal(scalar(db,
			     "SELECT df FROM memory_terms WHERE term = "
			     "'staging'"),
	    2);
	assert_int_equal(scalar(db,
			     "SELECT value FROM memory_meta WHERE key = "
			     "'docs'"),
	    3);
	json_decref(rep);

	/* A second dream finds nothing more to merge; both reports kept,
	 * newest first. */
	rep = dream();
	assert_int_equal(report_int(rep, "consolidate", "merged"), 0);
	json_decref(rep);
	assert_non_null(reports = memory_dream_reports(db, 10, &cause));
	assert_int_equal(json_array_size(reports), 2);
	assert_int_equal(report_int(json_array_get(reports, 1), "consolidate",
			     "merged"),
	    1);
	json_decref(reports);
}

static void
test_dream_prunes_faded(void **state)
{
	int64_t old, kept, fresh, perm;
	char *cause = NULL;
	json_t *rep, *ids, *m;

	(void)state;
	old = add("We went to the harbour festival", MEM_EPISODE);
	kept = memdb_add(db, "We went to the lighthouse museum", MEM_EPISODE,
	    PROT_LOW, -1, NULL);
	perm = memdb_add(db, "We went to the glacier walk", MEM_EPISODE,
	    PROT_PERMANENT, -1, NULL);
	fresh = add("We went to the night market", MEM_EPISODE);
	age(old, 10000); /* e^-100 */
	age(kept, 10000);
	age(perm, 1e5);

	rep = dream();
	assert_int_equal(report_int(rep, "prune", "pruned"), 1);
	ids = json_object_get(json_object_get(rep, "prune"), "ids");
	assert_int_equal(json_array_size(ids), 1);
	assert_int_equal(json_integer_value(json_array_get(ids, 0)), old);
	assert_int_equal(report_int(rep, "after", "total"), 3);
	json_decref(rep);
	assert_null(memory_get(db, old, 0, &cause));
	assert_null(cause);
	/* Protected: faded (cold) but kept. */
	assert_non_null(m = memory_get(db, kept, 0, &cause));
	assert_string_equal(json_string_value(json_object_get(m, "tier")),
	    "cold");
	json_decref(m);
	assert_non_null(m = memory_get(db, perm, 0, &cause));
	assert_double_equal(json_real_value(json_object_get(m, "retention")),
	    1.0, 0);
	assert_string_not_equal(json_string_value(json_object_get(m, "tier")),
	    "cold");
	json_decref(m);
	assert_non_null(m = memory_get(db, fresh, 0, &cause));
	json_decref(m);
	assert_int_equal(scalar(db,
			     "SELECT COUNT(*) FROM memories_fts WHERE "
			     "memories_fts MATCH 'harbour'"),
	    0);
	assert_int_equal(scalar(db,
			     "SELECT COUNT(*) FROM memory_terms WHERE term = "
			     "'harbour'"),
	    0);
}

/* ---- bad input ---- */

struct counts {
	long long rows, terms, docs, gen, fts;
};

static void
counts(struct counts *c)
{
	c->rows = scalar(db, "SELECT COUNT(*) FROM memories");
	c->terms = scalar(db, "SELECT COALESCE(SUM(df), 0) FROM memory_terms");
	c->docs =
	    scalar(db, "SELECT value FROM memory_meta WHERE key = 'docs'");
	c->gen = scalar(db,
	    "SELECT value FROM memory_meta WHERE key = 'generation'");
	c->fts = scalar(db,
	    "SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH "
	    "'refused'");
}

/* memory_add must fail with a cause and change nothing. */
static void
refused(const char *content, size_t len, int type, int protect,
    double importance, const char *tags_json)
{
	struct counts before, after;
	struct mem_new m;
	char *cause = NULL;
	json_t *tags = NULL;

	counts(&before);
	memset(&m, 0, sizeof m);
	m.content = content;
	m.len = len;
	m.type = type;
	m.protect = protect;
	m.importance = importance;
	if (tags_json != NULL)
		assert_non_null(
		    tags = json_loads(tags_json, JSON_DECODE_ANY, NULL));
	m.tags = tags;
	assert_int_equal(memory_add(db, &m, &cause), -1);
	assert_non_null(cause);
	assert_true(strlen(cause) > 0);
	free(cause);
	json_decref(tags);
	counts(&after);
	assert_int_equal(after.rows, before.rows);
	assert_int_equal(after.terms, before.terms);
	assert_int_equal(after.docs, before.docs);
	assert_int_equal(after.gen, before.gen);
	assert_int_equal(after.fts, 0);
	assert_int_equal(stat_index_vectors(), before.rows);
}

/*
 * A memory and its audit entry commit together: with the audit log's
 * insert refused (a trigger, as a full disk or a broken log would), the
 * memory is not stored either, and memory_add() says storing failed.
 */
static void
test_audit_entry_commits_with_memory(void **state)
{
	struct counts before, after;
	struct mem_new m;
	json_t *d = json_pack("{s:s}", "via", "test");
	char *cause = NULL, sql[128];
	int64_t id;
	int failed = -1;

	(void)state;
	assert_int_equal(audit_open(1, 300, NULL), 0);
	memset(&m, 0, sizeof m);
	m.content = "refused words: the audit log said no";
	m.len = strlen(m.content);
	m.type = m.protect = -1;
	m.importance = -1;
	m.audit_actor = "user";
	m.audit_detail = d;
	m.store_failed = &failed;

	exec(db,
	    "CREATE TEMP TRIGGER no_audit BEFORE INSERT ON audit_log "
	    "BEGIN SELECT RAISE(ABORT, 'audit log refused'); END");
	counts(&before);
	assert_int_equal(memory_add(db, &m, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "audit log refused"));
	free(cause);
	cause = NULL;
	assert_int_equal(failed, 1);
	counts(&after);
	assert_int_equal(after.rows, before.rows);
	assert_int_equal(after.terms, before.terms);
	assert_int_equal(after.docs, before.docs);
	assert_int_equal(after.gen, before.gen);
	assert_int_equal(after.fts, 0);
	assert_int_equal(stat_index_vectors(), before.rows);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM audit_log"), 0);
	assert_true(sqlite3_get_autocommit(db)); /* rolled back */

	/* The log accepts again: both stored, the entry naming the row. */
	exec(db, "DROP TRIGGER temp.no_audit");
	assert_true((id = memory_add(db, &m, &cause)) > 0);
	assert_int_equal(failed, 0);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM memories"),
	    before.rows + 1);
	snprintf(sql, sizeof sql,
	    "SELECT COUNT(*) FROM audit_log WHERE action = 'memory_write' "
	    "AND actor = 'user' AND resource = 'memory:%lld'",
	    (long long)id);
	assert_int_equal(scalar(db, sql), 1);

	/* Without an actor: no entry (the dream's merges, tests). */
	m.audit_actor = NULL;
	m.content = "another memory with no entry";
	m.len = strlen(m.content);
	assert_true(memory_add(db, &m, &cause) > id);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM audit_log"), 1);
	json_decref(d);
	audit_close();
}

static void
test_bad_input(void **state)
{
	const size_t ten_mb = 10 * 1024 * 1024;
	char *big, tags[4096], *p;
	const char *ok = "refused words never stored";
	int i;

	(void)state;
	add("one good memory to start with", MEM_FACT);
	/* Empty. */
	refused("", 0, -1, -1, -1, NULL);
	refused(NULL, 0, -1, -1, -1, NULL);
	/* Too big: one byte over, and 10 MB. */
	big = malloc(ten_mb);
	assert_non_null(big);
	for (i = 0; (size_t)i < ten_mb; i++)
		big[i] = i % 9 == 8 ? ' ' : (char)('a' + i % 7);
	memcpy(big, "refused ", 8);
	refused(big, MEMORY_MAX_CONTENT + 1, -1, -1, -1, NULL);
	refused(big, ten_mb, -1, -1, -1, NULL);
	/* Not UTF-8; a NUL inside. */
#define S(lit) lit, sizeof(lit) - 1
	refused(S("refused \xff\xfe"), -1, -1, -1, NULL);
	refused(S("refused \xc3"), -1, -1, -1, NULL);
	refused(S("refused \x80 continuation"), -1, -1, -1, NULL);
	refused(S("refused \xc0\x80 overlong"), -1, -1, -1, NULL);
	refused(S("refused \xed\xa0\x80 surrogate"), -1, -1, -1, NULL);
	refused(S("refused\0hidden"), -1, -1, -1, NULL);
#undef S
	/* Unknown type, protection, importance out of range. */
	refused(ok, strlen(ok), MEM_NTYPES, -1, -1, NULL);
	refused(ok, strlen(ok), -2, -1, -1, NULL);
	refused(ok, strlen(ok), 1000, -1, -1, NULL);
	refused(ok, strlen(ok), MEM_FACT, PROT_NLEVELS, -1, NULL);
	refused(ok, strlen(ok), MEM_FACT, -1, 1.5, NULL);
	/* Tags: not a list, not strings, empty, too long, too many. */
	refused(ok, strlen(ok), -1, -1, -1, "{\"a\": \"b\"}");
	refused(ok, strlen(ok), -1, -1, -1, "\"ops\"");
	refused(ok, strlen(ok), -1, -1, -1, "[\"ops\", 7]");
	refused(ok, strlen(ok), -1, -1, -1, "[null]");
	refused(ok, strlen(ok), -1, -1, -1, "[[\"nested\"]]");
	refused(ok, strlen(ok), -1, -1, -1, "[\"\"]");
	snprintf(tags, sizeof tags, "[\"%0*d\"]", MEMORY_MAX_TAG + 1, 0);
	refused(ok, strlen(ok), -1, -1, -1, tags);
	p = tags;
	p += sprintf(p, "[");
	for (i = 0; i <= MEMORY_MAX_TAGS; i++)
		p += sprintf(p, "%s\"t%d\"", i ? "," : "", i);
	sprintf(p, "]");
	refused(ok, strlen(ok), -1, -1, -1, tags);

	/* The limits themselves are fine. */
	snprintf(tags, sizeof tags, "[\"%0*d\"]", MEMORY_MAX_TAG, 0);
	memdb_add(db, "a tag of the longest length", MEM_FACT, -1, -1, tags);
	p = tags;
	p += sprintf(p, "[");
	for (i = 0; i < MEMORY_MAX_TAGS; i++)
		p += sprintf(p, "%s\"t%d\"", i ? "," : "", i);
	sprintf(p, "]");
	memdb_add(db, "as many tags as allowed", MEM_FACT, -1, -1, tags);
	big[MEMORY_MAX_CONTENT] = '\0';
	add(big, MEM_FACT);
	free(big);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM memories"), 4);
	assert_int_equal(scalar(db,
			     "SELECT max(length(content)) FROM memories"),
	    MEMORY_MAX_CONTENT);
}

/* ---- the index file ---- */

static void
reopen(void)
{
	char *cause = NULL;

	memory_close();
	if (memory_open(db, cfg, &cause) != 0)
		fail_msg("memory_open: %s", cause);
}

static int
semantic_finds(const char *query, int64_t id)
{
	json_t *r = search(query, MEM_SEMANTIC, 10);
	int found = result_of(r, id) != NULL;

	json_decref(r);
	return found;
}

/* What another process does: a row with its vector, the generation
 * bumped.  Its id. */
static int64_t
insert_other(sqlite3 *d, const char *text)
{
	sqlite3_stmt *st;
	char *cause = NULL;
	float v[256];
	int64_t id;

	assert_int_equal(memory_embed(db, text, strlen(text), v, &cause), 0);
	/* (the other process keeps the IDF too) */
	assert_int_equal(mem_df(d, text, strlen(text), 1, &cause), 0);
	assert_int_equal(sqlite3_prepare_v2(d,
			     "INSERT INTO memories (content, type, "
			     "importance, last_access_ms, created_ms, "
			     "embedder, embedding) VALUES (?1, 'fact', 0.5, "
			     "?2, ?2, 'tfidf:256', ?3)",
			     -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, time_wall_ms());
	sqlite3_bind_blob(st, 3, v, sizeof v, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	id = sqlite3_last_insert_rowid(d);
	exec(d,
	    "UPDATE memory_meta SET value = value + 1 WHERE key = "
	    "'generation'");
	return id;
}

static void
test_index_persistence(void **state)
{
	int64_t a, b, c, e;
	struct stat st;
	char *cause = NULL;
	sqlite3 *db2;
	FILE *f;

	(void)state;
	a = add("glacier hiking boots need waxing", MEM_FACT);
	b = add("the sourdough starter is fed at seven", MEM_FACT);
	c = add("invoice numbers start with INV", MEM_FACT);
	assert_true(semantic_finds("waxing glacier boots", a));
	/* Closing saves the index in $OXIOS_HOME. */
	assert_int_not_equal(stat(mdb.index, &st), 0);
	memory_close();
	assert_int_equal(stat(mdb.index, &st), 0);
	assert_true(st.st_size > 0);

	/* Opened again, it is loaded: prove it by taking the vectors out of
	 * the database (the generation unchanged, so the file is trusted). */
	exec(db,
	    "CREATE TEMP TABLE saved AS SELECT id, embedding FROM "
	    "memories");
	exec(db, "UPDATE memories SET embedding = NULL");
	reopen();
	assert_int_equal(stat_index_vectors(), 3);
	assert_true(semantic_finds("waxing glacier boots", a));
	assert_true(semantic_finds("sourdough starter", b));
	memory_close();
	exec(db,
	    "UPDATE memories SET embedding = (SELECT embedding FROM "
	    "saved WHERE saved.id = memories.id)");

	/* Without the file: rebuilt from the database. */
	assert_int_equal(unlink(mdb.index), 0);
	reopen();
	assert_int_equal(stat_index_vectors(), 3);
	assert_true(semantic_finds("waxing glacier boots", a));
	assert_true(semantic_finds("invoice numbers", c));
	memory_close();
	assert_int_equal(stat(mdb.index, &st), 0);

	/* A corrupt file: rebuilt too. */
	assert_non_null(f = fopen(mdb.index, "r+"));
	fseek(f, 100, SEEK_SET);
	fputs("garbage garbage garbage", f);
	fclose(f);
	reopen();
	assert_int_equal(stat_index_vectors(), 3);
	assert_true(semantic_finds("sourdough starter", b));

	/* A stale file: another process added a memory after it was saved.
	 * Loaded, then brought up to date. */
	memory_close();
	assert_int_equal(db_open(mdb.path, &db2, &cause), 0);
	e = insert_other(db2, "tandem bicycle tyres are tubeless");
	reopen();
	assert_true(semantic_finds("tandem bicycle tyres", e));
	assert_true(semantic_finds("sourdough starter", b));
	assert_int_equal(stat_index_vectors(), 4);

	/* ... and another forgot one: it leaves the index. */
	memory_close();
	execf(db2, "DELETE FROM memories WHERE id = %lld", (long long)b);
	exec(db2,
	    "UPDATE memory_meta SET value = value + 1 WHERE key = "
	    "'generation'");
	db_close(db2);
	reopen();
	assert_int_equal(stat_index_vectors(), 3);
	assert_false(semantic_finds("sourdough starter glacier", b));
	assert_true(semantic_finds("sourdough starter glacier", a));
	assert_true(semantic_finds("tandem bicycle tyres", e));
}

static void
test_sync_with_other_connection(void **state)
{
	const char *text = "pelican crossing signals beep";
	sqlite3 *db2;
	char *cause = NULL;
	int64_t a, b, e;
	json_t *r;

	(void)state;
	a = add("the lighthouse keeper logs the weather", MEM_FACT);
	b = add("pelican feeding time is noon", MEM_FACT);
	assert_int_equal(stat_index_vectors(), 2);
	/* Another process (another connection) adds one. */
	assert_int_equal(db_open(mdb.path, &db2, &cause), 0);
	e = insert_other(db2, text);
	/* This one sees it: by keyword (FTS) and by vector (synced). */
	r = search("crossing signals", MEM_SEMANTIC, 10);
	assert_non_null(result_of(r, e));
	json_decref(r);
	r = search("crossing signals", MEM_KEYWORD, 10);
	assert_non_null(result_of(r, e));
	json_decref(r);
	assert_int_equal(stat_index_vectors(), 3);

	/* The other one forgets a memory: gone from here too. */
	execf(db2, "DELETE FROM memories WHERE id = %lld", (long long)b);
	exec(db2,
	    "UPDATE memory_meta SET value = value + 1 WHERE key = "
	    "'generation'");
	r = search("pelican", MEM_HYBRID, 10);
	assert_null(result_of(r, b));
	assert_non_null(result_of(r, e));
	json_decref(r);
	assert_int_equal(stat_index_vectors(), 2);
	/* And this one adds after the other's change. */
	{
		int64_t f = add("pelican beaks hold three gallons", MEM_FACT);

		assert_true(semantic_finds("pelican beaks gallons", f));
		assert_int_equal(stat_index_vectors(), 3);
	}
	db_close(db2);
	(void)a;
}

/* ---- forget ---- */

static void
test_forget(void **state)
{
	char *cause = NULL;
	int64_t a, b;
	json_t *r;

	(void)state;
	a = add("the narwhal tusk is a tooth", MEM_KNOWLEDGE);
	b = add("the narwhal lives in arctic waters", MEM_FACT);
	r = search("narwhal tusk tooth", MEM_HYBRID, 10);
	assert_non_null(result_of(r, a));
	json_decref(r);
	assert_int_equal(memory_forget(db, a, &cause), 1);
	assert_null(cause);
	r = search("narwhal tusk tooth", MEM_HYBRID, 10);
	assert_null(result_of(r, a));
	json_decref(r);
	r = search("narwhal tusk tooth", MEM_SEMANTIC, 10);
	assert_null(result_of(r, a));
	json_decref(r);
	r = search("tusk arctic", MEM_KEYWORD, 10);
	assert_int_equal(json_array_size(r), 1);
	assert_non_null(result_of(r, b));
	json_decref(r);
	assert_int_equal(scalar(db,
			     "SELECT COUNT(*) FROM memories_fts WHERE "
			     "memories_fts MATCH 'tusk'"),
	    0);
	assert_int_equal(scalar(db,
			     "SELECT COUNT(*) FROM memories_fts WHERE "
			     "memories_fts MATCH 'arctic'"),
	    1);
	assert_null(memory_get(db, a, 1, &cause));
	assert_null(cause);
	assert_int_equal(stat_index_vectors(), 1);
	/* Twice: nothing to forget. */
	assert_int_equal(memory_forget(db, a, &cause), 0);
	assert_int_equal(memory_forget(db, 999999, &cause), 0);
	assert_null(cause);
	/* The other is still there, and survives a reopen. */
	reopen();
	r = search("narwhal", MEM_HYBRID, 10);
	assert_int_equal(json_array_size(r), 1);
	assert_non_null(result_of(r, b));
	json_decref(r);
}

static void
test_list_and_stats(void **state)
{
	char *cause = NULL;
	json_t *l, *s;
	int64_t a, b, c;

	(void)state;
	a = add("I prefer green tea", -1); /* classified */
	b = add("We decided to use meson", -1);
	c = add("The printer is on floor two", -1);
	assert_non_null(l = memory_list(db, NULL, NULL, 10, 0, &cause));
	assert_int_equal(json_array_size(l), 3);
	/* Newest first. */
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(l, 0), "id")),
	    c);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(l, 2), "type")),
	    "preference");
	json_decref(l);
	assert_non_null(l = memory_list(db, "decision", NULL, 10, 0, &cause));
	assert_int_equal(json_array_size(l), 1);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(l, 0), "id")),
	    b);
	json_decref(l);
	assert_non_null(l = memory_list(db, NULL, "hot", 10, 0, &cause));
	assert_int_equal(json_array_size(l), 1); /* the preference */
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(l, 0), "id")),
	    a);
	json_decref(l);
	assert_non_null(l = memory_list(db, NULL, NULL, 1, 1, &cause));
	assert_int_equal(json_array_size(l), 1);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(l, 0), "id")),
	    b);
	json_decref(l);

	assert_non_null(s = memory_stats(db, &cause));
	assert_int_equal(json_integer_value(json_object_get(s, "total")), 3);
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(s, "tiers"),
				 "hot")),
	    1);
	assert_int_equal(json_integer_value(
			     json_object_get(json_object_get(s, "types"),
				 "decision")),
	    1);
	assert_string_equal(json_string_value(json_object_get(s, "embedder")),
	    "tfidf:256");
	assert_int_equal(json_integer_value(json_object_get(s, "documents")),
	    3);
	json_decref(s);
}

/* ---- the local embedder (the default) ---- */

static void
test_local_embedder(void **state)
{
	int64_t car, mon, tue, dup1, dup2;
	char *cause = NULL;
	json_t *s, *r, *rep;

	(void)state;
	assert_non_null(s = memory_stats(db, &cause));
	assert_string_equal(json_string_value(json_object_get(s, "embedder")),
	    "local:glove100");
	assert_int_equal(json_integer_value(json_object_get(s, "dim")), 48);
	json_decref(s);
	assert_int_equal(memory_dim(), 48);

	car = add("The car needs new tyres before winter", MEM_FACT);
	mon = add("The budget meeting is on Monday", MEM_FACT);
	tue = add("The budget meeting is on Tuesday", MEM_FACT);
	dup1 = add("Deploys go out with make deploy from main", MEM_FACT);
	dup2 = add("deploys go out with MAKE DEPLOY from main!", MEM_FACT);
	assert_int_equal(stat_index_vectors(), 5);

	/* No word in common, found by meaning; the unrelated are not. */
	r = search("vehicle maintenance tires", MEM_SEMANTIC, 10);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(r, 0), "id")),
	    car);
	assert_null(result_of(r, dup1));
	json_decref(r);
	/* A query of words it does not know has no vector: nothing. */
	r = search("indentation", MEM_SEMANTIC, 10);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);

	/* Monday and Tuesday are all but the same vector: dream merges only
	 * what has the same words too. */
	r = search("The budget meeting is on Monday", MEM_SEMANTIC, 10);
	assert_true(json_real_value(json_object_get(result_of(r, tue),
			"similarity")) > 0.92);
	json_decref(r);
	rep = dream();
	assert_int_equal(report_int(rep, "consolidate", "merged"), 1);
	json_decref(rep);
	assert_non_null(s = memory_get(db, mon, 0, &cause));
	json_decref(s);
	assert_non_null(s = memory_get(db, tue, 0, &cause));
	json_decref(s);
	s = memory_get(db, dup1, 0, &cause);
	r = memory_get(db, dup2, 0, &cause);
	assert_true((s == NULL) != (r == NULL));
	json_decref(s);
	json_decref(r);
	free(cause);
}

/* ---- the reasoning bank ---- */

static void
test_reasoning_bank(void **state)
{
	char *cause = NULL;
	int64_t a, b, c;
	json_t *steps, *r;

	(void)state;
	steps = json_pack("[s, s]", "write compose file", "docker compose up");
	a = memory_reasoning_add(db,
	    "deploy the web server with docker compose", steps, "deployed",
	    &cause);
	json_decref(steps);
	steps = json_pack("[s]", "bisect the parser change");
	b = memory_reasoning_add(db, "fix a failing unit test in the parser",
	    steps, "fixed", &cause);
	json_decref(steps);
	steps = json_pack("[s]", "collect merged pull requests");
	c = memory_reasoning_add(db, "write release notes for version two",
	    steps, "published", &cause);
	json_decref(steps);
	assert_true(a > 0 && b > 0 && c > 0);

	r = memory_reasoning_similar(db, "how to deploy our server with docker",
	    3, &cause);
	assert_non_null(r);
	assert_true(json_array_size(r) >= 1);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(r, 0), "id")),
	    a);
	assert_string_equal(json_string_value(
				json_object_get(json_array_get(r, 0),
				    "outcome")),
	    "deployed");
	assert_string_equal(json_string_value(
				json_array_get(json_object_get(json_array_get(r,
								   0),
						   "steps"),
				    1)),
	    "docker compose up");
	json_decref(r);

	r = memory_reasoning_similar(db, "the parser unit test fails", 3,
	    &cause);
	assert_non_null(r);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(r, 0), "id")),
	    b);
	{
		json_t *row;
		double prev = 2;
		size_t i;

		json_array_foreach(r, i, row) {
			double s =
			    json_real_value(json_object_get(row, "score"));

			assert_true(s <= prev);
			assert_true(s > 0);
			prev = s;
		}
	}
	json_decref(r);
	/* k limits. */
	r = memory_reasoning_similar(db, "parser release server notes test", 1,
	    &cause);
	assert_int_equal(json_array_size(r), 1);
	json_decref(r);

	/* Bad input. */
	steps = json_pack("[]");
	assert_int_equal(memory_reasoning_add(db, "", steps, "x", &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_int_equal(memory_reasoning_add(db, "task", NULL, "x", &cause),
	    -1);
	free(cause);
	cause = NULL;
	json_decref(steps);
	assert_int_equal(scalar(db, "SELECT COUNT(*) FROM reasoning"), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retention_formula),
		cmocka_unit_test(test_retention_protection_and_use),
		cmocka_unit_test(test_auto_protect),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_embed_terms),
		cmocka_unit_test(test_embed_idf_and_vector),
		cmocka_unit_test_setup_teardown(test_idf_follows_corpus,
		    setup_tfidf, teardown),
		cmocka_unit_test_setup_teardown(test_df_follows_add_and_forget,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiers, setup_small_hot,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rrf, setup_tfidf,
		    teardown),
		cmocka_unit_test_setup_teardown(test_search_filters_and_limits,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dream_merges_near_duplicates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dream_prunes_faded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_audit_entry_commits_with_memory,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_index_persistence,
		    setup_tfidf, teardown),
		cmocka_unit_test_setup_teardown(test_sync_with_other_connection,
		    setup_tfidf, teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_stats,
		    setup_tfidf, teardown),
		cmocka_unit_test_setup_teardown(test_local_embedder, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reasoning_bank, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
