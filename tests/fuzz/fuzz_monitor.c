/*
 * fuzz_monitor.c — the resource monitor's /proc parsers (monitor.h).
 *
 * The input is given to each parser as it is, in a buffer of exactly its
 * size (ASan catches a read past `len`).  Invariants: a parse that
 * succeeds yields consistent figures (meminfo: available <= total, total
 * > 0; loadavg: finite, >= 0, running <= total; pid stat: pid > 0, comm
 * NUL-terminated within its array, and the name is what lies between the
 * first '(' and the last ')' of the line, cut to fit); the CPU percent of
 * two readings is -1 or within [0, 100]; a parse is deterministic.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size > 0 ? size : 1);
	struct monitor_cpu c1, c2;
	struct monitor_mem m;
	struct monitor_load l;
	struct monitor_proc p, q;
	double pct;
	size_t half = size / 2;

	memcpy(buf, data, size);
	if (monitor_parse_stat(buf, size, &c1) == 0) {
		if (monitor_parse_stat(buf, half, &c2) == 0) {
			pct = monitor_cpu_percent(&c2, &c1);
			if (!(pct == -1 || (pct >= 0 && pct <= 100)))
				abort();
		}
	}
	if (monitor_parse_meminfo(buf, size, &m) == 0 &&
	    (m.total_kb == 0 || m.available_kb > m.total_kb))
		abort();
	if (monitor_parse_loadavg(buf, size, &l) == 0 &&
	    (!isfinite(l.load1) || !isfinite(l.load5) || !isfinite(l.load15) ||
		l.load1 < 0 || l.load5 < 0 || l.load15 < 0 ||
		l.running > l.total || l.running < 0))
		abort();
	memset(&p, 0x55, sizeof p);
	if (monitor_parse_pidstat(buf, size, &p) == 0) {
		size_t line = 0;

		while (line < size && buf[line] != '\n' && buf[line] != '\0')
			line++;
		const char *open = memchr(buf, '(', line), *close = NULL;
		size_t i, n;

		if (p.pid <= 0 || p.ppid < 0 || p.rss_pages < 0 ||
		    memchr(p.comm, '\0', sizeof p.comm) == NULL)
			abort();
		for (i = 0; i < line; i++)
			if (buf[i] == ')')
				close = buf + i;
		if (open == NULL || close == NULL || close < open)
			abort();
		n = (size_t)(close - open - 1);
		if (n > sizeof p.comm - 1)
			n = sizeof p.comm - 1;
		if (strlen(p.comm) != n || strncmp(p.comm, open + 1, n) != 0)
			abort();
		/* Deterministic. */
		if (monitor_parse_pidstat(buf, size, &q) != 0 ||
		    q.pid != p.pid || q.utime != p.utime ||
		    strcmp(q.comm, p.comm) != 0)
			abort();
	}
	free(buf);
	return 0;
}
