/*
 * test_merkle.c — RFC 6962 tree hashing, audit paths and consistency
 * proofs.  The references below follow the RFC's recursive definitions
 * and hash with crypto_generichash directly, so they share no code with
 * merkle.c.
 *
 * A verifier sees only hashes and sizes, so a proof checked against the
 * wrong size is refused only when that size gives the proof another
 * shape (another sequence of left and right siblings): trees of sizes 3
 * and 4 hash leaf 0 the same way, for instance.  The tests compute the
 * shape from the recursive definition and expect "accepted" exactly when
 * the shapes agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "security/merkle.h"
#include "util/xalloc.h"

#define SHAPE_MAX 80
#define ALL_BITS_UPTO 8 /* trees this small get every bit flipped */

/* Leaf hashes of "entry-0", "entry-1", ...; caller frees. */
static merkle_hash *
make_leaves(uint64_t n)
{
	merkle_hash *leaves;
	char s[32];
	uint64_t i;

	leaves = xcalloc(n > 0 ? n : 1, sizeof *leaves);
	for (i = 0; i < n; i++) {
		snprintf(s, sizeof s, "entry-%llu", (unsigned long long)i);
		merkle_leaf(s, strlen(s), leaves[i]);
	}
	return leaves;
}

static void
ref_hash(const unsigned char *in, size_t len, unsigned char *out)
{
	crypto_generichash(out, MERKLE_HASH, len > 0 ? in : NULL, len, NULL, 0);
}

static void
ref_node(const unsigned char *l, const unsigned char *r, unsigned char *out)
{
	unsigned char buf[1 + 2 * MERKLE_HASH];

	buf[0] = 0x01;
	memcpy(buf + 1, l, MERKLE_HASH);
	memcpy(buf + 1 + MERKLE_HASH, r, MERKLE_HASH);
	ref_hash(buf, sizeof buf, out);
}

/* The largest power of two smaller than n, counted up the slow way. */
static uint64_t
ref_split(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[n]), recursively. */
static void
ref_mth(const merkle_hash *d, uint64_t n, unsigned char *out)
{
	merkle_hash l, r;
	uint64_t k;

	if (n == 0) {
		ref_hash(NULL, 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], MERKLE_HASH);
		return;
	}
	k = ref_split(n);
	ref_mth(d, k, l);
	ref_mth(d + k, n - k, r);
	ref_node(l, r, out);
}

/* PATH(m, D[n]) appended to out[*len]. */
static void
ref_path(uint64_t m, const merkle_hash *d, uint64_t n, merkle_hash *out,
    int *len)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = ref_split(n);
	if (m < k) {
		ref_path(m, d, k, out, len);
		ref_mth(d + k, n - k, out[(*len)++]);
	} else {
		ref_path(m - k, d + k, n - k, out, len);
		ref_mth(d, k, out[(*len)++]);
	}
}

/* SUBPROOF(m, D[n], b) appended to out[*len]. */
static void
ref_subproof(uint64_t m, const merkle_hash *d, uint64_t n, int b,
    merkle_hash *out, int *len)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			ref_mth(d, n, out[(*len)++]);
		return;
	}
	k = ref_split(n);
	if (m <= k) {
		ref_subproof(m, d, k, b, out, len);
		ref_mth(d + k, n - k, out[(*len)++]);
	} else {
		ref_subproof(m - k, d + k, n - k, 0, out, len);
		ref_mth(d, k, out[(*len)++]);
	}
}

/*
 * The shape of PATH(m, D[n]): from the root down, 'L' where the path goes
 * left (its sibling is on the right), 'R' where it goes right.
 */
static void
shape_path(uint64_t m, uint64_t n, char *s)
{
	uint64_t k;
	int i = 0;

	while (n > 1) {
		k = ref_split(n);
		if (m < k) {
			s[i++] = 'L';
			n = k;
		} else {
			s[i++] = 'R';
			m -= k;
			n -= k;
		}
	}
	s[i] = '\0';
}

/*
 * The shape of PROOF(m, D[n]): the directions of SUBPROOF's descent, and
 * whether it ends on the old tree's own root ('+', a hash in the proof)
 * or on a left-only subtree ('=', root_m stands in for it).
 */
