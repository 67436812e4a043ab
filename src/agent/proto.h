/*
 * proto.h — newline-delimited JSON framing between an agent's brain and
 * its hands (docs/worker-protocol.md): read one line with a size cap and a
 * timeout, write one JSON value as one line.  Used by both sides.
 */
#ifndef OXIOS_AGENT_PROTO_H
#define OXIOS_AGENT_PROTO_H

#include <stddef.h>
#include <jansson.h>

#include "util/cancel.h"

#define PROTO_MAX_POLICY (1024 * 1024)        /* the policy line */
#define PROTO_MAX_REQUEST (16 * 1024 * 1024)  /* one call line */
#define PROTO_MAX_RESPONSE (32 * 1024 * 1024) /* one result line */

/* Buffered lines from one file descriptor. */
struct proto_reader {
	int fd;
	size_t cap;     /* longest line accepted, without its '\n' */
	char *data;     /* pending bytes (owned) */
	size_t len;     /* bytes pending */
	size_t size;    /* bytes allocated */
	size_t scanned; /* bytes of data known to hold no '\n' */
	int skipping;   /* inside a line that passed the cap */
};

/* Read lines from `fd` (not owned), each at most `cap` bytes. */
void proto_reader_init(struct proto_reader *r, int fd, size_t cap);
/* Free the pending bytes (the fd stays open). */
void proto_reader_free(struct proto_reader *r);
/*
 * The next line, without its '\n', NUL-terminated in *line (caller
 * frees; it may hold other NULs: *len says how long it is).  Waits at most
 * `timeout_ms` (< 0: forever), and no longer than `cancel` (may be NULL)
 * lets it: its fd is polled beside r->fd.  Returns 1 with a line, 0 at end of file between lines, or -1
 * with *cause (caller frees) and errno: ETIMEDOUT, ECANCELED, EPROTO (end
 * of file inside a line), EMSGSIZE (the line passed the cap: it has been
 * skipped, the next call reads the line after it) or that of read(2).
 */
int proto_read_line(struct proto_reader *r, int timeout_ms,
    const struct cancel *cancel, char **line, size_t *len, char **cause);
/*
 * Write all `n` bytes; while the peer does not read, the wait also ends
 * when `cancel` (may be NULL) fires.  Never raises SIGPIPE on a socket.
 * Returns 0, or -1 with *cause (caller frees) and errno (ECANCELED, EPIPE
 * ...).
 */
int proto_write_all(int fd, const void *p, size_t n,
    const struct cancel *cancel, char **cause);
/* Write `v` as one compact JSON line.  Returns 0, or -1 with *cause. */
int proto_write_json(int fd, const json_t *v, const struct cancel *cancel,
    char **cause);

/*
 * Set in a worker's environment.  hands_spawn() refuses to run where it
 * is set: a program that spawns hands but does not dispatch `__worker`
 * would otherwise exec itself through /proc/self/exe without end.
 */
#define PROTO_MARK "OXIOS_WORKER"

/*
 * The environment a worker is exec'd with: PROTO_MARK, a fixed PATH and
 * LANG, and the sanitizer options of this process (ASAN_OPTIONS ...); no
 * secret can be in it.  NULL-terminated, new (proto_env_free()).
 */
char **proto_env(void);
void proto_env_free(char **env);
/* Whether this process's environment holds only what proto_env() gives. */
int proto_env_is_clean(void);

#endif
