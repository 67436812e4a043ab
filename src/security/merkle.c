/*
 * merkle.c — RFC 6962 Merkle tree hashing, audit paths and consistency
 * proofs, with BLAKE2b-256 for the hash.
 *
 * Everything here works on leaf hashes the caller already has; nothing
 * allocates.  Roots are computed bottom-up with the compact range of
 * merkle_stream, so memory is O(log n) however many leaves there are.
 * Proofs are generated top-down from the recursive definitions of the
 * RFC: each level costs one subtree root over a slice of the leaves, and
 * the slices shrink geometrically, so a proof is O(n) hashing in all.
 *
 * The verifiers are the iterative algorithms of RFC 9162 (2.1.3.2 and
 * 2.1.4.2).  They see only hashes and sizes: a root commits to its tree
 * size only through the shape of the tree, which is why the caller must
 * take n (and m) from the same signed head as the root.
 */
#include <string.h>

#include <sodium.h>

#include "security/merkle.h"

#define MERKLE_LEAF_PREFIX 0x00
#define MERKLE_NODE_PREFIX 0x01

void
merkle_leaf(const void *data, size_t len, merkle_hash out)
{
	crypto_generichash_state st;
	const unsigned char prefix = MERKLE_LEAF_PREFIX;

	/* Streamed, so the entry is never copied behind its prefix. */
	crypto_generichash_init(&st, NULL, 0, MERKLE_HASH);
	crypto_generichash_update(&st, &prefix, 1);
	if (len > 0)
		crypto_generichash_update(&st, data, len);
	crypto_generichash_final(&st, out, MERKLE_HASH);
}

void
merkle_node(const merkle_hash left, const merkle_hash right, merkle_hash out)
{
	unsigned char buf[1 + 2 * MERKLE_HASH];

	/*
	 * 65 bytes fit one BLAKE2b block: copying them is cheaper than a
	 * streaming state, and it lets `out` alias `left` or `right`.
	 */
	buf[0] = MERKLE_NODE_PREFIX;
	memcpy(buf + 1, left, MERKLE_HASH);
	memcpy(buf + 1 + MERKLE_HASH, right, MERKLE_HASH);
	crypto_generichash(out, MERKLE_HASH, buf, sizeof buf, NULL, 0);
}

void
merkle_empty(merkle_hash out)
{
	/* A non-NULL pointer: libsodium treats NULL input as misuse. */
	crypto_generichash(out, MERKLE_HASH, (const unsigned char *)"", 0, NULL,
	    0);
}

/* The largest power of two smaller than n (n >= 2): the RFC's k. */
static uint64_t
merkle_split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

void
merkle_stream_init(struct merkle_stream *s)
{
	memset(s, 0, sizeof *s);
}

void
merkle_stream_add(struct merkle_stream *s, const merkle_hash leaf)
{
	merkle_hash carry;
	int height = 0;

	/*
	 * Binary addition: the new leaf is a carry of height 0 that absorbs
	 * every subtree of its own height at the top of the stack.  Merging
	 * before the push (rather than push, then merge) keeps the stack at
	 * popcount(size) entries, which never exceeds its 64 slots.
	 */
	memcpy(carry, leaf, MERKLE_HASH);
	while (s->n > 0 && s->depth[s->n - 1] == height) {
		merkle_node(s->stack[s->n - 1], carry, carry);
		s->n--;
		height++;
	}
	memcpy(s->stack[s->n], carry, MERKLE_HASH);
	s->depth[s->n] = height;
	s->n++;
	s->size++;
}

void
merkle_stream_root(const struct merkle_stream *s, merkle_hash out)
{
	merkle_hash r;
	int i;

	if (s->n == 0) {
		merkle_empty(out);
		return;
	}
	/*
	 * The perfect subtrees follow the binary digits of the size, largest
	 * first, so folding from the right is exactly MTH's split at the
	 * largest power of two.
	 */
	memcpy(r, s->stack[s->n - 1], MERKLE_HASH);
	for (i = s->n - 2; i >= 0; i--)
		merkle_node(s->stack[i], r, r);
	memcpy(out, r, MERKLE_HASH);
}

void
merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash out)
{
	struct merkle_stream s;
	uint64_t i;

	merkle_stream_init(&s);
	for (i = 0; i < n; i++)
		merkle_stream_add(&s, leaves[i]);
	merkle_stream_root(&s, out);
}

/* How many levels PATH(m, D[n]) descends: the length of the path. */
static int
merkle_path_len(uint64_t m, uint64_t n)
{
	uint64_t k;
	int len = 0;

	while (n > 1) {
		k = merkle_split(n);
		if (m < k)
			n = k;
		else {
			m -= k;
			n -= k;
		}
		len++;
	}
	return len;
}

int
merkle_inclusion_proof(const merkle_hash *leaves, uint64_t n, uint64_t m,
    merkle_hash *proof)
{
	uint64_t k;
	int len, i;

	if (m >= n)
		return -1;
	/*
	 * PATH(m, D[n]) appends the sibling of each level after the path
	 * below it, so the top sibling is last: count the levels first, then
	 * fill the proof from its end while descending.
	 */
	len = merkle_path_len(m, n);
	for (i = len - 1; i >= 0; i--) {
		k = merkle_split(n);
		if (m < k) {
			merkle_root(leaves + k, n - k, proof[i]);
			n = k;
		} else {
			merkle_root(leaves, k, proof[i]);
			leaves += k;
			m -= k;
			n -= k;
		}
	}
	return len;
}