static void
shape_proof(uint64_t m, uint64_t n, char *s)
{
	uint64_t k;
	int i = 0, whole = 1;

	while (m != n) {
		k = ref_split(n);
		if (m <= k) {
			s[i++] = 'L';
			n = k;
		} else {
			s[i++] = 'R';
			m -= k;
			n -= k;
			whole = 0;
		}
	}
	s[i++] = whole ? '=' : '+';
	s[i] = '\0';
}

/*
 * Which bits of a hash to flip: all of them, or every 13th (20 bits
 * spread over the hash, at every position within a byte) to keep the
 * larger trees quick under valgrind.
 */
static int
flip_step(uint64_t n)
{
	return n <= ALL_BITS_UPTO ? 1 : 13;
}

/*
 * Whether to try size (or index) x against a proof for (m, n): every x
 * in the small trees; in the big ones, those near m, near n, near 2n and
 * at powers of two (and one less), where the shapes change.
 */
static int
try_size(uint64_t x, uint64_t m, uint64_t n)
{
	if (n <= 64)
		return 1;
	if (x < m + 32 || (x + 32 > n && x < n + 32) || x + 8 > 2 * n)
		return 1;
	return (x & (x - 1)) == 0 || (x & (x + 1)) == 0;
}

static void
test_merkle_hashes(void **state)
{
	unsigned char buf[1 + 100], want[MERKLE_HASH];
	merkle_hash got, l, r;
	char hex[2 * MERKLE_HASH + 1];

	(void)state;
	/* BLAKE2b-256 of the empty string: a published vector. */
	merkle_empty(got);
	merkle_hex(got, hex);
	assert_string_equal(hex,
	    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");

	memset(buf, 'x', sizeof buf);
	buf[0] = 0x00;
	ref_hash(buf, sizeof buf, want);
	merkle_leaf(buf + 1, 100, got);
	assert_memory_equal(got, want, MERKLE_HASH);
	ref_hash(buf, 1, want);
	merkle_leaf(NULL, 0, got);
	assert_memory_equal(got, want, MERKLE_HASH);
	/* The leaf prefix separates a leaf from the data alone. */
	ref_hash(buf + 1, 100, want);
	merkle_leaf(buf + 1, 100, got);
	assert_memory_not_equal(got, want, MERKLE_HASH);

	merkle_leaf("a", 1, l);
	merkle_leaf("b", 1, r);
	ref_node(l, r, want);
	merkle_node(l, r, got);
	assert_memory_equal(got, want, MERKLE_HASH);
	/* Order matters, and the output may alias an input. */
	merkle_node(r, l, got);
	assert_memory_not_equal(got, want, MERKLE_HASH);
	merkle_node(l, r, l);
	assert_memory_equal(l, want, MERKLE_HASH);
}

static void
test_merkle_root(void **state)
{
	static const uint64_t big[] = { 1000, 1024, 1025 };
	merkle_hash *leaves, got, want;
	uint64_t n;
	size_t i;

	(void)state;
	leaves = make_leaves(1025);
	for (n = 0; n <= 70; n++) {
		ref_mth(leaves, n, want);
		merkle_root(leaves, n, got);
		assert_memory_equal(got, want, MERKLE_HASH);
	}
	for (i = 0; i < sizeof big / sizeof big[0]; i++) {
		ref_mth(leaves, big[i], want);
		merkle_root(leaves, big[i], got);
		assert_memory_equal(got, want, MERKLE_HASH);
	}
	/* The special cases, spelled out. */
	merkle_root(leaves, 0, got);
	merkle_empty(want);
	assert_memory_equal(got, want, MERKLE_HASH);
	merkle_root(leaves, 1, got);
	assert_memory_equal(got, leaves[0], MERKLE_HASH);
	merkle_root(leaves, 2, got);
	merkle_node(leaves[0], leaves[1], want);
	assert_memory_equal(got, want, MERKLE_HASH);
	/* A changed leaf changes the root. */
	merkle_root(leaves, 1025, want);
	leaves[1024][5] ^= 0x20;
	merkle_root(leaves, 1025, got);
	assert_memory_not_equal(got, want, MERKLE_HASH);
	free(leaves);
}

static void
test_merkle_stream(void **state)
{
	struct merkle_stream s;
	merkle_hash *leaves, got, want;
	uint64_t n;
	int i;

	(void)state;
	leaves = make_leaves(1025);
	merkle_stream_init(&s);
	for (n = 0;; n++) {
		merkle_stream_root(&s, got);
		merkle_root(leaves, n, want);
		assert_memory_equal(got, want, MERKLE_HASH);
		/* One perfect subtree per bit of the size, largest first. */
		assert_int_equal(s.size, n);
		assert_int_equal(s.n, __builtin_popcountll(n));
		for (i = 0; i < s.n; i++) {
			assert_true((n >> s.depth[i]) & 1);
			if (i > 0)
				assert_true(s.depth[i] < s.depth[i - 1]);
		}
		if (n == 1025)
			break;
		merkle_stream_add(&s, leaves[n]);
	}
	free(leaves);
}

/* Every single-bit change of `h` makes the check fail. */
#define FLIP_ALL(h, step, check) \
	do { \
		int bit_; \
		for (bit_ = 0; bit_ < 8 * MERKLE_HASH; bit_ += (step)) { \
			(h)[bit_ / 8] ^= 1u << (bit_ % 8); \
			assert_false(check); \
			(h)[bit_ / 8] ^= 1u << (bit_ % 8); \
		} \
		assert_true(check); \
	} while (0)

/* Leaf m of the tree over leaves[0..n): the proof and every tampering. */
static void
check_inclusion(const merkle_hash *leaves, uint64_t n, uint64_t m, int flips)
{
	merkle_hash proof[MERKLE_MAX_PROOF + 1], want[MERKLE_MAX_PROOF];
	merkle_hash root, leaf, extra;
	char shape[SHAPE_MAX], other[SHAPE_MAX];
	uint64_t m2, n2;
	int len, wlen = 0, i;

	merkle_root(leaves, n, root);
	memcpy(leaf, leaves[m], MERKLE_HASH);
	len = merkle_inclusion_proof(leaves, n, m, proof);
	ref_path(m, leaves, n, want, &wlen);
	shape_path(m, n, shape);
	assert_int_equal(len, wlen);
	assert_int_equal(len, (int)strlen(shape));
	if (len > 0)
		assert_memory_equal(proof, want, (size_t)len * MERKLE_HASH);
	assert_true(merkle_inclusion_verify(leaf, m, n, proof, len, root));

	if (flips > 0) {
		FLIP_ALL(leaf, flips,
		    merkle_inclusion_verify(leaf, m, n, proof, len, root));
		FLIP_ALL(root, flips,
		    merkle_inclusion_verify(leaf, m, n, proof, len, root));
		for (i = 0; i < len; i++)
			FLIP_ALL(proof[i], flips,
			    merkle_inclusion_verify(leaf, m, n, proof, len,
				root));
	}

	/* Another leaf of the same tree: always another shape. */
	for (m2 = 0; m2 < n + 2; m2++) {
		if (m2 != m && try_size(m2, 0, n))
			assert_false(merkle_inclusion_verify(leaf, m2, n, proof,
			    len, root));
	}
	assert_false(
	    merkle_inclusion_verify(leaf, UINT64_MAX, n, proof, len, root));
	/* Another size: refused unless it hashes leaf m the same way. */
	for (n2 = m + 1; n2 <= 2 * n + 2; n2++) {
		if (n2 == n || !try_size(n2, m, n))
			continue;
		shape_path(m, n2, other);
		assert_int_equal(merkle_inclusion_verify(leaf, m, n2, proof,
				     len, root),
		    strcmp(shape, other) == 0);
	}
	assert_false(merkle_inclusion_verify(leaf, m, 0, proof, len, root));
	assert_false(merkle_inclusion_verify(leaf, m, m, proof, len, root));
	assert_false(
	    merkle_inclusion_verify(leaf, m, UINT64_MAX, proof, len, root));

	/* Truncated, extended (by a zero hash, the root, the leaf), bogus. */
	if (len > 0) {
		assert_false(
		    merkle_inclusion_verify(leaf, m, n, proof, len - 1, root));
		assert_false(merkle_inclusion_verify(leaf, m, n, proof + 1,
		    len - 1, root));
	}
	memset(extra, 0, sizeof extra);
	memcpy(proof[len], extra, MERKLE_HASH);
	assert_false(merkle_inclusion_verify(leaf, m, n, proof, len + 1, root));
	memcpy(proof[len], root, MERKLE_HASH);
	assert_false(merkle_inclusion_verify(leaf, m, n, proof, len + 1, root));
	memcpy(proof[len], leaf, MERKLE_HASH);
	assert_false(merkle_inclusion_verify(leaf, m, n, proof, len + 1, root));
	assert_false(merkle_inclusion_verify(leaf, m, n, proof, -1, root));
	assert_false(merkle_inclusion_verify(leaf, m, n, proof,
	    MERKLE_MAX_PROOF + 1, root));
	/* The two siblings of a level, swapped, are another proof. */
	if (len >= 2 && memcmp(proof[0], proof[1], MERKLE_HASH) != 0) {
		memcpy(extra, proof[0], MERKLE_HASH);
		memcpy(proof[0], proof[1], MERKLE_HASH);
		memcpy(proof[1], extra, MERKLE_HASH);
		assert_false(
		    merkle_inclusion_verify(leaf, m, n, proof, len, root));
	}
	/* The root is not its own leaf unless the tree has one leaf. */
	assert_int_equal(merkle_inclusion_verify(root, 0, 1, NULL, 0, root), 1);
	if (n > 1)
		assert_false(
		    merkle_inclusion_verify(root, m, n, NULL, 0, root));
}

static void
test_merkle_inclusion_all(void **state)
{
	merkle_hash *leaves, proof[MERKLE_MAX_PROOF];
	uint64_t n, m;

	(void)state;
	leaves = make_leaves(40);
	for (n = 1; n <= 40; n++) {
		for (m = 0; m < n; m++)
			check_inclusion(leaves, n, m, flip_step(n));
		assert_int_equal(merkle_inclusion_proof(leaves, n, n, proof),
		    -1);
		assert_int_equal(merkle_inclusion_proof(leaves, n, UINT64_MAX,
				     proof),
		    -1);
	}
	assert_int_equal(merkle_inclusion_proof(leaves, 0, 0, proof), -1);
	free(leaves);
}

static void
test_merkle_inclusion_edges(void **state)
{
	static const uint64_t sizes[] = { 1, 2, 3, 64, 127, 128, 129, 1000,
		1023, 1024, 1025 };
	merkle_hash *leaves, proof[MERKLE_MAX_PROOF];
	uint64_t n, m, picks[6];
	size_t i, j;
	int lg;

	(void)state;
	leaves = make_leaves(1025);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		n = sizes[i];
		picks[0] = 0;
		picks[1] = n - 1;
		picks[2] = n / 2;
		picks[3] = n > 1 ? ref_split(n) - 1 : 0;
		picks[4] = n > 1 ? ref_split(n) : 0;
		picks[5] = n > 2 ? n - 2 : 0;
		for (j = 0; j < 6; j++) {
			if (picks[j] < n)
				check_inclusion(leaves, n, picks[j], 32);
		}
	}
	/* A perfect tree: every path is log2(n) long. */
	for (lg = 0; lg <= 10; lg++) {
		n = (uint64_t)1 << lg;
		for (m = 0; m < n; m += 1 + n / 8)
			assert_int_equal(merkle_inclusion_proof(leaves, n, m,
					     proof),
			    lg);
	}
	/* 1025 leaves: the last hangs one level below the root. */
	assert_int_equal(merkle_inclusion_proof(leaves, 1025, 1024, proof), 1);
	assert_int_equal(merkle_inclusion_proof(leaves, 1025, 1023, proof), 11);
	free(leaves);
}

