/*
 * regex_exec.c — running a compiled program over a subject: a Thompson
 * NFA simulation (Pike's VM without captures).
 *
 * The subject is read once, a character at a time.  The current list
 * holds the program's consuming instructions (characters, sets, `.`)
 * reached so far; each character moves the threads that accept it to the
 * next list, following jumps, splits and the assertions that hold between
 * that character and the next.  An instruction enters a list at most once
 * per character (a mark of the list's generation), so a step costs at
 * most the program's size, and a search from every offset runs in the
 * same pass: the start's closure joins the list at each character.  The
 * first MATCH reached answers.  While the list is empty, a search whose
 * first bytes are known skips to the next offset holding one.
 */
#include <string.h>

#include "util/regex.h"
#include "util/regex_int.h"

uint32_t
regex_decode(const unsigned char *s, size_t len, size_t i, size_t *w)
{
	unsigned b = s[i], lo = 0x80, hi = 0xbf;
	uint32_t c;
	size_t n, k;

	*w = 1;
	if (b < 0x80)
		return b;
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
		c = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		c = b & 0x0f;
		lo = b == 0xe0 ? 0xa0 : 0x80;
		hi = b == 0xed ? 0x9f : 0xbf;
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		c = b & 0x07;
		lo = b == 0xf0 ? 0x90 : 0x80;
		hi = b == 0xf4 ? 0x8f : 0xbf;
	} else
		return RX_BYTE + b;
	if (len - i < n)
		return RX_BYTE + b;
	for (k = 1; k < n; k++) {
		b = s[i + k];
		if (b < lo || b > hi)
			return RX_BYTE + s[i];
		lo = 0x80;
		hi = 0xbf;
		c = c << 6 | (b & 0x3f);
	}
	*w = n;
	return c;
}

