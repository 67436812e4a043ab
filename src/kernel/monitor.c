/*
 * monitor.c — the resource monitor: /proc parsers (pure, over a buffer),
 * one sample (system, disk, the agents' worker trees), the history ring
 * and the overload decision that monitor_admit() reports.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "kernel/monitor.h"
#include "util/file.h"
#include "util/time.h"
#include "util/xalloc.h"

static struct {
	pthread_mutex_t lock;
	monitor_workers_fn workers;
	int have;                /* a sample was taken */
	struct monitor_snap cur; /* the last one */
	struct monitor_limits limits;
	json_t *agents; /* the last sample's agents */
	int have_cpu;
	struct monitor_cpu prev_cpu;
	struct monitor_snap *ring;
	long ring_size, ring_head, ring_count;
} mon = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- parsers ---- */

/*
 * Copy the line of `buf` (len bytes) that begins at `off` into `line`
 * (size bytes, NUL-terminated).  Returns the offset after the line, or
 * -1 if it does not fit.
 */
static long
monitor_line(const char *buf, size_t len, size_t off, char *line, size_t size)
{
	size_t n = 0;

	while (off + n < len && buf[off + n] != '\n' && buf[off + n] != '\0')
		n++;
	if (n >= size)
		return -1;
	memcpy(line, buf + off, n);
	line[n] = '\0';
	return (long)(off + n + 1);
}

/* An unsigned decimal at *p (spaces first); advances *p.  0, or -1. */
static int
monitor_ull(const char **p, unsigned long long *out)
{
	char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*out = strtoull(*p, &end, 10);
	if (errno != 0)
		return -1;
	*p = end;
	return 0;
}

/* A signed decimal at *p (spaces first); advances *p.  0, or -1. */
static int
monitor_ll(const char **p, long long *out)
{
	char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (!isdigit((unsigned char)**p) &&
	    !(**p == '-' && isdigit((unsigned char)(*p)[1])))
		return -1;
	errno = 0;
	*out = strtoll(*p, &end, 10);
	if (errno != 0)
		return -1;
	*p = end;
	return 0;
}

int
monitor_parse_stat(const char *buf, size_t len, struct monitor_cpu *out)
{
	char line[512];
	const char *p;
	unsigned long long v[8] = { 0 };
	size_t off = 0;
	long next;
	int i, n;

	while (off < len) {
		if ((next = monitor_line(buf, len, off, line, sizeof line)) <
		    0) {
			/* Too long for the cpu line: skip it. */
			while (off < len && buf[off] != '\n')
				off++;
			off++;
			continue;
		}
		off = (size_t)next;
		if (strncmp(line, "cpu ", 4) != 0)
			continue;
		p = line + 4;
		/* user nice system idle iowait irq softirq steal (guest and
		 * guest_nice are already in user and nice). */
		for (n = 0; n < 8 && monitor_ull(&p, &v[n]) == 0; n++)
			;
		if (n < 4)
			return -1;
		out->total = 0;
		for (i = 0; i < n; i++)
			if (__builtin_add_overflow(out->total, v[i],
				&out->total))
				return -1;
		out->idle = v[3];
		if (n > 4 &&
		    __builtin_add_overflow(out->idle, v[4], &out->idle))
			return -1;
		return 0;
	}
	return -1;
}

double
monitor_cpu_percent(const struct monitor_cpu *prev,
    const struct monitor_cpu *now)
{
	unsigned long long dt, di;

	if (now->total <= prev->total || now->idle < prev->idle)
		return -1;
	dt = now->total - prev->total;
	di = now->idle - prev->idle;
	if (di > dt)
		return -1;
	/* The share first: it cannot round past 1, nor 100 times it past
	 * 100 (100.0 * x / y can, for x = y near 2^64). */
	return 100.0 * ((double)(dt - di) / (double)dt);
}