/*
 * The roots of every prefix of leaves[0..n), roots[0..n]: the consistency
 * checks need the old head of many sizes.  Caller frees.
 */
static merkle_hash *
prefix_roots(const merkle_hash *leaves, uint64_t n)
{
	struct merkle_stream s;
	merkle_hash *roots;
	uint64_t i;

	roots = xcalloc(n + 1, sizeof *roots);
	merkle_stream_init(&s);
	for (i = 0;; i++) {
		merkle_stream_root(&s, roots[i]);
		if (i == n)
			break;
		merkle_stream_add(&s, leaves[i]);
	}
	return roots;
}

/*
 * PROOF(m, D[n]) over leaves and every tampering; roots[] are the roots
 * of the prefixes.
 */
static void
check_consistency(const merkle_hash *leaves, const merkle_hash *roots,
    uint64_t n, uint64_t m, int flips)
{
	merkle_hash proof[MERKLE_MAX_PROOF + 1], want[MERKLE_MAX_PROOF + 1];
	merkle_hash rm, rn;
	char shape[SHAPE_MAX], other[SHAPE_MAX];
	uint64_t m2, n2;
	int len, wlen = 0, i;

	memcpy(rm, roots[m], MERKLE_HASH);
	memcpy(rn, roots[n], MERKLE_HASH);
	len = merkle_consistency_proof(leaves, n, m, proof);
	ref_subproof(m, leaves, n, 1, want, &wlen);
	assert_int_equal(len, wlen);
	if (len > 0)
		assert_memory_equal(proof, want, (size_t)len * MERKLE_HASH);
	assert_true(merkle_consistency_verify(m, n, rm, rn, proof, len));

	if (m == n) {
		/* Nothing to prove: the heads must be the same. */
		assert_int_equal(len, 0);
		assert_true(merkle_consistency_verify(m, n, rm, rn, NULL, 0));
		FLIP_ALL(rn, 8 + (int)(m % 8),
		    merkle_consistency_verify(m, n, rm, rn, NULL, 0));
		FLIP_ALL(rm, 8 + (int)(m % 8),
		    merkle_consistency_verify(m, n, rm, rn, NULL, 0));
		memcpy(proof[0], rm, MERKLE_HASH);
		assert_false(merkle_consistency_verify(m, n, rm, rn, proof, 1));
		if (n > 1) {
			assert_false(merkle_consistency_verify(m, n,
			    roots[n - 1], rn, NULL, 0));
		}
		return;
	}

	shape_proof(m, n, shape);
	assert_int_equal(len, (int)strlen(shape) - (shape[len] == '=' ? 1 : 0));
	if (flips > 0) {
		FLIP_ALL(rm, flips,
		    merkle_consistency_verify(m, n, rm, rn, proof, len));
		FLIP_ALL(rn, flips,
		    merkle_consistency_verify(m, n, rm, rn, proof, len));
		for (i = 0; i < len; i++)
			FLIP_ALL(proof[i], flips,
			    merkle_consistency_verify(m, n, rm, rn, proof,
				len));
	}
	/* The heads swapped. */
	assert_false(merkle_consistency_verify(m, n, rn, rm, proof, len));
	/* The old head of another size, with its own root. */
	for (m2 = 1; m2 < n; m2++) {
		if (m2 == m || !try_size(m2, m, n))
			continue;
		assert_false(merkle_consistency_verify(m2, n, roots[m2], rn,
		    proof, len));
	}
	/*
	 * Another size with the same heads: refused unless it has the same
	 * shape (m and n are not hashed in, only the tree's structure).
	 */
	for (m2 = 1; m2 <= n; m2++) {
		if (m2 == m || !try_size(m2, m, n))
			continue;
		shape_proof(m2, n, other);
		assert_int_equal(merkle_consistency_verify(m2, n, rm, rn, proof,
				     len),
		    strcmp(shape, other) == 0);
	}
	for (n2 = m; n2 <= 2 * n + 2; n2++) {
		if (n2 == n || !try_size(n2, m, n))
			continue;
		shape_proof(m, n2, other);
		assert_int_equal(merkle_consistency_verify(m, n2, rm, rn, proof,
				     len),
		    strcmp(shape, other) == 0);
	}
	assert_false(merkle_consistency_verify(0, n, rm, rn, proof, len));
	assert_false(merkle_consistency_verify(n + 1, n, rm, rn, proof, len));
	assert_false(merkle_consistency_verify(m, m - 1, rm, rn, proof, len));
	assert_false(
	    merkle_consistency_verify(m, UINT64_MAX, rm, rn, proof, len));

	/* Empty, truncated, extended, bogus lengths. */
	assert_false(merkle_consistency_verify(m, n, rm, rn, NULL, 0));
	assert_false(merkle_consistency_verify(m, n, rm, rn, proof, 0));
	assert_false(merkle_consistency_verify(m, n, rm, rn, proof, len - 1));
	assert_false(
	    merkle_consistency_verify(m, n, rm, rn, proof + 1, len - 1));
	memset(proof[len], 0, MERKLE_HASH);
	assert_false(merkle_consistency_verify(m, n, rm, rn, proof, len + 1));
	memcpy(proof[len], rn, MERKLE_HASH);
	assert_false(merkle_consistency_verify(m, n, rm, rn, proof, len + 1));
	/* The explicit root_m a power-of-two proof leaves out. */
	memmove(proof[1], proof[0], (size_t)len * MERKLE_HASH);
	memcpy(proof[0], rm, MERKLE_HASH);
	assert_false(merkle_consistency_verify(m, n, rm, rn, proof, len + 1));
	assert_false(merkle_consistency_verify(m, n, rm, rn, proof, -1));
	assert_false(merkle_consistency_verify(m, n, rm, rn, proof,
	    MERKLE_MAX_PROOF + 1));
}

