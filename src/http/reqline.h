/*
 * reqline.h — is this the start of an HTTP request?  The server peeks at
 * the first bytes of every new connection before libmicrohttpd reads it
 * (server_guard.c): what cannot begin a request line is answered 400 at
 * once, instead of waiting for a line end that never comes.
 *
 * A request begins with at most REQLINE_MAX_EMPTY empty lines ("\r\n" or
 * "\n", RFC 9112 2.2), then a method of 1 to REQLINE_MAX_METHOD token
 * characters (RFC 9110 5.6.2: letters, digits and !#$%&'*+-.^_`|~), then
 * one space.  Invariants (tests/fuzz/fuzz_reqline.c): the verdict of a
 * prefix is kept by every extension once it is OK or BAD; MORE only when
 * every byte so far fits; never MORE after REQLINE_DECIDE bytes.
 */
#ifndef OXIOS_HTTP_REQLINE_H
#define OXIOS_HTTP_REQLINE_H

#include <stddef.h>

#define REQLINE_MAX_EMPTY 4
#define REQLINE_MAX_METHOD 16
/* Bytes after which the verdict is known: the longest acceptable start. */
#define REQLINE_DECIDE (2 * REQLINE_MAX_EMPTY + REQLINE_MAX_METHOD + 1)

enum reqline_verdict {
	REQLINE_MORE, /* all fits so far: read more */
	REQLINE_OK,   /* a method and its space */
	REQLINE_BAD,  /* not HTTP: answer 400 and close */
};

/* The verdict on the first `n` bytes of a connection. */
enum reqline_verdict reqline_check(const unsigned char *p, size_t n);
/* Whether `c` is a token character (tchar). */
int reqline_tchar(unsigned char c);

#endif
