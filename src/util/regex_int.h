/*
 * regex_int.h — what regex.c (parse, compile) and regex_exec.c (match)
 * share: the program and its character sets.
 *
 * A character is a code point, or RX_BYTE + b for a byte b that is not
 * part of well-formed UTF-8, or RX_NONE before the start and after the
 * end of the subject.
 */
#ifndef OXIOS_UTIL_REGEX_INT_H
#define OXIOS_UTIL_REGEX_INT_H

#include <stddef.h>
#include <stdint.h>

#define RX_BYTE 0x110000u    /* + b: a stray byte */
#define RX_MAXCHAR 0x1100ffu /* the largest character */
#define RX_NONE 0xffffffffu  /* outside the subject */

enum rx_op {
	RX_CHAR,   /* x or y (y: its other case, else x) */
	RX_ANY,    /* any character but '\n' */
	RX_CLASS,  /* a character of set x */
	RX_SPLIT,  /* go on at x and at y */
	RX_JMP,    /* go on at x */
	RX_ASSERT, /* go on if assertion `arg` holds here */
	RX_MATCH,
};

enum rx_assert {
	RX_BOL,    /* ^ */
	RX_EOL,    /* $ */
	RX_WORDB,  /* \b */
	RX_NWORDB, /* \B */
	RX_WBEG,   /* \< */
	RX_WEND,   /* \> */
};

struct rx_inst {
	uint8_t op;  /* enum rx_op */
	uint8_t arg; /* enum rx_assert */
	uint32_t x, y;
};

struct rx_range {
	uint32_t lo, hi; /* inclusive */
};

/* A set of characters: a bitmap below 0x80, sorted disjoint ranges above. */
struct rx_class {
	uint64_t ascii[2];
	struct rx_range *r; /* owned */
	size_t n;
};

struct regex {
	struct rx_inst *prog; /* owned; prog[0] is the start */
	size_t n;
	struct rx_class *cls; /* owned */
	size_t ncls;

	/*
	 * The first bytes a match can start with, when they are known and
	 * none is a continuation byte (such a byte always begins a
	 * character, so a search may jump to it): filter 1, with `one` the
	 * only byte when there is one (filter 2, memchr).
	 */
	int filter;
	uint8_t one;
	uint8_t first[256];

	/* Scratch of regex_match(): two state lists and a stack. */
	uint32_t *mark; /* per instruction: the list generation it is in */
	uint32_t gen;
	uint32_t *clist, *nlist, *stack;
};

/* A growing list of ranges, made into a struct rx_class at the end. */
struct rx_set {
	struct rx_range *r; /* owned */
	size_t n, alloc;
};

void regex_set_add(struct rx_set *s, uint32_t lo, uint32_t hi);
/* Add the named class name[0..n) ("alpha"...); -1 if there is none. */
int regex_set_named(struct rx_set *s, const char *name, size_t n);
/*
 * Make s into *c (taking its ranges; s is left empty): closed under case
 * for icase, then negated for 1 (never holding '\n': [^...]) or 2 (with
 * it: \W \S \D, as glibc).
 */
void regex_set_finish(struct rx_set *s, int icase, int negate,
    struct rx_class *c);
/* The small letter of capital c, or c; the capital of small letter c. */
uint32_t regex_lower(uint32_t c);
uint32_t regex_upper(uint32_t c);

/* Decode the character at s[i] (i < len); *w is its width in bytes. */
uint32_t regex_decode(const unsigned char *s, size_t len, size_t i, size_t *w);
/* Whether set c holds character ch. */
int regex_class_has(const struct rx_class *c, uint32_t ch);
/* Work out re->filter and re->first from the program. */
void regex_first_bytes(struct regex *re);

#endif
