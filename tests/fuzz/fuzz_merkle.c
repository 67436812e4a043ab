/*
 * fuzz_merkle.c — proofs that come back from outside.  The input picks a
 * tree (1..300 leaves, hashed from slices of the input), a leaf, an old
 * size and one change to a proof or to what it is checked against.
 *
 * Invariants: merkle_root and the stream agree; generated proofs have
 * the RFC's length and verify; and a changed proof, leaf or head is
 * accepted only when the change is a no-op.  For fixed sizes and heads
 * the correct proof is unique (every hash in it feeds the computed root,
 * and the sizes fix its length), so "accepted" must mean "identical".
 *
 * Layout: n (2 bytes), m (2), the change (1), its target (1), its
 * argument (1), then the bytes the leaves and masks are cut from; the
 * same bytes, mixed, give another size to try the honest proofs at.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "security/merkle.h"

#define FUZZ_MAX_LEAVES 300
#define FUZZ_ROOM (MERKLE_MAX_PROOF + 8)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What is checked: a proof, and the two hashes it is checked against. */
struct fuzz_case {
	merkle_hash proof[FUZZ_ROOM];
	int len;
	merkle_hash a; /* the leaf, or the old root */
	merkle_hash b; /* the root, or the new root */
};

struct fuzz_change {
	uint8_t op, target, arg;
	const uint8_t *body;
	size_t blen;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

/* Byte i of the input's tail, cycled; zeros if there is none. */
static uint8_t
fuzz_byte(const struct fuzz_change *ch, size_t i)
{
	return ch->blen == 0 ? 0 : ch->body[i % ch->blen];
}

/* The hash a target number names: a proof element, `a` or `b`. */
static unsigned char *
fuzz_target(struct fuzz_case *c, unsigned t)
{
	t %= (unsigned)c->len + 2;
	if (t < (unsigned)c->len)
		return c->proof[t];
	return t == (unsigned)c->len ? c->a : c->b;
}

/* Apply one change to c (a copy of the honest case). */
static void
fuzz_mutate(struct fuzz_case *c, const struct fuzz_change *ch)
{
	unsigned char *h, *g, tmp[MERKLE_HASH];
	int i, k;

	h = fuzz_target(c, ch->target);
	switch (ch->op % 6) {
	case 0: /* XOR a mask cut from the input (maybe all zeros) */
		for (i = 0; i < MERKLE_HASH; i++)
			h[i] ^= fuzz_byte(ch, (size_t)ch->arg + (size_t)i);
		break;
	case 1: /* flip one bit */
		h[(ch->arg / 8) % MERKLE_HASH] ^=
		    (unsigned char)(1u << (ch->arg % 8));
		break;
	case 2: /* truncate */
		if (c->len > 0)
			c->len -= 1 + ch->arg % c->len;
		break;
	case 3: /* extend by 1..3 hashes */
		k = 1 + ch->arg % 3;
		for (i = 0; i < k * MERKLE_HASH; i++)
			c->proof[c->len + i / MERKLE_HASH][i % MERKLE_HASH] =
			    fuzz_byte(ch, (size_t)i);
		c->len += k;
		break;
	case 4: /* overwrite with another of the hashes (maybe itself) */
		g = fuzz_target(c, ch->arg);
		memcpy(h, g, MERKLE_HASH);
		break;
	case 5: /* swap two of the hashes */
		g = fuzz_target(c, ch->arg);
		memcpy(tmp, h, MERKLE_HASH);
		memcpy(h, g, MERKLE_HASH);
		memcpy(g, tmp, MERKLE_HASH);
		break;
	}
}

/*
 * The proof as a caller would hold it: exactly len hashes on the heap
 * (NULL for none), so ASan sees a verifier read past its end.  Caller
 * frees.
 */
static merkle_hash *
fuzz_exact(const struct fuzz_case *c)
{
	merkle_hash *p;

	if (c->len == 0)
		return NULL;
	if ((p = malloc((size_t)c->len * MERKLE_HASH)) == NULL)
		abort();
	memcpy(p, c->proof, (size_t)c->len * MERKLE_HASH);
	return p;
}

/* The RFC's k, counted up the slow way (not merkle.c's bit trick). */
static uint64_t
fuzz_split(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* The length of PATH(m, D[n]). */
static int
fuzz_path_len(uint64_t m, uint64_t n)
{
	uint64_t k;
	int len = 0;

	for (; n > 1; len++) {
		k = fuzz_split(n);
		if (m < k)
			n = k;
		else {
			m -= k;
			n -= k;
		}
	}
	return len;
}

/* The length of PROOF(m, D[n]), 0 < m <= n. */
static int
fuzz_proof_len(uint64_t m, uint64_t n)
{
	uint64_t k;
	int len = 0, whole = 1;

	for (; m != n; len++) {
		k = fuzz_split(n);
		if (m <= k)
			n = k;
		else {
			m -= k;
			n -= k;
			whole = 0;
		}
	}
	return whole ? len : len + 1;
}

static int
fuzz_same(const struct fuzz_case *x, const struct fuzz_case *y)
{
	return x->len == y->len &&
	    memcmp(x->proof, y->proof, (size_t)x->len * MERKLE_HASH) == 0 &&
	    memcmp(x->a, y->a, MERKLE_HASH) == 0 &&
	    memcmp(x->b, y->b, MERKLE_HASH) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static merkle_hash leaves[FUZZ_MAX_LEAVES];
	struct merkle_stream s;
	struct fuzz_case honest, c;
	struct fuzz_change ch;
	merkle_hash root, root_m, r, *exact;
	uint64_t n, m, old, i, n2, m2, old2;
	size_t off, len;

	if (size < 7)
		return 0;
	n = 1 + (uint64_t)(data[0] | data[1] << 8) % FUZZ_MAX_LEAVES;
	m = (uint64_t)(data[2] | data[3] << 8) % n;
	old = 1 + (uint64_t)(data[2] | data[3] << 8) % n;
	/* Another size to check the honest proofs against. */
	n2 = 1 + (uint64_t)(data[5] << 8 | data[6]) % (2 * n + 2);
	m2 = (uint64_t)(data[0] | data[4] << 8);
	old2 = 1 + m2 % n2;
	ch.op = data[4];
	ch.target = data[5];
	ch.arg = data[6];
	ch.body = data + 7;
	ch.blen = size - 7;

	/* Leaf i: a slice of the body (repeats and empty slices welcome). */
	merkle_stream_init(&s);
	for (i = 0; i < n; i++) {
		off = ch.blen == 0 ? 0 : (size_t)(i * 7) % (ch.blen + 1);
		len = ch.blen - off < i % 11 ? ch.blen - off : i % 11;
		merkle_leaf(ch.body + off, len, leaves[i]);
		merkle_stream_add(&s, leaves[i]);
		if (i + 1 == old) {
			merkle_stream_root(&s, r);
			merkle_root(leaves, old, root_m);
			if (memcmp(r, root_m, MERKLE_HASH) != 0)
				abort();
		}
	}
	merkle_root(leaves, n, root);
	merkle_stream_root(&s, r);
	if (memcmp(r, root, MERKLE_HASH) != 0 || s.size != n)
		abort();

	/* Inclusion of leaf m. */
	memset(&honest, 0, sizeof honest);
	honest.len = merkle_inclusion_proof(leaves, n, m, honest.proof);
	if (honest.len < 0 || honest.len > MERKLE_MAX_PROOF)
		abort();
	if (n == 1 ? honest.len != 0 : honest.len == 0)
		abort();
	memcpy(honest.a, leaves[m], MERKLE_HASH);
	memcpy(honest.b, root, MERKLE_HASH);
	if (!merkle_inclusion_verify(honest.a, m, n, honest.proof, honest.len,
		honest.b))
		abort();
	c = honest;
	fuzz_mutate(&c, &ch);
	exact = fuzz_exact(&c);
	if (merkle_inclusion_verify(c.a, m, n, exact, c.len, c.b) !=
	    fuzz_same(&c, &honest))
		abort();
	free(exact);
	if (merkle_inclusion_proof(leaves, n, n, c.proof) != -1)
		abort();
	/*
	 * Checked against other sizes, the honest proof may pass only where
	 * it has the length that size calls for (the shapes can agree: leaf
	 * 0 of 3 leaves hashes like leaf 0 of 4).
	 */
	if (fuzz_path_len(m, n) != honest.len)
		abort();
	exact = fuzz_exact(&honest);
	if (merkle_inclusion_verify(honest.a, m2 % n2, n2, exact, honest.len,
		honest.b) &&
	    fuzz_path_len(m2 % n2, n2) != honest.len)
		abort();
	free(exact);

	/* Consistency of the first `old` leaves with all n. */
	memset(&honest, 0, sizeof honest);
	honest.len = merkle_consistency_proof(leaves, n, old, honest.proof);
	if (honest.len < 0 || honest.len > MERKLE_MAX_PROOF)
		abort();
	if ((old == n) != (honest.len == 0))
		abort();
	memcpy(honest.a, root_m, MERKLE_HASH);
	memcpy(honest.b, root, MERKLE_HASH);
	if (!merkle_consistency_verify(old, n, honest.a, honest.b, honest.proof,
		honest.len))
		abort();
	c = honest;
	fuzz_mutate(&c, &ch);
	/* m == n: the heads are the same hash, so swapping them is a no-op. */
	exact = fuzz_exact(&c);
	if (merkle_consistency_verify(old, n, c.a, c.b, exact, c.len) !=
	    fuzz_same(&c, &honest))
		abort();
	free(exact);
	if (fuzz_proof_len(old, n) != honest.len)
		abort();
	exact = fuzz_exact(&honest);
	if (merkle_consistency_verify(old2, n2, honest.a, honest.b, exact,
		honest.len) &&
	    fuzz_proof_len(old2, n2) != honest.len)
		abort();
	free(exact);
	if (merkle_consistency_verify(0, n, honest.a, honest.b, honest.proof,
		honest.len) ||
	    merkle_consistency_verify(n + 1, n, honest.a, honest.b,
		honest.proof, honest.len))
		abort();
	return 0;
}
