/*
 * xalloc.h — allocation that cannot fail: out of memory is fatal.
 */
#ifndef OXIOS_UTIL_XALLOC_H
#define OXIOS_UTIL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);           /* never NULL */
void *xcalloc(size_t n, size_t size); /* zeroed, overflow-checked */
void *xrealloc(void *p, size_t size); /* never NULL */
void *xreallocarray(void *p, size_t n, size_t size); /* overflow-checked */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Formatted string; returns its length.  *ret is new (caller frees). */
int xasprintf(char **ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int xvasprintf(char **ret, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Wipe and free a NUL-terminated secret (NULL is allowed). */
void xfree_secret(char *p);

#endif
