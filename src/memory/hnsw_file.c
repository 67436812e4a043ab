/*
 * hnsw_file.c — saving the HNSW index to a file and loading it back.  A
 * loaded file is outside input: every count, level and link is checked,
 * and a BLAKE2b-256 of the whole must match, before the index is trusted.
 *
 * Format (little-endian): magic "OXHNSW1\0", u32 version, u32 dim, u32 m,
 * u32 ef_construction, u32 ef_search, u64 seed, u64 rng state, u64 node
 * count, u32 entry point, u32 max level, u64 stamp; from version 2 the
 * tuning (hnsw_tune.c): u32 ef, u32 k, u32 target and u32 recall in
 * millionths, u32 samples, u32 reached, u64 count, u32 nanoseconds of
 * an exact search and of a graph search at ef; per node: i64 id, u8
 * deleted, u8 level, dim f32, then for each layer 0..level a u32 count
 * and that many u32 links; then BLAKE2b-256 of all that.  Version 1
 * files (no tuning) are read too.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "memory/hnsw.h"
#include "util/file.h"
#include "util/xalloc.h"
#include "memory/hnsw_int.h"

/* --- save --- */

/*
 * A buffered writer that hashes what it writes.  It lives on the stack:
 * the hash state wants 64-byte alignment, which malloc does not promise.
 */
struct hnsw_out {
	int fd;
	int err; /* errno of the first failure, then writes stop */
	crypto_generichash_state st;
	size_t len;
	unsigned char *buf; /* HNSW_OUT_BUF bytes */
};

