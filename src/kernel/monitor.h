/*
 * monitor.h — the resource monitor: system CPU (from /proc/stat deltas),
 * memory (/proc/meminfo), load (/proc/loadavg) and disk (statvfs of
 * $OXIOS_HOME), and per running agent the CPU time and RSS of its worker's
 * process tree; a history ring filled by a periodic sample; overload
 * thresholds (monitor.*) that pause the admission of new runs, never kill
 * running ones, and say why.
 *
 * The parsers are pure functions over a buffer (outside input: each
 * checks every conversion and never reads past `len`).  The monitor knows
 * no agent: whoever owns the agents (the daemon, through the supervisor)
 * registers monitor_set_workers() to list their worker pids.
 *
 * Thread safety: every function but the parsers takes the monitor's lock.
 */
#ifndef OXIOS_KERNEL_MONITOR_H
#define OXIOS_KERNEL_MONITOR_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define MONITOR_MAX_FILE (256 * 1024) /* cap on one /proc file read */
#define MONITOR_MAX_HISTORY 10000     /* the highest monitor.history */
#define MONITOR_MAX_WORKERS 256       /* workers listed per sample */
#define MONITOR_MAX_PROCS 32768       /* processes scanned per sample */
#define MONITOR_ID_MAX 64             /* an agent id, NUL included */
#define MONITOR_REASON_MAX 256

/* The aggregate "cpu" line of /proc/stat, in clock ticks. */
struct monitor_cpu {
	unsigned long long total; /* every field summed (guest excluded) */
	unsigned long long idle;  /* idle + iowait */
};

struct monitor_mem {
	unsigned long long total_kb;     /* MemTotal */
	unsigned long long available_kb; /* MemAvailable */
};

struct monitor_load {
	double load1, load5, load15;
	long running, total; /* the "R/T" field */
};

/* One line of /proc/PID/stat. */
struct monitor_proc {
	long pid, ppid;
	char comm[64]; /* truncated if longer */
	char state;
	unsigned long long utime, stime; /* ticks */
	long long cutime, cstime;        /* ticks of reaped children */
	long long rss_pages;
};

/* One sample of the system. */
struct monitor_snap {
	long long at_ms;       /* wall clock */
	double cpu_percent;    /* busy share since the previous sample;
				   -1 on the first */
	double memory_percent; /* used (total - available) share */
	unsigned long long mem_total_kb, mem_available_kb;
	double load1, load5, load15;
	long long disk_total_mb, disk_free_mb; /* -1 if unknown */
	int ncpu;
	int agents; /* workers measured */
	int overloaded;
	char reason[MONITOR_REASON_MAX]; /* "" unless overloaded */
};

/* The thresholds; 0 turns one off. */
struct monitor_limits {
	double max_cpu_percent;
	double max_memory_percent;
	long long min_disk_mb;
};

/* A running agent's worker, as the registered lister gives it. */
struct monitor_worker {
	char id[MONITOR_ID_MAX];
	pid_t pid;
};

/*
 * Fill `out` with at most `max` workers of running agents; return how
 * many.  Called from the monitor's sample, without the monitor's lock.
 */
typedef size_t (*monitor_workers_fn)(struct monitor_worker *out, size_t max);

/* Parse /proc/stat's "cpu" line.  0, or -1 if absent or malformed. */
int monitor_parse_stat(const char *buf, size_t len, struct monitor_cpu *out);
/* Busy percent between two /proc/stat readings; -1 without progress. */
double monitor_cpu_percent(const struct monitor_cpu *prev,
    const struct monitor_cpu *now);
/* Parse /proc/meminfo (MemTotal and MemAvailable).  0, or -1. */
int monitor_parse_meminfo(const char *buf, size_t len, struct monitor_mem *out);
/* Parse /proc/loadavg.  0, or -1. */
int monitor_parse_loadavg(const char *buf, size_t len,
    struct monitor_load *out);
/*
 * Parse /proc/PID/stat.  The command name is what lies between the first
 * '(' and the LAST ')', so names such as "a) b" parse.  0, or -1.
 */
int monitor_parse_pidstat(const char *buf, size_t len,
    struct monitor_proc *out);
/*
 * Whether `s` crosses a limit of `l`: 1 with the first reason in `reason`
 * (e.g. "disk: 12 MB free, under monitor.min_disk_mb 100"), else 0 and
 * reason "".  An unknown reading (cpu -1, disk -1) crosses nothing.
 */
int monitor_overloaded(const struct monitor_snap *s,
    const struct monitor_limits *l, char *reason, size_t size);

/* Register the lister of running agents' workers (NULL: none). */
void monitor_set_workers(monitor_workers_fn fn);
/*
 * Take a sample now: read /proc, statvfs(`disk_path`), measure every
 * worker's process tree, decide overload against `l`, and append it to
 * the history ring of `history` entries (resized, and emptied, when it
 * changes).  0, or -1 with *cause (caller frees) if /proc cannot be read.
 */
int monitor_sample(const struct monitor_limits *l, long history,
    const char *disk_path, char **cause);
/* The last sample into *out: 0, or -1 if there is none yet. */
int monitor_current(struct monitor_snap *out);
/*
 * Whether a new run may start: 0, or -1 with *cause (caller frees)
 * saying why not while the last sample says overloaded.  Without any
 * sample (no monitor runs in this process) every run is admitted.
 */
int monitor_admit(char **cause);
/* The last sample with its agents, {"sampled": false} before one.  New
 * reference. */
json_t *monitor_json_current(void);
/* The history, oldest first, at most `limit` newest entries.  New ref. */
json_t *monitor_json_history(long limit);
/* {"overloaded", "reason", "limits", "sampled_at"}.  New reference. */
json_t *monitor_json_overload(void);
/* One sample as JSON (no agents).  New reference. */
json_t *monitor_snap_json(const struct monitor_snap *s);
/* Forget every sample and the history (tests, shutdown). */
void monitor_reset(void);

#endif