static void
test_merkle_consistency_all(void **state)
{
	merkle_hash *leaves, *roots, proof[MERKLE_MAX_PROOF], r;
	uint64_t n, m;

	(void)state;
	leaves = make_leaves(40);
	roots = prefix_roots(leaves, 40);
	for (n = 1; n <= 40; n++) {
		for (m = 1; m <= n; m++)
			check_consistency(leaves, roots, n, m, flip_step(n));
		merkle_root(leaves, n, r);
		assert_int_equal(merkle_consistency_proof(leaves, n, 0, proof),
		    -1);
		assert_int_equal(merkle_consistency_proof(leaves, n, n + 1,
				     proof),
		    -1);
		assert_false(merkle_consistency_verify(0, n, r, r, NULL, 0));
		assert_false(merkle_consistency_verify(0, 0, r, r, NULL, 0));
		assert_false(
		    merkle_consistency_verify(n + 1, n, r, r, NULL, 0));
	}
	free(roots);
	free(leaves);
}

static void
test_merkle_consistency_edges(void **state)
{
	merkle_hash *leaves, *roots, proof[MERKLE_MAX_PROOF];
	uint64_t n;

	(void)state;
	leaves = make_leaves(1025);
	roots = prefix_roots(leaves, 1025);
	check_consistency(leaves, roots, 1025, 1, 32);
	check_consistency(leaves, roots, 1025, 512, 32);
	check_consistency(leaves, roots, 1025, 1024, 32);
	check_consistency(leaves, roots, 1025, 1000, 32);
	check_consistency(leaves, roots, 1024, 1023, 32);
	check_consistency(leaves, roots, 1000, 999, 32);
	check_consistency(leaves, roots, 1025, 1025, 0);
	/* A power-of-two old tree inside a perfect one: one hash per level. */
	assert_int_equal(merkle_consistency_proof(leaves, 1024, 256, proof), 2);
	/*
	 * More than 2^63 leaves can need 65 hashes, one more than the caller
	 * has room for: refused before any leaf is read.
	 */
	n = ((uint64_t)1 << 63) + 1;
	assert_int_equal(merkle_consistency_proof(NULL, n, 3, proof), -1);
	free(roots);
	free(leaves);
}

