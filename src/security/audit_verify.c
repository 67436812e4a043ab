/*
 * audit_verify.c — checking the audit trail: the log in the database or
 * an export (every leaf recomputed, the tree rebuilt, every head's
 * signature and root), the export itself, and proofs.  The encodings are
 * those of audit.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "security/audit.h"
#include "security/audit_int.h"
#include "security/merkle.h"
#include "util/xalloc.h"

#define AUDIT_MAX_EXPORT_LINE (1024 * 1024) /* of an export */

/* ---- verifying ---- */

/*
 * The checker, fed entries and heads in order (from the database or an
 * export).  The first problem is kept.
 */
struct audit_check {
	struct merkle_stream tree;
	int64_t entries, heads, expect_seq;
	int64_t bad_seq, bad_head;
	char problem[512];
	int failed;
	const unsigned char *trusted_pk; /* or NULL: the heads' own */
	unsigned char first_pk[crypto_sign_PUBLICKEYBYTES];
	int have_pk;
	struct {
		int64_t size;
		merkle_hash root;
	} * pending; /* heads ahead of the entries read so far */
	size_t npending;
	int64_t covered; /* the largest size a good head signs */
	int need_cover;  /* an export: every entry must be signed */
};

static void audit_check_fail(struct audit_check *c, int64_t seq, int64_t head,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
audit_check_fail(struct audit_check *c, int64_t seq, int64_t head,
    const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = 1;
	c->bad_seq = seq;
	c->bad_head = head;
	va_start(ap, fmt);
	vsnprintf(c->problem, sizeof c->problem, fmt, ap);
	va_end(ap);
}

/* Compare the heads waiting for this size with the tree. */
static void
audit_check_heads(struct audit_check *c)
{
	merkle_hash root;
	size_t i, w = 0;

	for (i = 0; i < c->npending; i++) {
		if (c->pending[i].size != c->entries) {
			c->pending[w++] = c->pending[i];
			continue;
		}
		merkle_stream_root(&c->tree, root);
		if (sodium_memcmp(root, c->pending[i].root, MERKLE_HASH) != 0)
			audit_check_fail(c, -1, c->pending[i].size,
			    "the signed head of size %lld does not match "
			    "entries 1..%lld: one of them was changed, "
			    "removed or reordered",
			    (long long)c->pending[i].size,
			    (long long)c->pending[i].size);
	}
	c->npending = w;
}

static void
audit_check_entry(struct audit_check *c, int64_t seq, int64_t ts,
    const char *actor, const char *action, const char *resource,
    const char *detail, size_t detail_len, const void *stored, int stored_len)
{
	merkle_hash leaf;

	if (seq != c->expect_seq) {
		if (seq > c->expect_seq)
			audit_check_fail(c, c->expect_seq, -1,
			    "entry %lld is missing (the next one is %lld)",
			    (long long)c->expect_seq, (long long)seq);
		else
			audit_check_fail(c, seq, -1,
			    "entry %lld is out of order (expected %lld)",
			    (long long)seq, (long long)c->expect_seq);
		c->expect_seq = seq;
	}
	c->expect_seq++;
	audit_leaf(seq, ts, actor, action, resource, detail, detail_len, leaf);
	if (stored_len != MERKLE_HASH ||
	    sodium_memcmp(leaf, stored, MERKLE_HASH) != 0)
		audit_check_fail(c, seq, -1,
		    "entry %lld does not match its hash: a field was edited",
		    (long long)seq);
	/* The tree is built from the recomputed leaves: a stored hash made
	 * to match an edit still fails against the signed heads. */
	merkle_stream_add(&c->tree, leaf);
	c->entries++;
	audit_check_heads(c);
}

static void
audit_check_head(struct audit_check *c, int64_t size, const void *root,
    int root_len, int64_t ts, const void *sig, int sig_len, const void *pk,
    int pk_len)
{
	unsigned char msg[52];
	const unsigned char *key;

	c->heads++;
	if (root_len != MERKLE_HASH || sig_len != crypto_sign_BYTES ||
	    pk_len != crypto_sign_PUBLICKEYBYTES) {
		audit_check_fail(c, -1, size,
		    "the head of size %lld is "
		    "malformed",
		    (long long)size);
		return;
	}
	if (!c->have_pk) {
		memcpy(c->first_pk, pk, sizeof c->first_pk);
		c->have_pk = 1;
	}
	key = c->trusted_pk != NULL ? c->trusted_pk : c->first_pk;
	audit_head_msg((uint64_t)size, root, ts, msg);
	if (sodium_memcmp(pk, key, crypto_sign_PUBLICKEYBYTES) != 0 ||
	    crypto_sign_verify_detached(sig, msg, sizeof msg, key) != 0) {
		audit_check_fail(c, -1, size,
		    "the head of size %lld has no valid signature of the "
		    "audit key: forged or altered",
		    (long long)size);
		return;
	}
	if (size > c->covered)
		c->covered = size;
	c->pending =
	    xreallocarray(c->pending, c->npending + 1, sizeof *c->pending);
	c->pending[c->npending].size = size;
	memcpy(c->pending[c->npending].root, root, MERKLE_HASH);
	c->npending++;
	audit_check_heads(c);
}

static json_t *
audit_check_report(struct audit_check *c)
{
	json_t *r;
	size_t i;

	/* Heads larger than the log: entries at its end are gone. */
	for (i = 0; i < c->npending; i++) {
		if (c->pending[i].size > c->entries)
			audit_check_fail(c, c->entries + 1, c->pending[i].size,
			    "the log ends at entry %lld but a signed head "
			    "covers %lld: it was truncated",
			    (long long)c->entries,
			    (long long)c->pending[i].size);
	}
	/* An export is signed as a whole (export flushes first): entries
	 * no head covers could have been written by anyone. */
	if (c->need_cover && c->entries > c->covered)
		audit_check_fail(c, c->covered + 1, -1,
		    "entries %lld to %lld are covered by no signed head",
		    (long long)c->covered + 1, (long long)c->entries);
	r = json_pack("{s:b, s:I, s:I, s:I}", "ok", !c->failed, "entries",
	    (json_int_t)c->entries, "heads", (json_int_t)c->heads, "unsigned",
	    (json_int_t)(c->entries > c->covered ? c->entries - c->covered :
						   0));
	if (c->failed) {
		json_object_set_new(r, "problem", json_string(c->problem));
		if (c->bad_seq > 0)
			json_object_set_new(r, "first_bad_seq",
			    json_integer(c->bad_seq));
		if (c->bad_head >= 0)
			json_object_set_new(r, "first_bad_head",
			    json_integer(c->bad_head));
	}
	free(c->pending);
	return r;
}

/* A text column, "" for NULL (a tampered row may hold anything). */
static const char *
audit_text(sqlite3_stmt *st, int col)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	return s != NULL ? s : "";
}

