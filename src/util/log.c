/*
 * log.c — leveled logging.  One mutex keeps records whole across threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "util/log.h"
#include "util/redact.h"
#include "util/time.h"
#include "util/xalloc.h"

enum log_level log_threshold = LOG_INFO;

static enum log_format log_fmt = LOG_TEXT;
static FILE *log_file; /* NULL: stderr */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const log_names[] = { "debug", "info", "warn", "error",
	"off" };

int
log_level_parse(const char *s)
{
	for (int i = 0; i <= LOG_OFF; i++) {
		if (strcmp(s, log_names[i]) == 0)
			return i;
	}
	return -1;
}

int
log_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return LOG_TEXT;
	if (strcmp(s, "json") == 0)
		return LOG_JSON;
	return -1;
}

void
log_set_level(enum log_level level)
{
	/* Set by a reload on one thread, read by all: atomic. */
	__atomic_store_n(&log_threshold, level, __ATOMIC_RELAXED);
}

void
log_set_format(enum log_format format)
{
	log_fmt = format;
}

int
log_set_file(const char *path, char **cause)
{
	FILE *f = NULL;
	int fd;

	if (path != NULL) {
		fd =
		    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1 || (f = fdopen(fd, "a")) == NULL) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		setvbuf(f, NULL, _IOLBF, 0);
	}
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	log_file = f;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void
log_close(void)
{
	log_set_file(NULL, NULL);
}

static void
log_vwrite(enum log_level level, const char *func, const char *fmt, va_list ap)
{
	char stamp[64], *msg, *clean;
	FILE *out;

	time_rfc3339(time_wall_ms(), stamp, sizeof stamp);
	xvasprintf(&msg, fmt, ap);
	/* Never log a secret, even one that slipped into a message. */
	clean = redact_string(msg, NULL);
	free(msg);
	msg = clean;

	pthread_mutex_lock(&log_lock);
	out = log_file != NULL ? log_file : stderr;
	if (log_fmt == LOG_JSON) {
		json_t *rec;
		char *line;

		rec = json_pack("{s:s, s:s, s:s, s:s}", "ts", stamp, "level",
		    log_names[level], "func", func, "msg", msg);
		if (rec == NULL) /* msg was not UTF-8: keep it visible */
			rec = json_pack("{s:s, s:s, s:s, s:s}", "ts", stamp,
			    "level", log_names[level], "func", func, "msg",
			    "(message not valid UTF-8)");
		line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
		fprintf(out, "%s\n", line);
		free(line);
		json_decref(rec);
	} else
		fprintf(out, "%s %-5s %s: %s\n", stamp, log_names[level], func,
		    msg);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
	free(msg);
}

void
log_write(enum log_level level, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, func, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERROR, "fatal", fmt, ap);
	va_end(ap);
	exit(1);
}
