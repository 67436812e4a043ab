/*
 * test_embed_local.c — the local embedder (memory/embed_local.h): the
 * table linked into the binary, word lookup with endings folded, sentence
 * vectors (unit length, all zero without a known word, case-blind), and
 * that meaning shows: paraphrases are closer than unrelated texts.  The
 * figures asserted were measured on the committed table
 * (share/wordvec/glove100.bin); a new table may move them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "memory/embed.h"
#include "memory/embed_local.h"

#define MAXD 512

static double
cosine(const float *a, const float *b, int dim)
{
	double dot = 0, na = 0, nb = 0;
	int i;

	for (i = 0; i < dim; i++) {
		dot += (double)a[i] * b[i];
		na += (double)a[i] * a[i];
		nb += (double)b[i] * b[i];
	}
	return na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0;
}

/* The cosine of the sentence vectors of a and b. */
static double
sim(const char *a, const char *b)
{
	float va[MAXD], vb[MAXD];
	int dim = embed_local_dim();

	embed_local(a, strlen(a), va);
	embed_local(b, strlen(b), vb);
	return cosine(va, vb, dim);
}

static int
is_zero(const float *v, int dim)
{
	int i;

	for (i = 0; i < dim; i++) {
		if (v[i] != 0)
			return 0;
	}
	return 1;
}

static void
test_table(void **state)
{
	float v[MAXD];
	unsigned rank = 99999, rank2;
	int dim = embed_local_dim(), i;
	double norm = 0;

	(void)state;
	assert_int_equal(dim, 48);
	assert_int_equal(embed_local_words(), 50000);
	assert_true(embed_local_word("code", v, &rank));
	for (i = 0; i < dim; i++)
		norm += (double)v[i] * v[i];
	assert_true(norm > 1.0); /* raw word vectors, not normalised */
	/* Ranks follow frequency. */
	assert_true(embed_local_word("zebra", v, &rank2));
	assert_true(rank < rank2);
	/* Every word of the table is found, in order, with its rank. */
	for (i = 0; i < (int)embed_local_words(); i++) {
		const char *w = embed_local_word_at((size_t)i, &rank2);
		const char *prev =
		    i > 0 ? embed_local_word_at((size_t)i - 1, NULL) : "";

		assert_non_null(w);
		assert_true(strcmp(prev, w) < 0);
		assert_true(embed_local_word(w, v, &rank));
		assert_int_equal(rank, rank2);
	}
	assert_null(embed_local_word_at(embed_local_words(), NULL));
	/* Not there: rare words, stop words, upper case, empty. */
	memset(v, 0x7f, sizeof v);
	assert_false(embed_local_word("indentation", v, NULL));
	assert_false(embed_local_word("the", v, NULL));
	assert_false(embed_local_word("Code", v, NULL));
	assert_false(embed_local_word("", v, NULL));
	assert_false(embed_local_word("zzzzzzzzzzzz", v, NULL));
	assert_int_equal(((unsigned char *)v)[0], 0x7f); /* untouched */
}

static void
test_sentence_vectors(void **state)
{
	static const char *const texts[] = { "I prefer tabs in C code", "x",
		"tabs", "The meeting with the lawyer was moved to Monday",
		"été über naïve", NULL };
	float v[MAXD];
	int dim = embed_local_dim(), i, k;
	double norm;

	(void)state;
	for (k = 0; texts[k] != NULL; k++) {
		embed_local(texts[k], strlen(texts[k]), v);
		norm = 0;
		for (i = 0; i < dim; i++)
			norm += (double)v[i] * v[i];
		/* Unit length, or zero when no word is known. */
		if (k == 1 || k == 4)
			assert_true(is_zero(v, dim));
		else
			assert_true(fabs(norm - 1.0) < 1e-5);
	}
	/* Empty, stop words only, punctuation, unknown words: zero. */
	embed_local("", 0, v);
	assert_true(is_zero(v, dim));
	embed_local("the of and", 10, v);
	assert_true(is_zero(v, dim));
	embed_local("!!! ... ???", 11, v);
	assert_true(is_zero(v, dim));
	embed_local("indentation qwxzv", 17, v);
	assert_true(is_zero(v, dim));
	/* Only len bytes are read. */
	assert_true(sim("tabs spaces", "tabs") < 0.99);
	{
		float a[MAXD], b[MAXD];

		embed_local("tabs spaces", 4, a);
		embed_local("tabs", 4, b);
		assert_memory_equal(a, b, sizeof(float) * (size_t)dim);
	}
}

static void
test_caps_and_endings(void **state)
{
	(void)state;
	/* Case and punctuation do not matter. */
	assert_true(sim("I PREFER TABS IN C CODE!", "i prefer tabs in c code") >
	    0.9999);
	/* A plural the table lacks folds to its singular. */
	assert_true(sim("absurdities", "absurdity") > 0.9999);
	assert_true(sim("aberrations", "aberration") > 0.9999);
	/* A word said twice weighs more, not twice as much: the order of
	 * words does not matter. */
	assert_true(sim("car bread", "bread car") > 0.9999);
	assert_true(sim("car car bread", "car bread") < 0.9999);
}

static void
test_meaning(void **state)
{
	static const struct {
		const char *text, *near, *far;
	} cases[] = {
		{ "The car needs new tyres before winter",
		    "vehicle maintenance tires",
		    "grandma bakes bread on Sundays" },
		{ "My sister lives in Lisbon with her two kids",
		    "where does our sibling reside", "the server runs Debian" },
		{ "I am allergic to peanuts", "nut allergy food restriction",
		    "the printer is jammed" },
		{ "The dentist appointment is on Thursday",
		    "seeing the doctor about my teeth",
		    "our cloud storage is full" },
		{ "Our team deploys to production every Friday",
		    "release schedule for the software",
		    "I love hiking in the Alps" },
	};
	size_t i;
	double n, f;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		n = sim(cases[i].text, cases[i].near);
		f = sim(cases[i].text, cases[i].far);
		if (!(n > f + 0.15))
			fail_msg("%s: near %.3f, far %.3f", cases[i].text, n,
			    f);
	}
	/* Related words: as measured on the table. */
	assert_true(sim("tabs", "spaces") > 0.15);
	assert_true(sim("car", "vehicle") > 0.6);
	assert_true(sim("doctor", "physician") > 0.6);
	/* What it cannot do: "indentation" is not among its words, so the
	 * README's example needs keywords or query expansion. */
	assert_true(sim("indentation", "I prefer tabs in C code") == 0);
}

static void
test_terms_similarity(void **state)
{
	(void)state;
	assert_true(embed_terms_similarity("deploys go out with make deploy",
			"DEPLOYS go out with MAKE DEPLOY!") > 0.9999);
	assert_true(
	    fabs(embed_terms_similarity("meeting monday", "meeting tuesday") -
		0.5) < 1e-9);
	assert_true(embed_terms_similarity("a b c", "tabs") == 0);
	assert_true(embed_terms_similarity("", "") == 0);
	/* Word vectors make these all but equal: the terms do not. */
	assert_true(sim("The meeting is on Monday",
			"The meeting is on Tuesday") > 0.92);
	assert_true(embed_terms_similarity("The meeting is on Monday",
			"The meeting is on Tuesday") < 0.92);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_sentence_vectors),
		cmocka_unit_test(test_caps_and_endings),
		cmocka_unit_test(test_meaning),
		cmocka_unit_test(test_terms_similarity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