json_t *
audit_verify(sqlite3 *db, char **cause)
{
	struct audit_check c;
	sqlite3_stmt *st = NULL, *hd = NULL;
	int64_t next_head = -1;
	int rc, hr = SQLITE_DONE;

	memset(&c, 0, sizeof c);
	merkle_stream_init(&c.tree);
	c.expect_seq = 1;
	c.bad_head = -1;
	pthread_mutex_lock(&aud.lock);
	if (aud.enabled && !aud.have_key && audit_key_exists() &&
	    audit_key_load(cause) == 0)
		aud.have_key = 1;
	free(*cause);
	*cause = NULL;
	if (aud.have_key) {
		c.trusted_pk = xmalloc(sizeof aud.pk);
		memcpy((unsigned char *)c.trusted_pk, aud.pk, sizeof aud.pk);
	}
	pthread_mutex_unlock(&aud.lock);
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"SELECT seq, ts_ms, actor, action, resource, detail, leaf FROM "
		"audit_log ORDER BY seq",
		-1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"SELECT size, root, ts_ms, signature, public_key FROM "
		"audit_heads ORDER BY size",
		-1, &hd, NULL) != SQLITE_OK) {
		xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		free((void *)c.trusted_pk);
		return NULL;
	}
	/* Heads are read as the entries reach their sizes. */
#define NEXT_HEAD() \
	do { \
		hr = sqlite3_step(hd); \
		next_head = \
		    hr == SQLITE_ROW ? sqlite3_column_int64(hd, 0) : -1; \
	} while (0)