static void
hnsw_write_all(struct hnsw_out *o, const unsigned char *p, size_t len)
{
	ssize_t w;

	while (len > 0 && o->err == 0) {
		w = write(o->fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			o->err = errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
}

static void
hnsw_out_flush(struct hnsw_out *o)
{
	crypto_generichash_update(&o->st, o->buf, o->len);
	hnsw_write_all(o, o->buf, o->len);
	o->len = 0;
}

static void
hnsw_out(struct hnsw_out *o, const void *p, size_t len)
{
	if (o->len + len > HNSW_OUT_BUF)
		hnsw_out_flush(o);
	memcpy(o->buf + o->len, p, len);
	o->len += len;
}

static void
hnsw_out_u32(struct hnsw_out *o, uint32_t v)
{
	unsigned char b[4];

	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
	hnsw_out(o, b, sizeof b);
}

static void
hnsw_out_u64(struct hnsw_out *o, uint64_t v)
{
	hnsw_out_u32(o, (uint32_t)v);
	hnsw_out_u32(o, (uint32_t)(v >> 32));
}

static void
hnsw_out_u8(struct hnsw_out *o, uint8_t v)
{
	hnsw_out(o, &v, 1);
}

static void
hnsw_out_node(struct hnsw_out *o, const struct hnsw *h, uint32_t i)
{
	const float *v = hnsw_row(h, i);
	const uint32_t *ll;
	uint32_t bits, j;
	size_t k;
	int lc;

	hnsw_out_u64(o, (uint64_t)h->ids[i]);
	hnsw_out_u8(o, h->dead[i]);
	hnsw_out_u8(o, h->level[i]);
	for (k = 0; k < h->dim; k++) {
		memcpy(&bits, &v[k], sizeof bits);
		hnsw_out_u32(o, bits);
	}
	for (lc = 0; lc <= h->level[i]; lc++) {
		ll = hnsw_links(h, i, lc);
		for (j = 0; j <= ll[0]; j++)
			hnsw_out_u32(o, ll[j]);
	}
}

static int
hnsw_fsync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd, rc = -1;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

/* Microseconds as nanoseconds, saturated. */
static uint32_t
hnsw_ns(double us)
{
	if (!(us > 0))
		return 0;
	return us * 1e3 >= 4294967295.0 ? UINT32_MAX :
					  (uint32_t)lround(us * 1e3);
}

/* A fraction in 0..1 as millionths. */
static uint32_t
hnsw_ppm(double x)
{
	if (!(x > 0))
		return 0;
	return x >= 1 ? 1000000 : (uint32_t)lround(x * 1e6);
}

int
hnsw_save(const struct hnsw *h, const char *path, uint64_t stamp, char **cause)
{
	struct hnsw_out out, *o = &out;
	unsigned char sum[HNSW_SUM_LEN];
	char *tmp = NULL;
	uint32_t i;
	int fd, rc = -1;

	memset(o, 0, sizeof *o);
	o->buf = xmalloc(HNSW_OUT_BUF);
	xasprintf(&tmp, "%s.tmp", path);
	o->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (o->fd == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	crypto_generichash_init(&o->st, NULL, 0, sizeof sum);
	hnsw_out(o, HNSW_MAGIC, HNSW_MAGIC_LEN);
	hnsw_out_u32(o, HNSW_VERSION);
	hnsw_out_u32(o, (uint32_t)h->p.dim);
	hnsw_out_u32(o, (uint32_t)h->p.m);
	hnsw_out_u32(o, (uint32_t)h->p.ef_construction);
	hnsw_out_u32(o, (uint32_t)h->p.ef_search);
	hnsw_out_u64(o, h->p.seed);
	hnsw_out_u64(o, h->rng);
	hnsw_out_u64(o, h->n);
	hnsw_out_u32(o, h->entry);
	hnsw_out_u32(o, (uint32_t)h->maxlevel);
	hnsw_out_u64(o, stamp);
	hnsw_out_u32(o, (uint32_t)h->tuned.ef);
	hnsw_out_u32(o, (uint32_t)h->tuned.k);
	hnsw_out_u32(o, hnsw_ppm(h->tuned.target));
	hnsw_out_u32(o, hnsw_ppm(h->tuned.recall));
	hnsw_out_u32(o, (uint32_t)h->tuned.samples);
	hnsw_out_u32(o, (uint32_t)h->tuned.reached);
	hnsw_out_u64(o, (uint64_t)h->tuned.count);
	hnsw_out_u32(o, hnsw_ns(h->tuned.exact_us));
	hnsw_out_u32(o, hnsw_ns(h->tuned.graph_us));
	for (i = 0; i < h->n && o->err == 0; i++)
		hnsw_out_node(o, h, i);
	hnsw_out_flush(o);
	crypto_generichash_final(&o->st, sum, sizeof sum);
	hnsw_write_all(o, sum, sizeof sum);
	if (o->err == 0 && fsync(o->fd) == -1)
		o->err = errno;
	if (o->err != 0) {
		xasprintf(cause, "%s: %s", tmp, strerror(o->err));
		goto out;
	}
	fd = o->fd;
	o->fd = -1;
	if (close(fd) == -1) {
		xasprintf(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* Best effort, as file_write_atomic(): the new file is in place,
	 * and a failure here only means the rename may not be durable yet. */
	(void)hnsw_fsync_dir(path);
	rc = 0;
out:
	if (o->fd != -1)
		close(o->fd);
	if (rc == -1 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(o->buf);
	return rc;
}

/* --- load --- */

/* A bounds-checked reader over the file's bytes. */
struct hnsw_in {
	const unsigned char *p;
	size_t len, off;
};

static int
hnsw_in_u32(struct hnsw_in *in, uint32_t *v)
{
	const unsigned char *b = in->p + in->off;

	if (in->len - in->off < 4)
		return -1;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
	in->off += 4;
	return 0;
}

static int
hnsw_in_u64(struct hnsw_in *in, uint64_t *v)
{
	uint32_t lo, hi;

	if (hnsw_in_u32(in, &lo) == -1 || hnsw_in_u32(in, &hi) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static int
hnsw_in_u8(struct hnsw_in *in, uint8_t *v)
{
	if (in->len - in->off < 1)
		return -1;
	*v = in->p[in->off++];
	return 0;
}

/* One node: every value checked before it is used or stored. */
static int
hnsw_in_node(struct hnsw_in *in, struct hnsw *h, uint64_t count, char **cause)
{
	uint32_t i = (uint32_t)h->n, bits, cnt, j, *ll;
	uint64_t id;
	uint8_t dead, level;
	double ss = 0;
	float *v;
	size_t k;
	int lc;

	if (hnsw_in_u64(in, &id) == -1 || hnsw_in_u8(in, &dead) == -1 ||
	    hnsw_in_u8(in, &level) == -1)
		goto short_read;
	if (dead > 1 || level > h->maxlevel) {
		xasprintf(cause, "node %u: bad flag %u or level %u", i, dead,
		    level);
		return -1;
	}
	/* The vector and one count per layer must be there before
	 * hnsw_append allocates the layers: memory stays proportional to
	 * the file (at most ~130x, for nodes claiming every layer). */
	if ((in->len - in->off) / 4 < h->dim + 1 + level)
		goto short_read;
	hnsw_append(h, (int64_t)id, dead, level);
	v = h->vec + (size_t)i * h->dim;
	for (k = 0; k < h->dim; k++) {
		hnsw_in_u32(in, &bits);
		memcpy(&v[k], &bits, sizeof bits);
		if (!isfinite(v[k]))
			break;
		ss += (double)v[k] * v[k];
	}
	if (k < h->dim || fabs(ss - 1.0) > 1e-3) {
		xasprintf(cause, "node %u: vector not finite or not unit", i);
		return -1;
	}
	hnsw_set_half(h, i);
	for (lc = 0; lc <= level; lc++) {
		ll = hnsw_links(h, i, lc);
		if (hnsw_in_u32(in, &cnt) == -1)
			goto short_read;
		if (cnt > (lc == 0 ? h->m0 : h->m)) {
			xasprintf(cause, "node %u: %u links at layer %d", i,
			    cnt, lc);
			return -1;
		}
		for (j = 0; j < cnt; j++) {
			if (hnsw_in_u32(in, &ll[1 + j]) == -1)
				goto short_read;
			if (ll[1 + j] >= count || ll[1 + j] == i) {
				xasprintf(cause, "node %u: bad link %u", i,
				    ll[1 + j]);
				return -1;
			}
		}
		ll[0] = cnt;
	}
	if (!dead) {
		if (hnsw_map_get(h, (int64_t)id) != HNSW_NONE) {
			xasprintf(cause, "node %u: id %lld twice", i,
			    (long long)id);
			return -1;
		}
		hnsw_map_put(h, (int64_t)id, i);
	} else
		h->ndead++;
	return 0;
short_read:
	xasprintf(cause, "node %u: truncated", i);
	return -1;
}

/* A link at layer lc must lead to a node that has layer lc. */
static int
hnsw_check_links(const struct hnsw *h, char **cause)
{
	const uint32_t *ll;
	uint32_t i, j;
	int lc;

	for (i = 0; i < h->n; i++) {
		for (lc = 1; lc <= h->level[i]; lc++) {
			ll = hnsw_links(h, i, lc);
			for (j = 1; j <= ll[0]; j++) {
				if (h->level[ll[j]] < lc) {
					xasprintf(cause,
					    "node %u: link to %u at layer %d "
					    "it does not have",
					    i, ll[j], lc);
					return -1;
				}
			}
		}
	}
	return 0;
}

/* The tuning (version 2 on): an ef of 0 means never tuned. */
static int
hnsw_in_tuning(struct hnsw_in *in, struct hnsw_tuning *t, char **cause)
{
	uint32_t ef, k, target, recall, samples, reached, exact, graph;
	uint64_t count;

	if (hnsw_in_u32(in, &ef) == -1 || hnsw_in_u32(in, &k) == -1 ||
	    hnsw_in_u32(in, &target) == -1 || hnsw_in_u32(in, &recall) == -1 ||
	    hnsw_in_u32(in, &samples) == -1 ||
	    hnsw_in_u32(in, &reached) == -1 || hnsw_in_u64(in, &count) == -1 ||
	    hnsw_in_u32(in, &exact) == -1 || hnsw_in_u32(in, &graph) == -1) {
		xasprintf(cause, "truncated header");
		return -1;
	}
	if (ef > 4096 || k > 4096 || target > 1000000 || recall > 1000000 ||
	    reached > 1 || (ef > 0 && k == 0)) {
		xasprintf(cause, "tuning out of range");
		return -1;
	}
	t->ef = (int)ef;
	t->k = (int)k;
	t->target = target / 1e6;
	t->recall = recall / 1e6;
	t->samples = samples;
	t->reached = (int)reached;
	t->count = (size_t)count;
	t->exact_us = exact / 1e3;
	t->graph_us = graph / 1e3;
	return 0;
}

static struct hnsw *
hnsw_parse(struct hnsw_in *in, uint64_t *stamp, char **cause)
{
	struct hnsw_params p;
	struct hnsw *h = NULL;
	uint32_t version = 0, dim = 0, m = 0, efc = 0, efs = 0, entry = 0;
	uint32_t maxlevel = 0;
	uint64_t seed = 0, rng = 0, count = 0, i;
	struct hnsw_tuning tuned;
	size_t minnode;

	if (memcmp(in->p, HNSW_MAGIC, HNSW_MAGIC_LEN) != 0) {
		xasprintf(cause, "not an index file (bad magic)");
		return NULL;
	}
	in->off = HNSW_MAGIC_LEN;
	/* The caller checked the length covers the whole header. */
	hnsw_in_u32(in, &version);
	hnsw_in_u32(in, &dim);
	hnsw_in_u32(in, &m);
	hnsw_in_u32(in, &efc);
	hnsw_in_u32(in, &efs);
	hnsw_in_u64(in, &seed);
	hnsw_in_u64(in, &rng);
	hnsw_in_u64(in, &count);
	hnsw_in_u32(in, &entry);
	hnsw_in_u32(in, &maxlevel);
	hnsw_in_u64(in, stamp);
	if (version != 1 && version != HNSW_VERSION) {
		xasprintf(cause, "version %u not supported", version);
		return NULL;
	}
	memset(&tuned, 0, sizeof tuned);
	if (version >= 2 && hnsw_in_tuning(in, &tuned, cause) == -1)
		return NULL;
	if (dim > 65536 || m > 128 || efc > 4096 || efs > 4096) {
		xasprintf(cause, "parameters out of range");
		return NULL;
	}
	p.dim = (int)dim;
	p.m = (int)m;
	p.ef_construction = (int)efc;
	p.ef_search = (int)efs;
	p.seed = seed;
	if (hnsw_check_params(&p, cause) == -1)
		return NULL;
	/* Every node takes at least this much: no count can make us
	 * allocate more than the file could hold. */
	minnode = 8 + 1 + 1 + 4 * (size_t)dim + 4;
	if (count > HNSW_MAX_NODES || count > (in->len - in->off) / minnode) {
		xasprintf(cause, "node count %llu does not fit the file",
		    (unsigned long long)count);
		return NULL;
	}
	if (maxlevel > HNSW_MAX_LEVEL ||
	    (count == 0 && (entry != HNSW_NONE || maxlevel != 0)) ||
	    (count > 0 && entry >= count)) {
		xasprintf(cause, "bad entry point %u or level %u", entry,
		    maxlevel);
		return NULL;
	}
	h = hnsw_alloc(&p);
	h->rng = rng;
	h->tuned = tuned;
	h->maxlevel = (int)maxlevel;
	hnsw_reserve(h, (size_t)count);
	for (i = 0; i < count; i++) {
		if (hnsw_in_node(in, h, count, cause) == -1)
			goto fail;
	}
	if (in->off != in->len) {
		xasprintf(cause, "%zu bytes after the last node",
		    in->len - in->off);
		goto fail;
	}
	if (count > 0 && h->level[entry] != maxlevel) {
		xasprintf(cause, "entry point %u is not at level %u", entry,
		    maxlevel);
		goto fail;
	}
	if (hnsw_check_links(h, cause) == -1)
		goto fail;
	h->entry = entry;
	return h;
fail:
	hnsw_free(h);
	return NULL;
}

struct hnsw *
hnsw_load(const char *path, uint64_t *stamp, char **cause)
{
	unsigned char sum[HNSW_SUM_LEN];
	struct hnsw_in in;
	struct hnsw *h = NULL;
	char *data = NULL, *why = NULL;
	uint64_t st = 0;
	size_t len;

	if (file_read(path, HNSW_FILE_CAP, &data, &len, cause) == -1)
		return NULL;
	if (len < HNSW_HEADER_LEN + HNSW_SUM_LEN) {
		xasprintf(cause, "%s: truncated (%zu bytes)", path, len);
		goto out;
	}
	/* The checksum first: a torn or damaged file fails here, cheaply,
	 * and the parser below is only ever a second line of defence. */
	crypto_generichash(sum, sizeof sum, (unsigned char *)data,
	    len - HNSW_SUM_LEN, NULL, 0);
	if (sodium_memcmp(sum, data + len - HNSW_SUM_LEN, sizeof sum) != 0) {
		xasprintf(cause, "%s: checksum mismatch", path);
		goto out;
	}
	in.p = (unsigned char *)data;
	in.len = len - HNSW_SUM_LEN;
	in.off = 0;
	if ((h = hnsw_parse(&in, &st, &why)) == NULL) {
		xasprintf(cause, "%s: %s", path, why);
		goto out;
	}
	if (stamp != NULL)
		*stamp = st;
out:
	free(why);
	free(data);
	return h;
}
