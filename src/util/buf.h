/*
 * buf.h — a growable byte buffer with a hard cap.
 *
 * Every buffer that holds outside input is created with a cap; an append
 * that would pass it fails cleanly (returns -1) and leaves the buffer as it
 * was.  The data is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef OXIOS_UTIL_BUF_H
#define OXIOS_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#define BUF_NOCAP ((size_t)-1)

struct buf {
	char *data;  /* owned; NUL-terminated; NULL until first append */
	size_t len;  /* bytes used, without the NUL */
	size_t size; /* bytes allocated */
	size_t cap;  /* most bytes len may reach */
};

void buf_init(struct buf *b, size_t cap); /* empty buffer, no memory */
void buf_free(struct buf *b);             /* frees data; b is empty */
void buf_reset(struct buf *b);            /* len = 0, keeps memory */
int buf_add(struct buf *b, const void *p, size_t n); /* 0, or -1 over cap */
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Hand the data to the caller (caller frees; never NULL); b is empty. */
char *buf_detach(struct buf *b);
/* The data as a C string: "" for an empty buffer.  Owned by b. */
const char *buf_str(const struct buf *b);

#endif
