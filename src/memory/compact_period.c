/*
 * compact_period.c — the compaction tree's calendar (compact.h): the
 * memory clock, the levels and raw types, and the UTC periods (days, ISO
 * weeks, months of weeks by their Thursday).
 */
#include <stdlib.h>
#include <string.h>

#include "memory/compact.h"
#include "memory/memory_int.h"
#include "util/time.h"

#define DAY_MS 86400000LL

static const char *const compact_levels[COMPACT_NLEVELS] = { "daily", "weekly",
	"monthly", "root" };
/* Raw material: what happened, and notes (compact.h). */
static const char *const compact_raw[] = { "episode", "session", "conversation",
	"fact", "knowledge" };

int64_t
mem_clock_ms(void)
{
	const char *s = getenv("OXIOS_TEST_MEMORY_CLOCK_MS");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return time_wall_ms();
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v <= 0)
		return time_wall_ms();
	return v;
}

int
compact_raw_type(const char *type)
{
	size_t i;

	for (i = 0;
	     type != NULL && i < sizeof compact_raw / sizeof *compact_raw; i++)
		if (strcmp(type, compact_raw[i]) == 0)
			return 1;
	return 0;
}

const char *
compact_level_name(enum compact_level l)
{
	return (unsigned)l < COMPACT_NLEVELS ? compact_levels[l] : "?";
}

int
compact_level_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < COMPACT_NLEVELS; i++)
		if (strcmp(s, compact_levels[i]) == 0)
			return i;
	return -1;
}

/* ---- periods (UTC, proleptic Gregorian) ---- */

static int64_t
compact_floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
compact_floormod(int64_t a, int64_t b)
{
	return a - compact_floordiv(a, b) * b;
}

/* Year, month, day of a day number (days since 1970-01-01). */
static void
compact_civil(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468, era = compact_floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* The day number of a date. */
static int64_t
compact_days(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = compact_floordiv(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The Thursday of the ISO week holding day `day` (Monday is day 0 of a
 * week; 1970-01-01 was a Thursday). */
static int64_t
compact_thursday(int64_t day)
{
	return day - compact_floormod(day + 3, 7) + 3;
}

int
compact_period_of(enum compact_level level, int64_t ms,
    struct compact_period *p)
{
	int64_t day = compact_floordiv(ms, DAY_MS), thu, first, next, last;
	int y, m, d;

	memset(p, 0, sizeof *p);
	switch (level) {
	case COMPACT_DAILY:
		compact_civil(day, &y, &m, &d);
		snprintf(p->key, sizeof p->key, "%04d-%02d-%02d", y, m, d);
		p->start_ms = day * DAY_MS;
		p->end_ms = (day + 1) * DAY_MS;
		return 0;
	case COMPACT_WEEKLY:
		thu = compact_thursday(day);
		compact_civil(thu, &y, &m, &d);
		snprintf(p->key, sizeof p->key, "%04d-W%02d", y,
		    (int)((thu - compact_days(y, 1, 1)) / 7 + 1));
		p->start_ms = (thu - 3) * DAY_MS;
		p->end_ms = (thu + 4) * DAY_MS;
		return 0;
	case COMPACT_MONTHLY:
		compact_civil(compact_thursday(day), &y, &m, &d);
		snprintf(p->key, sizeof p->key, "%04d-%02d", y, m);
		first = compact_days(y, m, 1);
		next = m == 12 ? compact_days(y + 1, 1, 1) :
				 compact_days(y, m + 1, 1);
		/* The weeks of its first and last Thursdays, and between. */
		thu = first +
		    compact_floormod(3 - compact_floormod(first + 3, 7), 7);
		last = compact_thursday(next - 1);
		if (last >= next)
			last -= 7;
		p->start_ms = (thu - 3) * DAY_MS;
		p->end_ms = (last + 4) * DAY_MS;
		return 0;
	default:
		return -1;
	}
}