int
regex_class_has(const struct rx_class *c, uint32_t ch)
{
	size_t lo = 0, hi = c->n, mid;

	if (ch < 0x80)
		return (c->ascii[ch >> 6] >> (ch & 63)) & 1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ch < c->r[mid].lo)
			hi = mid;
		else if (ch > c->r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* The lead byte of code point c in UTF-8. */
static unsigned
rx_lead(uint32_t c)
{
	if (c < 0x80)
		return c;
	if (c < 0x800)
		return 0xc0 | c >> 6;
	if (c < 0x10000)
		return 0xe0 | c >> 12;
	return 0xf0 | c >> 18;
}

/* Add the lead bytes of lo..hi; 0, or -1 if stray bytes are in it. */
static int
rx_first_range(struct regex *re, uint32_t lo, uint32_t hi)
{
	unsigned b;

	if (hi >= RX_BYTE)
		return -1;
	for (b = rx_lead(lo); b <= rx_lead(hi); b++)
		re->first[b] = 1;
	return 0;
}

void
regex_first_bytes(struct regex *re)
{
	const struct rx_inst *in;
	const struct rx_class *c;
	uint32_t pc, ch;
	size_t sp = 0, i, n = 0;
	int b;

	re->filter = 0;
	memset(re->first, 0, sizeof re->first);
	memset(re->mark, 0, re->n * sizeof *re->mark);
	re->stack[sp++] = 0;
	while (sp > 0) {
		pc = re->stack[--sp];
		if (re->mark[pc])
			continue;
		re->mark[pc] = 1;
		in = &re->prog[pc];
		switch (in->op) {
		case RX_JMP:
			re->stack[sp++] = in->x;
			break;
		case RX_SPLIT:
			re->stack[sp++] = in->y;
			re->stack[sp++] = in->x;
			break;
		case RX_ASSERT: /* may hold: a superset is safe */
			re->stack[sp++] = pc + 1;
			break;
		case RX_CHAR:
			re->first[rx_lead(in->x)] = 1;
			re->first[rx_lead(in->y)] = 1;
			break;
		case RX_CLASS:
			c = &re->cls[in->x];
			for (ch = 0; ch < 0x80; ch++)
				if (regex_class_has(c, ch))
					re->first[ch] = 1;
			for (i = 0; i < c->n; i++)
				if (rx_first_range(re, c->r[i].lo,
					c->r[i].hi) == -1)
					goto none;
			break;
		default: /* RX_ANY, RX_MATCH (the empty string matches) */
			goto none;
		}
	}
	for (b = 0; b < 256; b++) {
		if (re->first[b]) {
			n++;
			re->one = (uint8_t)b;
		}
	}
	re->filter = n == 1 ? 2 : 1;
none:
	memset(re->mark, 0, re->n * sizeof *re->mark);
	re->gen = 0;
}

static int
rx_word(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z') || c == '_';
}

/* Whether assertion a holds between characters prev and next. */
static int
rx_holds(unsigned a, uint32_t prev, uint32_t next)
{
	switch (a) {
	case RX_BOL:
		return prev == RX_NONE || prev == '\n';
	case RX_EOL:
		return next == RX_NONE || next == '\n';
	case RX_WORDB:
		return rx_word(prev) != rx_word(next);
	case RX_NWORDB:
		return rx_word(prev) == rx_word(next);
	case RX_WBEG:
		return !rx_word(prev) && rx_word(next);
	default: /* RX_WEND */
		return rx_word(prev) && !rx_word(next);
	}
}

/*
 * Add to list (*n entries) the consuming instructions reached from pc
 * between characters prev and next; 1 if MATCH is reached.
 */
static int
rx_closure(struct regex *re, uint32_t *list, size_t *n, uint32_t pc,
    uint32_t prev, uint32_t next, uint64_t *work)
{
	const struct rx_inst *in;
	size_t sp = 0;

	re->stack[sp++] = pc;
	while (sp > 0) {
		pc = re->stack[--sp];
		if (re->mark[pc] == re->gen)
			continue;
		re->mark[pc] = re->gen;
		(*work)++;
		in = &re->prog[pc];
		switch (in->op) {
		case RX_JMP:
			re->stack[sp++] = in->x;
			break;
		case RX_SPLIT:
			re->stack[sp++] = in->y;
			re->stack[sp++] = in->x;
			break;
		case RX_ASSERT:
			if (rx_holds(in->arg, prev, next))
				re->stack[sp++] = pc + 1;
			break;
		case RX_MATCH:
			return 1;
		default:
			list[(*n)++] = pc;
			break;
		}
	}
	return 0;
}

/* A new list generation (the marks restart when it wraps). */
static void
rx_next_gen(struct regex *re)
{
	if (++re->gen == 0) {
		memset(re->mark, 0, re->n * sizeof *re->mark);
		re->gen = 1;
	}
}

static uint32_t
rx_at(const unsigned char *s, size_t len, size_t i, size_t *w)
{
	if (i >= len) {
		*w = 0;
		return RX_NONE;
	}
	if (s[i] < 0x80) {
		*w = 1;
		return s[i];
	}
	return regex_decode(s, len, i, w);
}

/* The offset of the next byte at or after i that may start a match. */
static size_t
rx_skip(const struct regex *re, const unsigned char *s, size_t len, size_t i)
{
	const unsigned char *p;

	if (re->filter == 2) {
		p = memchr(s + i, re->one, len - i);
		return p == NULL ? len : (size_t)(p - s);
	}
	while (i < len && !re->first[s[i]])
		i++;
	return i;
}

int
regex_match(struct regex *re, const char *subject, size_t len, uint64_t *budget)
{
	const unsigned char *s = (const unsigned char *)subject;
	const struct rx_inst *in;
	uint32_t prev = RX_NONE, c, next, *t;
	uint64_t work = 0;
	size_t i = 0, j, w, nw, nc = 0, nn;
	int rc = 0, ok;

	rx_next_gen(re);
	c = rx_at(s, len, 0, &w);
	for (;;) {
		if (nc == 0 && re->filter != 0) {
			if ((j = rx_skip(re, s, len, i)) == len)
				break; /* no start left, and "" cannot match */
			if (j != i) {
				/* Only whether prev is '\n' or a word
				 * character matters: both are ASCII. */
				prev = s[j - 1] < 0x80 ? s[j - 1] : 0x80;
				i = j;
				c = rx_at(s, len, i, &w);
				rx_next_gen(re);
			}
		}
		if (rx_closure(re, re->clist, &nc, 0, prev, c, &work)) {
			rc = 1;
			break;
		}
		if (budget != NULL && work > *budget) {
			rc = -1;
			break;
		}
		if (i >= len)
			break;
		next = rx_at(s, len, i + w, &nw);
		rx_next_gen(re);
		nn = 0;
		for (j = 0; j < nc; j++) {
			in = &re->prog[re->clist[j]];
			switch (in->op) {
			case RX_CHAR:
				ok = c == in->x || c == in->y;
				break;
			case RX_ANY:
				ok = c != '\n';
				break;
			default: /* RX_CLASS */
				ok = regex_class_has(&re->cls[in->x], c);
				break;
			}
			if (ok &&
			    rx_closure(re, re->nlist, &nn, re->clist[j] + 1, c,
				next, &work)) {
				rc = 1;
				goto out;
			}
		}
		work += nc;
		t = re->clist;
		re->clist = re->nlist;
		re->nlist = t;
		nc = nn;
		prev = c;
		c = next;
		i += w;
		w = nw;
	}
out:
	if (budget != NULL)
		*budget = rc == -1 || work > *budget ? 0 : *budget - work;
	return rc;
}