/*
 * The 7-leaf example of RFC 6962 section 2.1.3, with its node names:
 * every path and proof it lists, hash for hash.
 */
static void
test_merkle_rfc_example(void **state)
{
	merkle_hash d[7], a, b, c, dd, e, f, g, h, i, j, k, l, root, got;
	merkle_hash hash0, hash1, hash2, proof[MERKLE_MAX_PROOF];
	char s[3];
	int n;

	(void)state;
	for (n = 0; n < 7; n++) {
		snprintf(s, sizeof s, "d%d", n);
		merkle_leaf(s, 2, d[n]);
	}
	memcpy(a, d[0], MERKLE_HASH);
	memcpy(b, d[1], MERKLE_HASH);
	memcpy(c, d[2], MERKLE_HASH);
	memcpy(dd, d[3], MERKLE_HASH);
	memcpy(e, d[4], MERKLE_HASH);
	memcpy(f, d[5], MERKLE_HASH);
	memcpy(j, d[6], MERKLE_HASH);
	ref_node(a, b, g);
	ref_node(c, dd, h);
	ref_node(e, f, i);
	ref_node(g, h, k);
	ref_node(i, j, l);
	ref_node(k, l, root);
	merkle_root(d, 7, got);
	assert_memory_equal(got, root, MERKLE_HASH);

#define EXPECT(p, idx, want) assert_memory_equal((p)[idx], want, MERKLE_HASH)
	/* "The audit path for d0 is [b, h, l]." */
	assert_int_equal(merkle_inclusion_proof(d, 7, 0, proof), 3);
	EXPECT(proof, 0, b);
	EXPECT(proof, 1, h);
	EXPECT(proof, 2, l);
	assert_true(merkle_inclusion_verify(a, 0, 7, proof, 3, root));
	/* "The audit path for d3 is [c, g, l]." */
	assert_int_equal(merkle_inclusion_proof(d, 7, 3, proof), 3);
	EXPECT(proof, 0, c);
	EXPECT(proof, 1, g);
	EXPECT(proof, 2, l);
	assert_true(merkle_inclusion_verify(dd, 3, 7, proof, 3, root));
	/* "The audit path for d4 is [f, j, k]." */
	assert_int_equal(merkle_inclusion_proof(d, 7, 4, proof), 3);
	EXPECT(proof, 0, f);
	EXPECT(proof, 1, j);
	EXPECT(proof, 2, k);
	assert_true(merkle_inclusion_verify(e, 4, 7, proof, 3, root));
	/* "The audit path for d6 is [i, k]." */
	assert_int_equal(merkle_inclusion_proof(d, 7, 6, proof), 2);
	EXPECT(proof, 0, i);
	EXPECT(proof, 1, k);
	assert_true(merkle_inclusion_verify(j, 6, 7, proof, 2, root));

	/* The same tree built in steps: hash0 (3), hash1 = k (4), hash2 (6). */
	ref_node(g, c, hash0);
	memcpy(hash1, k, MERKLE_HASH);
	ref_node(k, i, hash2);
	merkle_root(d, 3, got);
	assert_memory_equal(got, hash0, MERKLE_HASH);
	merkle_root(d, 4, got);
	assert_memory_equal(got, hash1, MERKLE_HASH);
	merkle_root(d, 6, got);
	assert_memory_equal(got, hash2, MERKLE_HASH);
	/* "PROOF(3, D[7]) = [c, d, g, l]" */
	assert_int_equal(merkle_consistency_proof(d, 7, 3, proof), 4);
	EXPECT(proof, 0, c);
	EXPECT(proof, 1, dd);
	EXPECT(proof, 2, g);
	EXPECT(proof, 3, l);
	assert_true(merkle_consistency_verify(3, 7, hash0, root, proof, 4));
	/* "PROOF(4, D[7]) = [l]" */
	assert_int_equal(merkle_consistency_proof(d, 7, 4, proof), 1);
	EXPECT(proof, 0, l);
	assert_true(merkle_consistency_verify(4, 7, hash1, root, proof, 1));
	/* "PROOF(6, D[7]) = [i, j, k]" */
	assert_int_equal(merkle_consistency_proof(d, 7, 6, proof), 3);
	EXPECT(proof, 0, i);
	EXPECT(proof, 1, j);
	EXPECT(proof, 2, k);
	assert_true(merkle_consistency_verify(6, 7, hash2, root, proof, 3));
	assert_false(merkle_consistency_verify(6, 7, hash0, root, proof, 3));
#undef EXPECT
}

