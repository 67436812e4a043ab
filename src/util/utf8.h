/*
 * utf8.h — UTF-8: validation (RFC 3629) and cutting at character
 * boundaries.
 *
 * A character boundary of s[0..len) is offset 0, offset len, or an offset
 * whose byte is not a continuation byte (10xxxxxx).  Cutting only looks
 * for boundaries, so it never splits a character of valid text and never
 * makes valid text invalid; it does not repair invalid text.  Validation
 * rejects overlong forms, surrogates (U+D800..U+DFFF), code points past
 * U+10FFFF and sequences cut short.
 */
#ifndef OXIOS_UTIL_UTF8_H
#define OXIOS_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decoder states for utf8_run(): a character boundary, and a bad byte. */
#define UTF8_ACCEPT 0
#define UTF8_REJECT 8

/*
 * Feed s[0..n) to the decoder in `state` (UTF8_ACCEPT at the start of a
 * text) and return the new state: UTF8_ACCEPT at a boundary, UTF8_REJECT
 * from the first byte that no continuation could save (it stays there),
 * another value inside a character.  Text may arrive in any pieces.
 */
uint32_t utf8_run(uint32_t state, const void *s, size_t n);
/* Whether s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t n);
/* Length of the longest prefix of s[0..n) that is well-formed UTF-8. */
size_t utf8_valid_prefix(const char *s, size_t n);
/*
 * Length of the longest prefix of the C string s that is at most `max`
 * bytes and ends on a character boundary (strlen(s) if that fits).
 */
size_t utf8_cut(const char *s, size_t max);
/* The same for the bytes s[0..len), which may hold NULs. */
size_t utf8_cutn(const char *s, size_t len, size_t max);
/* Characters (bytes that are not continuation bytes) of the C string s. */
size_t utf8_chars(const char *s);
/*
 * Length in bytes of the longest prefix of the C string s that holds at
 * most `max` characters (strlen(s) if s holds no more).
 */
size_t utf8_cut_chars(const char *s, size_t max);

#endif
