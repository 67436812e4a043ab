/*
 * buf.c — growable, capped byte buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xalloc.h"

void
buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->size = 0;
	b->cap = cap;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
buf_reserve(struct buf *b, size_t n)
{
	size_t need, size;

	if (n > b->cap || b->len > b->cap - n)
		return -1;
	need = b->len + n + 1;
	if (need <= b->size)
		return 0;
	size = b->size < 64 ? 64 : b->size;
	while (size < need)
		size = size > ((size_t)-1) / 2 ? need : size * 2;
	b->data = xrealloc(b->data, size);
	b->size = size;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) != 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_reserve(b, (size_t)n) != 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *
buf_detach(struct buf *b)
{
	char *p;

	p = b->data != NULL ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->size = 0;
	return p;
}

const char *
buf_str(const struct buf *b)
{
	return b->data != NULL ? b->data : "";
}
