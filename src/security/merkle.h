/*
 * merkle.h — a Merkle tree in the style of RFC 6962 (Certificate
 * Transparency, section 2.1) with BLAKE2b-256 (libsodium's
 * crypto_generichash) instead of SHA-256:
 *
 *   leaf hash  = H(0x00 || entry)
 *   node hash  = H(0x01 || left || right)
 *   MTH({})    = H()   (the hash of the empty string)
 *   MTH(D[n])  = H(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest
 *                power of two smaller than n
 *
 * Inclusion proofs (audit paths, 2.1.1) and consistency proofs (2.1.2),
 * each with a verifier that needs only hashes.  No I/O: the audit log
 * (audit.c) feeds leaf hashes in.
 */
#ifndef OXIOS_SECURITY_MERKLE_H
#define OXIOS_SECURITY_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH 32
#define MERKLE_MAX_PROOF 64 /* hashes in a proof: log2 of 2^64 */

typedef unsigned char merkle_hash[MERKLE_HASH];

/* H(0x00 || data). */
void merkle_leaf(const void *data, size_t len, merkle_hash out);
/* H(0x01 || left || right). */
void merkle_node(const merkle_hash left, const merkle_hash right,
    merkle_hash out);
/* H() of nothing: the root of an empty tree. */
void merkle_empty(merkle_hash out);

/*
 * The root of the tree over leaf hashes leaves[0..n) (MTH of RFC 6962,
 * computed bottom-up in O(n) time and O(log n) memory).
 */
void merkle_root(const merkle_hash *leaves, uint64_t n, merkle_hash out);

/*
 * A tree built incrementally: append leaf hashes one at a time and read
 * the root at any size, in O(log n) memory (the "compact range" of the
 * right edge).  For appending to a log without keeping every leaf.
 */
struct merkle_stream {
	uint64_t size;
	merkle_hash stack[64]; /* perfect subtrees, largest first */
	int depth[64];         /* their heights */
	int n;
};
void merkle_stream_init(struct merkle_stream *s);
void merkle_stream_add(struct merkle_stream *s, const merkle_hash leaf);
/* The root of what was added so far (merkle_empty for none). */
void merkle_stream_root(const struct merkle_stream *s, merkle_hash out);

/*
 * The audit path of leaf m in the tree of leaves[0..n) (PATH(m, D[n]) of
 * RFC 6962 2.1.1), into proof[] (room for MERKLE_MAX_PROOF); returns its
 * length, or -1 if m >= n.
 */
int merkle_inclusion_proof(const merkle_hash *leaves, uint64_t n, uint64_t m,
    merkle_hash *proof);
/*
 * Whether `proof` (len hashes) shows that `leaf` is leaf m of a tree of
 * size n with root `root` (the RFC 9162 section 2.1.3.2 algorithm).  1 or
 * 0.
 */
int merkle_inclusion_verify(const merkle_hash leaf, uint64_t m, uint64_t n,
    const merkle_hash *proof, int len, const merkle_hash root);

/*
 * The consistency proof between the trees of sizes m and n over leaves
 * (PROOF(m, D[n]) of RFC 6962 2.1.2), 0 < m <= n; its length, or -1.
 * For m == n the proof is empty.
 */
int merkle_consistency_proof(const merkle_hash *leaves, uint64_t n, uint64_t m,
    merkle_hash *proof);
/*
 * Whether `proof` shows that the tree of size m with root `root_m` is a
 * prefix of the tree of size n with root `root_n` (RFC 9162 2.1.4.2).
 */
int merkle_consistency_verify(uint64_t m, uint64_t n, const merkle_hash root_m,
    const merkle_hash root_n, const merkle_hash *proof, int len);

/* Lower-case hex of a hash into out (65 bytes). */
void merkle_hex(const merkle_hash h, char out[2 * MERKLE_HASH + 1]);
/* Parse 64 hex digits.  0, or -1. */
int merkle_unhex(const char *s, merkle_hash out);

#endif
