/*
 * time.h — monotonic and wall-clock time.
 */
#ifndef OXIOS_UTIL_TIME_H
#define OXIOS_UTIL_TIME_H

#include <stddef.h>
#include <stdint.h>

uint64_t time_mono_ns(void); /* CLOCK_MONOTONIC, nanoseconds */
uint64_t time_mono_ms(void); /* CLOCK_MONOTONIC, milliseconds */
int64_t time_wall_ms(void);  /* Unix time, milliseconds */
/* RFC 3339 UTC ("2026-11-28T01:02:03.456Z") of `ms` into buf (>= 32). */
void time_rfc3339(int64_t ms, char *buf, size_t size);

#endif