int
monitor_parse_meminfo(const char *buf, size_t len, struct monitor_mem *out)
{
	char line[256];
	const char *p;
	size_t off = 0;
	long next;
	int have_total = 0, have_avail = 0;
	unsigned long long v;

	while (off < len) {
		if ((next = monitor_line(buf, len, off, line, sizeof line)) < 0)
			return -1;
		off = (size_t)next;
		if (strncmp(line, "MemTotal:", 9) == 0)
			p = line + 9;
		else if (strncmp(line, "MemAvailable:", 13) == 0)
			p = line + 13;
		else
			continue;
		if (monitor_ull(&p, &v) != 0)
			return -1;
		while (*p == ' ')
			p++;
		if (strcmp(p, "kB") != 0 && *p != '\0')
			return -1;
		if (line[3] == 'T') {
			out->total_kb = v;
			have_total = 1;
		} else {
			out->available_kb = v;
			have_avail = 1;
		}
	}
	if (!have_total || !have_avail || out->total_kb == 0 ||
	    out->available_kb > out->total_kb)
		return -1;
	return 0;
}

/* A load average at *p: finite, >= 0, plain decimal.  0, or -1. */
static int
monitor_loadval(const char **p, double *out)
{
	char *end;

	while (**p == ' ')
		(*p)++;
	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	*out = strtod(*p, &end);
	if (errno != 0 || !isfinite(*out) || *out < 0 || end == *p ||
	    (*end != ' ' && *end != '\0'))
		return -1;
	*p = end;
	return 0;
}

int
monitor_parse_loadavg(const char *buf, size_t len, struct monitor_load *out)
{
	char line[256];
	const char *p = line;
	unsigned long long r, t;

	if (monitor_line(buf, len, 0, line, sizeof line) < 0)
		return -1;
	/* strtod would read hex and exponents: allow digits and one dot. */
	for (p = line; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && strchr(" ./", *p) == NULL)
			return -1;
	p = line;
	if (monitor_loadval(&p, &out->load1) != 0 ||
	    monitor_loadval(&p, &out->load5) != 0 ||
	    monitor_loadval(&p, &out->load15) != 0 ||
	    monitor_ull(&p, &r) != 0 || *p++ != '/' ||
	    monitor_ull(&p, &t) != 0 || r > t || t > 0x7fffffffULL)
		return -1;
	out->running = (long)r;
	out->total = (long)t;
	return 0;
}

int
monitor_parse_pidstat(const char *buf, size_t len, struct monitor_proc *out)
{
	char line[2048];
	const char *p, *open, *close;
	long long f[22];
	unsigned long long pid;
	size_t n;
	int i;

	if (monitor_line(buf, len, 0, line, sizeof line) < 0)
		return -1;
	p = line;
	if (monitor_ull(&p, &pid) != 0 || pid == 0 || pid > 0x7fffffffULL ||
	    *p != ' ' || p[1] != '(')
		return -1;
	open = p + 1;
	if ((close = strrchr(open, ')')) == NULL)
		return -1;
	n = (size_t)(close - open - 1);
	if (n >= sizeof out->comm)
		n = sizeof out->comm - 1;
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';
	p = close + 1;
	if (*p++ != ' ' || *p == '\0' || p[1] != ' ')
		return -1;
	out->state = *p++;
	/* Fields 4 (ppid) to 24 (rss). */
	for (i = 0; i < 21; i++)
		if (monitor_ll(&p, &f[i]) != 0)
			return -1;
	if (f[0] < 0 || f[0] > 0x7fffffffLL || f[10] < 0 || f[11] < 0 ||
	    f[12] < 0 || f[13] < 0 || f[20] < 0)
		return -1;
	out->pid = (long)pid;
	out->ppid = (long)f[0];
	out->utime = (unsigned long long)f[10];
	out->stime = (unsigned long long)f[11];
	out->cutime = f[12];
	out->cstime = f[13];
	out->rss_pages = f[20];
	return 0;
}

int
monitor_overloaded(const struct monitor_snap *s, const struct monitor_limits *l,
    char *reason, size_t size)
{
	reason[0] = '\0';
	if (l->min_disk_mb > 0 && s->disk_free_mb >= 0 &&
	    s->disk_free_mb < l->min_disk_mb) {
		snprintf(reason, size,
		    "disk: %lld MB free, under monitor.min_disk_mb %lld",
		    s->disk_free_mb, l->min_disk_mb);
		return 1;
	}
	if (l->max_memory_percent > 0 &&
	    s->memory_percent > l->max_memory_percent) {
		snprintf(reason, size,
		    "memory: %.1f%% used, over monitor.max_memory_percent %g",
		    s->memory_percent, l->max_memory_percent);
		return 1;
	}
	if (l->max_cpu_percent > 0 && s->cpu_percent >= 0 &&
	    s->cpu_percent > l->max_cpu_percent) {
		snprintf(reason, size,
		    "cpu: %.1f%% busy, over monitor.max_cpu_percent %g",
		    s->cpu_percent, l->max_cpu_percent);
		return 1;
	}
	return 0;
}