#define TAKE_HEAD() \
	audit_check_head(&c, sqlite3_column_int64(hd, 0), \
	    sqlite3_column_blob(hd, 1), sqlite3_column_bytes(hd, 1), \
	    sqlite3_column_int64(hd, 2), sqlite3_column_blob(hd, 3), \
	    sqlite3_column_bytes(hd, 3), sqlite3_column_blob(hd, 4), \
	    sqlite3_column_bytes(hd, 4))
	NEXT_HEAD();
	while (next_head >= 0 && next_head <= c.entries) {
		TAKE_HEAD();
		NEXT_HEAD();
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		audit_check_entry(&c, sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 1), audit_text(st, 2),
		    audit_text(st, 3), audit_text(st, 4), audit_text(st, 5),
		    (size_t)sqlite3_column_bytes(st, 5),
		    sqlite3_column_blob(st, 6), sqlite3_column_bytes(st, 6));
		while (next_head >= 0 && next_head <= c.entries) {
			TAKE_HEAD();
			NEXT_HEAD();
		}
	}
	while (next_head >= 0) {
		TAKE_HEAD();
		NEXT_HEAD();
	}
#undef NEXT_HEAD
#undef TAKE_HEAD
	sqlite3_finalize(st);
	sqlite3_finalize(hd);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	free((void *)c.trusted_pk);
	c.trusted_pk = NULL;
	(void)hr;
	return audit_check_report(&c);
}

/* ---- export ---- */

int
audit_export(sqlite3 *db, FILE *f, char **cause)
{
	sqlite3_stmt *st = NULL;
	json_t *line;
	char *text, *why = NULL;
	int rc;

	/* A head over everything first: an export is signed as a whole
	 * (with auditing off, what is unsigned stays so and says so). */
	json_decref(audit_flush(db, &why));
	free(why);

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"SELECT seq, ts_ms, actor, action, resource, detail, leaf FROM "
		"audit_log ORDER BY seq",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char lh[2 * MERKLE_HASH + 1] = "";

		if (sqlite3_column_bytes(st, 6) == MERKLE_HASH)
			merkle_hex(sqlite3_column_blob(st, 6), lh);
		/* detail as the exact stored text: it is what is hashed. */
		line = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s%, s:s}",
		    "type", "entry", "seq",
		    (json_int_t)sqlite3_column_int64(st, 0), "ts_ms",
		    (json_int_t)sqlite3_column_int64(st, 1), "actor",
		    (const char *)sqlite3_column_text(st, 2), "action",
		    (const char *)sqlite3_column_text(st, 3), "resource",
		    (const char *)sqlite3_column_text(st, 4), "detail",
		    (const char *)sqlite3_column_text(st, 5),
		    (size_t)sqlite3_column_bytes(st, 5), "leaf", lh);
		text = json_dumps(line, JSON_COMPACT);
		fprintf(f, "%s\n", text);
		free(text);
		json_decref(line);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db,
		"SELECT size, root, ts_ms, signature, public_key FROM "
		"audit_heads ORDER BY size",
		-1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != MERKLE_HASH ||
		    sqlite3_column_bytes(st, 3) != crypto_sign_BYTES ||
		    sqlite3_column_bytes(st, 4) != crypto_sign_PUBLICKEYBYTES)
			continue;
		line = audit_head_json(sqlite3_column_int64(st, 0),
		    sqlite3_column_blob(st, 1), sqlite3_column_int64(st, 2),
		    sqlite3_column_blob(st, 3), sqlite3_column_blob(st, 4));
		json_object_set_new(line, "type", json_string("head"));
		text = json_dumps(line, JSON_COMPACT);
		fprintf(f, "%s\n", text);
		free(text);
		json_decref(line);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (fflush(f) != 0 || ferror(f)) {
		xasprintf(cause, "audit: export: %s", strerror(errno));
		return -1;
	}
	return 0;
fail:
	xasprintf(cause, "audit: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct audit_xhead {
	int64_t size, ts;
	merkle_hash root;
	unsigned char sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
};

