/*
 * spinner.h — one line on a terminal's stderr saying that work goes on:
 * a turning mark, what is being done ("thinking", "running exec",
 * "execute") and the time since it began, redrawn ten times a second by
 * a thread of its own.  Whoever writes to the terminal meanwhile takes
 * it first (spinner_take()): the line is erased, and drawn again only
 * once output has rested at the start of a line for a moment, so it
 * never mixes with an answer being streamed.
 */
#ifndef OXIOS_CLI_SPINNER_H
#define OXIOS_CLI_SPINNER_H

struct spinner;

/* Whether a spinner can be drawn: stderr is a terminal that can erase a
 * line (TERM set, not "dumb"). */
int spinner_possible(void);
/* Start one saying `label`; NULL when !spinner_possible() or no thread
 * could start. */
struct spinner *spinner_start(const char *label);
/* Erase the line and stop the thread; frees s.  NULL is ignored. */
void spinner_stop(struct spinner *s);

/* What it says from now on (copied; cut to fit a line); clears a retry
 * shown.  NULL keeps the label and clears the retry only. */
void spinner_set(struct spinner *s, const char *label);
/* A call is retried: attempt `attempt` failed, the next follows in
 * wait_ms (-1: once the provider admits it).  Shown as a countdown. */
void spinner_retry(struct spinner *s, int attempt, long wait_ms);
/* Stop drawing (erased) while the user is asked something, or draw
 * again. */
void spinner_pause(struct spinner *s, int paused);

/*
 * Take the terminal to write to it: the line is erased and stays so
 * until spinner_give(); `midline`: what was written leaves the cursor
 * inside a line of stdout's (no drawing until a line ends).  Both
 * ignore NULL.
 */
void spinner_take(struct spinner *s);
void spinner_give(struct spinner *s, int midline);

#endif
