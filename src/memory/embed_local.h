/*
 * embed_local.h — the local embedder: sentence vectors from word vectors
 * compiled into the binary (GloVe, reduced by scripts/gen-wordvec.py to
 * share/wordvec/glove100.bin), no network, no file at run time.
 */
#ifndef OXIOS_MEMORY_EMBED_LOCAL_H
#define OXIOS_MEMORY_EMBED_LOCAL_H

#include <stddef.h>

/* The embedder's name in memories.embedder: a new table needs a new one
 * (dream re-embeds what another embedder made). */
#define EMBED_LOCAL_NAME "local:glove100"

/* Dimension of its vectors (the table's). */
int embed_local_dim(void);
/* Words in the table. */
size_t embed_local_words(void);
/* The i-th word of the table (sorted; i < embed_local_words()), its
 * frequency rank in *rank if not NULL: for benchmarks and tests. */
const char *embed_local_word_at(size_t i, unsigned *rank);
/* The vector of one lower-case word into out[dim]; its frequency rank in
 * *rank if not NULL.  1 if the table has it, else 0 (out untouched). */
int embed_local_word(const char *word, float *out, unsigned *rank);
/*
 * The sentence vector of s[0..len) into out[dim]: the terms of
 * embed_terms() (lower-cased, stop words dropped), each looked up as it
 * is or with a plural or -ing/-ed ending folded, weighted by a/(a + p)
 * with p the word's probability from its frequency rank (rare words
 * weigh more) and summed; a word the table lacks adds nothing (keyword
 * search finds it).  L2-normalised; all zero without a known word.
 */
void embed_local(const char *s, size_t len, float *out);

#endif
