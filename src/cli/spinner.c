/*
 * spinner.c — work in progress on a terminal's stderr (see spinner.h).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/spinner.h"
#include "util/time.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define SPINNER_TICK_MS 100
#define SPINNER_REST_MS 300 /* output rests this long before a redraw */
#define SPINNER_LABEL 64    /* bytes of a label shown */

struct spinner {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;        /* the thread ends */
	int shown;       /* the line is on the terminal */
	int paused;      /* spinner_pause() */
	int midline;     /* stdout's cursor is inside a line */
	unsigned frame;  /* which mark */
	uint64_t t0;     /* when it began */
	uint64_t rested; /* the last write to the terminal */
	char label[SPINNER_LABEL + 1];
	int retry_attempt; /* 0: no retry shown */
	long retry_wait;   /* -1: until admitted */
	uint64_t retry_at; /* when the wait began */
};

int
spinner_possible(void)
{
	const char *term = getenv("TERM");

	return isatty(STDERR_FILENO) && term != NULL && *term != '\0' &&
	    strcmp(term, "dumb") != 0;
}

static void
spinner_erase(struct spinner *s)
{
	if (s->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		s->shown = 0;
	}
}

/* Draw the line (the lock held). */
static void
spinner_draw(struct spinner *s, uint64_t now)
{
	static const char marks[] = "|/-\\";
	char what[SPINNER_LABEL + 64];
	long left;

	if (s->retry_attempt > 0 && s->retry_wait < 0)
		snprintf(what, sizeof what,
		    "waiting for the provider to admit a retry (attempt %d "
		    "failed)",
		    s->retry_attempt);
	else if (s->retry_attempt > 0 &&
	    (left = s->retry_wait - (long)(now - s->retry_at)) > 0)
		snprintf(what, sizeof what,
		    "retrying in %.1f s (attempt %d failed)", left / 1000.0,
		    s->retry_attempt);
	else if (s->retry_attempt > 0)
		snprintf(what, sizeof what, "retrying (attempt %d)",
		    s->retry_attempt + 1);
	else
		snprintf(what, sizeof what, "%s", s->label);
	fprintf(stderr, "\r\033[K%c %s  %.1f s", marks[s->frame++ % 4], what,
	    (double)(now - s->t0) / 1000.0);
	fflush(stderr);
	s->shown = 1;
}

static void *
spinner_run(void *arg)
{
	struct spinner *s = arg;
	struct timespec ts;
	uint64_t now;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		now = time_mono_ms();
		if (!s->paused && !s->midline &&
		    now - s->rested >= SPINNER_REST_MS)
			spinner_draw(s, now);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SPINNER_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
	}
	spinner_erase(s);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct spinner *
spinner_start(const char *label)
{
	struct spinner *s;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (!spinner_possible())
		return NULL;
	s = xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	s->t0 = s->rested = time_mono_ms();
	/* The first mark at once: nothing was written yet. */
	s->rested -= SPINNER_REST_MS;
	spinner_set(s, label);
	/* The thread takes no signal: Ctrl-C goes where it always went. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, spinner_run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

void
spinner_stop(struct spinner *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void
spinner_set(struct spinner *s, const char *label)
{
	size_t n;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	if (label != NULL) {
		/* A tool's name is the model's text: printable ASCII and
		 * whole characters only. */
		n = utf8_cut(label, SPINNER_LABEL);
		memcpy(s->label, label, n);
		s->label[n] = '\0';
		for (n = 0; s->label[n] != '\0'; n++) {
			if ((unsigned char)s->label[n] < 0x20 ||
			    s->label[n] == 0x7f)
				s->label[n] = '?';
		}
	}
	s->retry_attempt = 0;
	pthread_mutex_unlock(&s->lock);
}

void
spinner_retry(struct spinner *s, int attempt, long wait_ms)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->retry_attempt = attempt > 0 ? attempt : 1;
	s->retry_wait = wait_ms;
	s->retry_at = time_mono_ms();
	pthread_mutex_unlock(&s->lock);
}

void
spinner_pause(struct spinner *s, int paused)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->paused = paused;
	if (paused)
		spinner_erase(s);
	pthread_mutex_unlock(&s->lock);
}

void
spinner_take(struct spinner *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	spinner_erase(s);
}

void
spinner_give(struct spinner *s, int midline)
{
	if (s == NULL)
		return;
	s->midline = midline;
	s->rested = time_mono_ms();
	pthread_mutex_unlock(&s->lock);
}