static int
audit_xhead_cmp(const void *a, const void *b)
{
	const struct audit_xhead *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

json_t *
audit_verify_file(FILE *f, const char *public_key_hex, char **cause)
{
	struct audit_check c;
	struct audit_xhead *heads = NULL, *h;
	unsigned char trusted[crypto_sign_PUBLICKEYBYTES], leaf[MERKLE_HASH];
	char *line = NULL;
	size_t cap = 0, nheads = 0, hi = 0, got;
	ssize_t len;
	json_t *j;
	json_error_t err;
	long lineno = 0;
	const char *type, *s;
	FILE *tmp = NULL;

	memset(&c, 0, sizeof c);
	merkle_stream_init(&c.tree);
	c.expect_seq = 1;
	c.bad_head = -1;
	c.need_cover = 1;
	/* The file is read twice (heads, then entries): a pipe is first
	 * copied to a temporary file. */
	if (fseek(f, 0, SEEK_SET) != 0) {
		char chunk[65536];
		size_t got_n;

		if ((tmp = tmpfile()) == NULL) {
			xasprintf(cause, "a temporary file: %s",
			    strerror(errno));
			return NULL;
		}
		while ((got_n = fread(chunk, 1, sizeof chunk, f)) > 0)
			fwrite(chunk, 1, got_n, tmp);
		if (ferror(f) || fflush(tmp) != 0) {
			xasprintf(cause, "reading the export: %s",
			    strerror(errno));
			fclose(tmp);
			return NULL;
		}
		rewind(tmp);
		f = tmp;
	}
	if (public_key_hex != NULL) {
		if (sodium_hex2bin(trusted, sizeof trusted, public_key_hex,
			strlen(public_key_hex), NULL, &got, NULL) != 0 ||
		    got != sizeof trusted) {
			xasprintf(cause, "the public key must be %d hex digits",
			    2 * crypto_sign_PUBLICKEYBYTES);
			return NULL;
		}
		c.trusted_pk = trusted;
	}
	/* Heads first (they may come after the entries in the file). */
	while ((len = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (len > AUDIT_MAX_EXPORT_LINE) {
			xasprintf(cause, "line %ld: longer than %d bytes",
			    lineno, AUDIT_MAX_EXPORT_LINE);
			goto fail;
		}
		if ((j = json_loadb(line, (size_t)len, 0, &err)) == NULL) {
			xasprintf(cause, "line %ld: not JSON: %s", lineno,
			    err.text);
			goto fail;
		}
		type = json_string_value(json_object_get(j, "type"));
		if (type != NULL && strcmp(type, "head") == 0) {
			heads = xreallocarray(heads, nheads + 1, sizeof *heads);
			h = &heads[nheads];
			memset(h, 0, sizeof *h);
			h->size =
			    json_integer_value(json_object_get(j, "size"));
			h->ts = json_integer_value(json_object_get(j, "ts_ms"));
			s = json_string_value(json_object_get(j, "root"));
			if (s == NULL || merkle_unhex(s, h->root) != 0 ||
			    (s = json_string_value(
				 json_object_get(j, "signature"))) == NULL ||
			    sodium_hex2bin(h->sig, sizeof h->sig, s, strlen(s),
				NULL, &got, NULL) != 0 ||
			    got != sizeof h->sig ||
			    (s = json_string_value(
				 json_object_get(j, "public_key"))) == NULL ||
			    sodium_hex2bin(h->pk, sizeof h->pk, s, strlen(s),
				NULL, &got, NULL) != 0 ||
			    got != sizeof h->pk) {
				json_decref(j);
				xasprintf(cause, "line %ld: a malformed head",
				    lineno);
				goto fail;
			}
			nheads++;
		} else if (type == NULL || strcmp(type, "entry") != 0) {
			json_decref(j);
			xasprintf(cause,
			    "line %ld: neither an entry nor a head", lineno);
			goto fail;
		}
		json_decref(j);
	}
	if (nheads > 0)
		qsort(heads, nheads, sizeof *heads, audit_xhead_cmp);
	rewind(f);
	while (hi < nheads && heads[hi].size == 0) {
		h = &heads[hi++];
		audit_check_head(&c, h->size, h->root, MERKLE_HASH, h->ts,
		    h->sig, crypto_sign_BYTES, h->pk,
		    crypto_sign_PUBLICKEYBYTES);
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		j = json_loadb(line, (size_t)len, 0, NULL);
		type = json_string_value(json_object_get(j, "type"));
		if (type != NULL && strcmp(type, "entry") == 0) {
			json_t *d = json_object_get(j, "detail");
			const char *a = json_string_value(
				       json_object_get(j, "actor")),
				   *ac = json_string_value(
				       json_object_get(j, "action")),
				   *r = json_string_value(
				       json_object_get(j, "resource"));

			s = json_string_value(json_object_get(j, "leaf"));
			if (s == NULL || merkle_unhex(s, leaf) != 0)
				memset(leaf, 0, sizeof leaf);
			audit_check_entry(&c,
			    json_integer_value(json_object_get(j, "seq")),
			    json_integer_value(json_object_get(j, "ts_ms")),
			    a != NULL ? a : "", ac != NULL ? ac : "",
			    r != NULL ? r : "",
			    json_is_string(d) ? json_string_value(d) : "",
			    json_is_string(d) ? json_string_length(d) : 0, leaf,
			    MERKLE_HASH);
			while (hi < nheads && heads[hi].size <= c.entries) {
				h = &heads[hi++];
				audit_check_head(&c, h->size, h->root,
				    MERKLE_HASH, h->ts, h->sig,
				    crypto_sign_BYTES, h->pk,
				    crypto_sign_PUBLICKEYBYTES);
			}
		}
		json_decref(j);
	}
	while (hi < nheads) {
		h = &heads[hi++];
		audit_check_head(&c, h->size, h->root, MERKLE_HASH, h->ts,
		    h->sig, crypto_sign_BYTES, h->pk,
		    crypto_sign_PUBLICKEYBYTES);
	}
	free(line);
	free(heads);
	if (tmp != NULL)
		fclose(tmp);
	return audit_check_report(&c);
fail:
	free(line);
	free(heads);
	free(c.pending);
	if (tmp != NULL)
		fclose(tmp);
	return NULL;
}

/* ---- proofs ---- */

static json_t *
audit_hashes(const merkle_hash *h, int n)
{
	json_t *a = json_array();
	char hex[2 * MERKLE_HASH + 1];
	int i;

	for (i = 0; i < n; i++) {
		merkle_hex(h[i], hex);
		json_array_append_new(a, json_string(hex));
	}
	return a;
}

json_t *
audit_prove(sqlite3 *db, int64_t seq, int64_t old_size, char **cause)
{
	merkle_hash *leaves = NULL, proof[MERKLE_MAX_PROOF], root, old_root;
	json_t *head = NULL, *out = NULL;
	char lh[2 * MERKLE_HASH + 1], rh[2 * MERKLE_HASH + 1];
	uint64_t n, size;
	int len;

	if ((head = audit_head(db, cause)) == NULL && *cause != NULL)
		return NULL;
	if (head == NULL ||
	    json_integer_value(json_object_get(head, "size")) < seq) {
		/* The entry is newer than every head: sign one now. */
		json_decref(head);
		if ((head = audit_flush(db, cause)) == NULL)
			return NULL;
	}
	size = (uint64_t)json_integer_value(json_object_get(head, "size"));
	if (seq < 1 || (uint64_t)seq > size) {
		xasprintf(cause, "no entry %lld (the log has %llu)",
		    (long long)seq, (unsigned long long)size);
		goto out;
	}
	if ((leaves = audit_leaves(db, &n, cause)) == NULL)
		goto out;
	if (n < size) {
		xasprintf(cause, "the log has %llu entries but its head %llu",
		    (unsigned long long)n, (unsigned long long)size);
		goto out;
	}
	merkle_root(leaves, size, root);
	merkle_hex(root, rh);
	if (strcmp(rh, json_string_value(json_object_get(head, "root"))) != 0) {
		xasprintf(cause,
		    "the log does not match its signed head: run "
		    "oxios audit verify");
		goto out;
	}
	len = merkle_inclusion_proof(leaves, size, (uint64_t)seq - 1, proof);
	merkle_hex(leaves[seq - 1], lh);
	out = json_pack("{s:I, s:I, s:s, s:I, s:s, s:o, s:O}", "seq",
	    (json_int_t)seq, "leaf_index", (json_int_t)(seq - 1), "leaf", lh,
	    "size", (json_int_t)size, "root", rh, "inclusion",
	    audit_hashes(proof, len < 0 ? 0 : len), "head", head);
	if (old_size > 0 && (uint64_t)old_size <= size) {
		len = merkle_consistency_proof(leaves, size, (uint64_t)old_size,
		    proof);
		merkle_root(leaves, (uint64_t)old_size, old_root);
		merkle_hex(old_root, lh);
		json_object_set_new(out, "consistency",
		    json_pack("{s:I, s:s, s:o}", "from_size",
			(json_int_t)old_size, "from_root", lh, "proof",
			audit_hashes(proof, len < 0 ? 0 : len)));
	}
out:
	json_decref(head);
	free(leaves);
	return out;
}
