/*
 * interrupt.c — signals to cancel tokens (see interrupt.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli/interrupt.h"
#include "util/xalloc.h"

static volatile sig_atomic_t interrupt_flag;
static int interrupt_pipe[2] = { -1, -1 };
static pthread_t interrupt_thread;
static int interrupt_term;
static pthread_mutex_t interrupt_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cancel *interrupt_armed; /* guarded by interrupt_lock */

static void
interrupt_on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	interrupt_flag = 1;
	if (write(interrupt_pipe[1], "!", 1) == -1)
		(void)errno; /* full: a byte is already waiting */
	errno = saved;
}

static void *
interrupt_relay(void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	for (;;) {
		n = read(interrupt_pipe[0], buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* the write end closed: stop */
		pthread_mutex_lock(&interrupt_lock);
		cancel_fire(interrupt_armed);
		pthread_mutex_unlock(&interrupt_lock);
	}
	return NULL;
}

int
cli_interrupt_start(int term, char **cause)
{
	struct sigaction sa;
	sigset_t all, old;
	int rc;

	if (pipe2(interrupt_pipe, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return -1;
	}
	fcntl(interrupt_pipe[1], F_SETFL, O_NONBLOCK);
	/* The relay takes no signal: the main thread gets them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&interrupt_thread, NULL, interrupt_relay, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		close(interrupt_pipe[0]);
		close(interrupt_pipe[1]);
		interrupt_pipe[0] = interrupt_pipe[1] = -1;
		xasprintf(cause, "pthread_create: %s", strerror(rc));
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = interrupt_on_signal; /* no SA_RESTART: reads return */
	sigaction(SIGINT, &sa, NULL);
	interrupt_term = term;
	if (term)
		sigaction(SIGTERM, &sa, NULL);
	return 0;
}

void
cli_interrupt_arm(struct cancel *c)
{
	pthread_mutex_lock(&interrupt_lock);
	interrupt_armed = c;
	pthread_mutex_unlock(&interrupt_lock);
}

int
cli_interrupted(void)
{
	return interrupt_flag != 0;
}

void
cli_interrupt_clear(void)
{
	interrupt_flag = 0;
}

void
cli_interrupt_stop(void)
{
	if (interrupt_pipe[1] == -1)
		return;
	signal(SIGINT, SIG_DFL);
	if (interrupt_term)
		signal(SIGTERM, SIG_DFL);
	close(interrupt_pipe[1]);
	interrupt_pipe[1] = -1;
	pthread_join(interrupt_thread, NULL);
	close(interrupt_pipe[0]);
	interrupt_pipe[0] = -1;
	cli_interrupt_arm(NULL);
}