/* ---- one sample ---- */

void
monitor_set_workers(monitor_workers_fn fn)
{
	pthread_mutex_lock(&mon.lock);
	mon.workers = fn;
	pthread_mutex_unlock(&mon.lock);
}

static int
monitor_proc_cmp(const void *a, const void *b)
{
	const struct monitor_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every process of /proc, sorted by pid.  Caller frees; *n how many. */
static struct monitor_proc *
monitor_procs(size_t *n)
{
	struct monitor_proc *v = xcalloc(MONITOR_MAX_PROCS, sizeof *v);
	struct dirent *d;
	char path[64], *text, *cause = NULL;
	size_t len;
	DIR *dir;

	*n = 0;
	if ((dir = opendir("/proc")) == NULL)
		return v;
	while (*n < MONITOR_MAX_PROCS && (d = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		snprintf(path, sizeof path, "/proc/%.20s/stat", d->d_name);
		/* A process may end meanwhile: skip what cannot be read. */
		if (file_read(path, MONITOR_MAX_FILE, &text, &len, &cause) !=
		    0) {
			free(cause);
			cause = NULL;
			continue;
		}
		if (monitor_parse_pidstat(text, len, &v[*n]) == 0)
			(*n)++;
		free(text);
	}
	closedir(dir);
	qsort(v, *n, sizeof *v, monitor_proc_cmp);
	return v;
}

/* The index of `pid` in the sorted `v`, or -1. */
static long
monitor_find(const struct monitor_proc *v, size_t n, long pid)
{
	struct monitor_proc key = { .pid = pid };
	const struct monitor_proc *hit;

	hit = bsearch(&key, v, n, sizeof *v, monitor_proc_cmp);
	return hit != NULL ? (long)(hit - v) : -1;
}

/* The tree of `pid`: {id, pid, processes, cpu_ms, rss_kb}.  New ref. */
static json_t *
monitor_tree(const struct monitor_proc *v, size_t n, char *in,
    const struct monitor_worker *w)
{
	long root = monitor_find(v, n, (long)w->pid), j;
	long long ticks = 0, pages = 0, hz = sysconf(_SC_CLK_TCK);
	long page_kb = sysconf(_SC_PAGESIZE) / 1024;
	int changed = 1, pass, count = 0;
	size_t i;

	if (root < 0)
		return json_pack("{s:s, s:i, s:i, s:I, s:I}", "id", w->id,
		    "pid", (int)w->pid, "processes", 0, "cpu_ms", (json_int_t)0,
		    "rss_kb", (json_int_t)0);
	memset(in, 0, n);
	in[root] = 1;
	/* Descendants: each pass adds the children of what is in. */
	for (pass = 0; changed && pass < 64; pass++) {
		changed = 0;
		for (i = 0; i < n; i++) {
			if (in[i] || (j = monitor_find(v, n, v[i].ppid)) < 0 ||
			    !in[j])
				continue;
			in[i] = 1;
			changed = 1;
		}
	}
	for (i = 0; i < n; i++) {
		if (!in[i])
			continue;
		count++;
		/* A reaped child's time is in its parent's cutime/cstime. */
		ticks += (long long)(v[i].utime + v[i].stime) + v[i].cutime +
		    v[i].cstime;
		pages += v[i].rss_pages;
	}
	if (hz <= 0)
		hz = 100;
	return json_pack("{s:s, s:i, s:i, s:I, s:I}", "id", w->id, "pid",
	    (int)w->pid, "processes", count, "cpu_ms",
	    (json_int_t)(ticks * 1000 / hz), "rss_kb",
	    (json_int_t)(pages * (page_kb > 0 ? page_kb : 4)));
}

/* The agents' worker trees, as a JSON array.  New reference. */
static json_t *
monitor_agents(monitor_workers_fn fn)
{
	struct monitor_worker *w;
	struct monitor_proc *v;
	json_t *arr = json_array();
	size_t nw, np, i;
	char *in;

	if (fn == NULL)
		return arr;
	w = xcalloc(MONITOR_MAX_WORKERS, sizeof *w);
	if ((nw = fn(w, MONITOR_MAX_WORKERS)) > MONITOR_MAX_WORKERS)
		nw = MONITOR_MAX_WORKERS;
	if (nw > 0) {
		v = monitor_procs(&np);
		in = xcalloc(np + 1, 1);
		for (i = 0; i < nw; i++)
			json_array_append_new(arr,
			    monitor_tree(v, np, in, &w[i]));
		free(in);
		free(v);
	}
	free(w);
	return arr;
}

/* Read a /proc file and parse it with `parse`.  0, or -1 with *cause. */
static int
monitor_read(const char *path, int (*parse)(const char *, size_t, void *),
    void *out, char **cause)
{
	char *text;
	size_t len;
	int rc;

	if (file_read(path, MONITOR_MAX_FILE, &text, &len, cause) != 0)
		return -1;
	if ((rc = parse(text, len, out)) != 0)
		xasprintf(cause, "%s: cannot be parsed", path);
	free(text);
	return rc;
}

static int
monitor_stat_cb(const char *b, size_t n, void *o)
{
	return monitor_parse_stat(b, n, o);
}

static int
monitor_mem_cb(const char *b, size_t n, void *o)
{
	return monitor_parse_meminfo(b, n, o);
}

static int
monitor_load_cb(const char *b, size_t n, void *o)
{
	return monitor_parse_loadavg(b, n, o);
}

int
monitor_sample(const struct monitor_limits *l, long history,
    const char *disk_path, char **cause)
{
	struct monitor_snap s;
	struct monitor_cpu cpu;
	struct monitor_mem mem;
	struct monitor_load load;
	struct statvfs vfs;
	monitor_workers_fn fn;
	json_t *agents;

	if (monitor_read("/proc/stat", monitor_stat_cb, &cpu, cause) != 0 ||
	    monitor_read("/proc/meminfo", monitor_mem_cb, &mem, cause) != 0 ||
	    monitor_read("/proc/loadavg", monitor_load_cb, &load, cause) != 0)
		return -1;
	memset(&s, 0, sizeof s);
	s.at_ms = time_wall_ms();
	s.mem_total_kb = mem.total_kb;
	s.mem_available_kb = mem.available_kb;
	s.memory_percent = 100.0 * (double)(mem.total_kb - mem.available_kb) /
	    (double)mem.total_kb;
	s.load1 = load.load1;
	s.load5 = load.load5;
	s.load15 = load.load15;
	s.disk_total_mb = s.disk_free_mb = -1;
	if (disk_path != NULL && statvfs(disk_path, &vfs) == 0) {
		s.disk_total_mb = (long long)((unsigned long long)vfs.f_blocks *
		    vfs.f_frsize / (1024 * 1024));
		s.disk_free_mb = (long long)((unsigned long long)vfs.f_bavail *
		    vfs.f_frsize / (1024 * 1024));
	}
	s.ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	pthread_mutex_lock(&mon.lock);
	fn = mon.workers;
	s.cpu_percent =
	    mon.have_cpu ? monitor_cpu_percent(&mon.prev_cpu, &cpu) : -1;
	mon.prev_cpu = cpu;
	mon.have_cpu = 1;
	pthread_mutex_unlock(&mon.lock);

	agents = monitor_agents(fn);
	s.agents = (int)json_array_size(agents);
	s.overloaded = monitor_overloaded(&s, l, s.reason, sizeof s.reason);

	if (history < 1)
		history = 1;
	if (history > MONITOR_MAX_HISTORY)
		history = MONITOR_MAX_HISTORY;
	pthread_mutex_lock(&mon.lock);
	if (mon.ring_size != history) {
		free(mon.ring);
		mon.ring = xcalloc((size_t)history, sizeof *mon.ring);
		mon.ring_size = history;
		mon.ring_head = mon.ring_count = 0;
	}
	mon.ring[mon.ring_head] = s;
	mon.ring_head = (mon.ring_head + 1) % mon.ring_size;
	if (mon.ring_count < mon.ring_size)
		mon.ring_count++;
	mon.cur = s;
	mon.limits = *l;
	mon.have = 1;
	json_decref(mon.agents);
	mon.agents = agents;
	pthread_mutex_unlock(&mon.lock);
	return 0;
}

/* ---- queries ---- */

int
monitor_current(struct monitor_snap *out)
{
	int have;

	pthread_mutex_lock(&mon.lock);
	if ((have = mon.have))
		*out = mon.cur;
	pthread_mutex_unlock(&mon.lock);
	return have ? 0 : -1;
}

int
monitor_admit(char **cause)
{
	struct monitor_snap s;

	if (monitor_current(&s) != 0 || !s.overloaded)
		return 0;
	xasprintf(cause,
	    "the system is overloaded (%s): new runs are paused until it "
	    "recovers",
	    s.reason);
	return -1;
}

json_t *
monitor_snap_json(const struct monitor_snap *s)
{
	char at[40];

	time_rfc3339(s->at_ms, at, sizeof at);
	return json_pack("{s:s, s:o, s:f, s:I, s:I, s:{s:f, s:f, s:f}, s:o, "
			 "s:o, s:i, s:i, s:b, s:s?}",
	    "sampled_at", at, "cpu_percent",
	    s->cpu_percent >= 0 ? json_real(s->cpu_percent) : json_null(),
	    "memory_percent", s->memory_percent, "memory_total_kb",
	    (json_int_t)s->mem_total_kb, "memory_available_kb",
	    (json_int_t)s->mem_available_kb, "load", "1m", s->load1, "5m",
	    s->load5, "15m", s->load15, "disk_total_mb",
	    s->disk_total_mb >= 0 ? json_integer(s->disk_total_mb) :
				    json_null(),
	    "disk_free_mb",
	    s->disk_free_mb >= 0 ? json_integer(s->disk_free_mb) : json_null(),
	    "cpus", s->ncpu, "agents", s->agents, "overloaded", s->overloaded,
	    "reason", s->overloaded ? s->reason : NULL);
}

json_t *
monitor_json_current(void)
{
	json_t *j;

	pthread_mutex_lock(&mon.lock);
	if (!mon.have) {
		pthread_mutex_unlock(&mon.lock);
		return json_pack("{s:b}", "sampled", 0);
	}
	j = monitor_snap_json(&mon.cur);
	json_object_set_new(j, "sampled", json_true());
	json_object_set_new(j, "agents", json_deep_copy(mon.agents));
	pthread_mutex_unlock(&mon.lock);
	return j;
}

json_t *
monitor_json_history(long limit)
{
	json_t *arr = json_array();
	long n, i, start;

	pthread_mutex_lock(&mon.lock);
	n = mon.ring_count;
	if (limit > 0 && limit < n)
		n = limit;
	/* The oldest of the newest n. */
	start = (mon.ring_head - n + mon.ring_size) %
	    (mon.ring_size > 0 ? mon.ring_size : 1);
	for (i = 0; i < n; i++)
		json_array_append_new(arr,
		    monitor_snap_json(&mon.ring[(start + i) % mon.ring_size]));
	pthread_mutex_unlock(&mon.lock);
	return json_pack("{s:o, s:I}", "samples", arr, "capacity",
	    (json_int_t)mon.ring_size);
}

json_t *
monitor_json_overload(void)
{
	json_t *j;
	char at[40];

	pthread_mutex_lock(&mon.lock);
	time_rfc3339(mon.cur.at_ms, at, sizeof at);
	j = json_pack("{s:b, s:s?, s:s?, s:{s:f, s:f, s:I}}", "overloaded",
	    mon.have && mon.cur.overloaded, "reason",
	    mon.have && mon.cur.overloaded ? mon.cur.reason : NULL,
	    "sampled_at", mon.have ? at : NULL, "limits", "max_cpu_percent",
	    mon.limits.max_cpu_percent, "max_memory_percent",
	    mon.limits.max_memory_percent, "min_disk_mb",
	    (json_int_t)mon.limits.min_disk_mb);
	pthread_mutex_unlock(&mon.lock);
	return j;
}

void
monitor_reset(void)
{
	pthread_mutex_lock(&mon.lock);
	free(mon.ring);
	mon.ring = NULL;
	mon.ring_size = mon.ring_head = mon.ring_count = 0;
	json_decref(mon.agents);
	mon.agents = NULL;
	mon.have = mon.have_cpu = 0;
	memset(&mon.cur, 0, sizeof mon.cur);
	memset(&mon.limits, 0, sizeof mon.limits);
	pthread_mutex_unlock(&mon.lock);
}