int
merkle_inclusion_verify(const merkle_hash leaf, uint64_t m, uint64_t n,
    const merkle_hash *proof, int len, const merkle_hash root)
{
	merkle_hash r;
	uint64_t fn, sn;
	int i;

	if (m >= n || len < 0 || len > MERKLE_MAX_PROOF)
		return 0;
	if (len > 0 && proof == NULL)
		return 0;
	fn = m;
	sn = n - 1;
	memcpy(r, leaf, MERKLE_HASH);
	for (i = 0; i < len; i++) {
		/* More hashes than levels: a longer proof is not "also" right. */
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			merkle_node(proof[i], r, r);
			/*
			 * The last node of a level with no right sibling rises
			 * unchanged: skip the levels where it is alone.
			 */
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			merkle_node(r, proof[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, MERKLE_HASH) == 0;
}

/*
 * How many hashes PROOF(m, D[n]) holds, 0 < m < n: one per level of
 * SUBPROOF's descent, plus MTH(D[m]) itself unless the old tree is a
 * subtree reached by going left only (m a power of two).
 */
static int
merkle_consistency_len(uint64_t m, uint64_t n)
{
	uint64_t k;
	int len = 0, whole = 1;

	while (m != n) {
		k = merkle_split(n);
		if (m <= k)
			n = k;
		else {
			m -= k;
			n -= k;
			whole = 0;
		}
		len++;
	}
	return whole ? len : len + 1;
}

int
merkle_consistency_proof(const merkle_hash *leaves, uint64_t n, uint64_t m,
    merkle_hash *proof)
{
	uint64_t k;
	int len, i, whole = 1;

	if (m == 0 || m > n)
		return -1;
	if (m == n)
		return 0;
	/*
	 * Only a tree of more than 2^63 leaves needs 65 hashes; the caller
	 * gave room for MERKLE_MAX_PROOF.
	 */
	if ((len = merkle_consistency_len(m, n)) > MERKLE_MAX_PROOF)
		return -1;
	/* As for PATH: SUBPROOF puts the deepest hashes first. */
	for (i = len - 1; m != n; i--) {
		k = merkle_split(n);
		if (m <= k) {
			merkle_root(leaves + k, n - k, proof[i]);
			n = k;
		} else {
			merkle_root(leaves, k, proof[i]);
			leaves += k;
			m -= k;
			n -= k;
			whole = 0;
		}
	}
	/* SUBPROOF(m, D[m], false): the old tree's own subtree root. */
	if (!whole)
		merkle_root(leaves, m, proof[0]);
	return len;
}

int
merkle_consistency_verify(uint64_t m, uint64_t n, const merkle_hash root_m,
    const merkle_hash root_n, const merkle_hash *proof, int len)
{
	merkle_hash fr, sr;
	uint64_t fn, sn;
	int i;

	if (m == 0 || m > n || len < 0 || len > MERKLE_MAX_PROOF)
		return 0;
	if (len > 0 && proof == NULL)
		return 0;
	/* The same tree: nothing to prove, and the heads must agree. */
	if (m == n)
		return len == 0 && memcmp(root_m, root_n, MERKLE_HASH) == 0;
	if (len == 0)
		return 0;
	/*
	 * A power-of-two old tree is a subtree of the new one, so the proof
	 * leaves its root out: the verifier starts from root_m instead.
	 */
	i = 0;
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, MERKLE_HASH);
		memcpy(sr, root_m, MERKLE_HASH);
	} else {
		memcpy(fr, proof[0], MERKLE_HASH);
		memcpy(sr, proof[0], MERKLE_HASH);
		i = 1;
	}
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			/* A left sibling: inside both trees. */
			merkle_node(proof[i], fr, fr);
			merkle_node(proof[i], sr, sr);
			while ((fn & 1) == 0 && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			/* A right sibling: only in the new tree. */
			merkle_node(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root_m, MERKLE_HASH) == 0 &&
	    memcmp(sr, root_n, MERKLE_HASH) == 0;
}

void
merkle_hex(const merkle_hash h, char out[2 * MERKLE_HASH + 1])
{
	sodium_bin2hex(out, 2 * MERKLE_HASH + 1, h, MERKLE_HASH);
}

int
merkle_unhex(const char *s, merkle_hash out)
{
	merkle_hash h;
	const char *end = NULL;
	size_t n = 0;

	/*
	 * Strict: exactly 64 digits, nothing after them, and `out` untouched
	 * on failure (sodium_hex2bin alone stops at the first non-hex byte).
	 */
	if (s == NULL || strlen(s) != 2 * MERKLE_HASH ||
	    sodium_hex2bin(h, sizeof h, s, 2 * MERKLE_HASH, NULL, &n, &end) !=
		0 ||
	    n != MERKLE_HASH || end != s + 2 * MERKLE_HASH)
		return -1;
	memcpy(out, h, MERKLE_HASH);
	return 0;
}