/*
 * What the verifiers cannot see: leaf 0 of a 3-leaf tree is hashed the
 * same way as in a 4-leaf one (two right siblings), so its path also
 * "verifies" with n = 4 against the same root.  Callers must take n from
 * the head that carries the root; the shape checks above rely on this.
 */
static void
test_merkle_size_not_bound(void **state)
{
	merkle_hash *leaves, proof[MERKLE_MAX_PROOF], root;
	char s3[SHAPE_MAX], s4[SHAPE_MAX];
	int len;

	(void)state;
	leaves = make_leaves(4);
	merkle_root(leaves, 3, root);
	len = merkle_inclusion_proof(leaves, 3, 0, proof);
	assert_int_equal(len, 2);
	shape_path(0, 3, s3);
	shape_path(0, 4, s4);
	assert_string_equal(s3, s4);
	assert_true(merkle_inclusion_verify(leaves[0], 0, 3, proof, 2, root));
	assert_true(merkle_inclusion_verify(leaves[0], 0, 4, proof, 2, root));
	/* Leaf 2 sits one level up in the 3-leaf tree: not so. */
	len = merkle_inclusion_proof(leaves, 3, 2, proof);
	assert_int_equal(len, 1);
	assert_false(merkle_inclusion_verify(leaves[2], 2, 4, proof, 1, root));
	free(leaves);
}

