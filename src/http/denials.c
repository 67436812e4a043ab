/*
 * denials.c — refused credentials counted per address and window.  See
 * denials.h.  A plain array: at most `max_addrs` open windows, scanned
 * linearly (a refusal is rare next to a request, and the table small).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/denials.h"
#include "util/xalloc.h"

struct denials_slot {
	char addr[DENIALS_ADDR];
	char path[DENIALS_PATH];
	long count; /* after the first */
	uint64_t open_ms, last_ms;
};

struct denials {
	struct denials_slot *slot;
	size_t n, max;
	uint64_t window_ms;
};

struct denials *
denials_new(size_t max_addrs, uint64_t window_ms)
{
	struct denials *d = xcalloc(1, sizeof *d);

	d->max = max_addrs > 0 ? max_addrs : 1;
	d->slot = xcalloc(d->max, sizeof *d->slot);
	d->window_ms = window_ms;
	return d;
}

void
denials_free(struct denials *d)
{
	if (d == NULL)
		return;
	free(d->slot);
	free(d);
}

/* The record of slot i; 1 if it has a count to report. */
static int
denials_record(const struct denials_slot *s, struct denial *out)
{
	if (s->count == 0)
		return 0;
	memset(out, 0, sizeof *out);
	snprintf(out->addr, sizeof out->addr, "%s", s->addr);
	snprintf(out->path, sizeof out->path, "%s", s->path);
	out->count = s->count;
	out->first_ms = s->open_ms;
	out->last_ms = s->last_ms;
	return 1;
}

/* Drop slot i (order does not matter). */
static void
denials_drop(struct denials *d, size_t i)
{
	d->slot[i] = d->slot[--d->n];
}

int
denials_note(struct denials *d, const char *addr, const char *path,
    uint64_t now_ms, struct denial *evicted, int *nevicted)
{
	struct denials_slot *s;
	size_t i, oldest = 0;

	*nevicted = 0;
	for (i = 0; i < d->n; i++) {
		s = &d->slot[i];
		if (strncmp(s->addr, addr, sizeof s->addr - 1) != 0)
			continue;
		if (now_ms - s->open_ms >= d->window_ms) {
			/* Its window passed unreported: report it now. */
			*nevicted = denials_record(s, evicted);
			denials_drop(d, i);
			break;
		}
		s->count++;
		s->last_ms = now_ms;
		snprintf(s->path, sizeof s->path, "%s", path);
		return 0;
	}
	if (d->n == d->max) {
		for (i = 1; i < d->n; i++)
			if (d->slot[i].open_ms < d->slot[oldest].open_ms)
				oldest = i;
		/* Only one record fits: a passed window above took none
		 * of the room, so the table is full only without it. */
		*nevicted = denials_record(&d->slot[oldest], evicted);
		denials_drop(d, oldest);
	}
	s = &d->slot[d->n++];
	memset(s, 0, sizeof *s);
	snprintf(s->addr, sizeof s->addr, "%s", addr);
	snprintf(s->path, sizeof s->path, "%s", path);
	s->open_ms = s->last_ms = now_ms;
	return 1;
}

size_t
denials_take(struct denials *d, uint64_t now_ms, int all, struct denial **out)
{
	size_t i = 0, n = 0;
	struct denial rec;

	*out = NULL;
	while (i < d->n) {
		if (!all && now_ms - d->slot[i].open_ms < d->window_ms) {
			i++;
			continue;
		}
		if (denials_record(&d->slot[i], &rec)) {
			*out = xrealloc(*out, (n + 1) * sizeof **out);
			(*out)[n++] = rec;
		}
		denials_drop(d, i);
	}
	return n;
}