static void
test_merkle_hex(void **state)
{
	merkle_hash h, back, keep;
	char hex[2 * MERKLE_HASH + 1], bad[2 * MERKLE_HASH + 2];
	int i;

	(void)state;
	for (i = 0; i < MERKLE_HASH; i++)
		h[i] = (unsigned char)(i * 37 + 5);
	merkle_hex(h, hex);
	assert_int_equal(strlen(hex), 2 * MERKLE_HASH);
	assert_true(strncmp(hex, "052a4f74", 8) == 0);
	assert_int_equal(merkle_unhex(hex, back), 0);
	assert_memory_equal(back, h, MERKLE_HASH);
	for (i = 0; hex[i] != '\0'; i++)
		assert_true((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f'));

	/* Upper case is hex too. */
	memcpy(bad, hex, sizeof hex);
	for (i = 0; bad[i] != '\0'; i++) {
		if (bad[i] >= 'a' && bad[i] <= 'f')
			bad[i] = (char)(bad[i] - 'a' + 'A');
	}
	memset(back, 0, sizeof back);
	assert_int_equal(merkle_unhex(bad, back), 0);
	assert_memory_equal(back, h, MERKLE_HASH);

	/* Refused, and the output is left alone. */
	memset(keep, 0xee, sizeof keep);
	memcpy(back, keep, sizeof keep);
	assert_int_equal(merkle_unhex(NULL, back), -1);
	assert_int_equal(merkle_unhex("", back), -1);
	assert_int_equal(merkle_unhex("0e57", back), -1);
	memcpy(bad, hex, sizeof hex);
	bad[63] = '\0';
	assert_int_equal(merkle_unhex(bad, back), -1);
	memcpy(bad, hex, sizeof hex);
	bad[64] = '0';
	bad[65] = '\0';
	assert_int_equal(merkle_unhex(bad, back), -1);
	for (i = 0; i < 64; i++) {
		memcpy(bad, hex, sizeof hex);
		bad[i] = "g -x"[i % 4];
		assert_int_equal(merkle_unhex(bad, back), -1);
	}
	assert_memory_equal(back, keep, MERKLE_HASH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merkle_hashes),
		cmocka_unit_test(test_merkle_root),
		cmocka_unit_test(test_merkle_stream),
		cmocka_unit_test(test_merkle_inclusion_all),
		cmocka_unit_test(test_merkle_inclusion_edges),
		cmocka_unit_test(test_merkle_consistency_all),
		cmocka_unit_test(test_merkle_consistency_edges),
		cmocka_unit_test(test_merkle_rfc_example),
		cmocka_unit_test(test_merkle_size_not_bound),
		cmocka_unit_test(test_merkle_hex),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
