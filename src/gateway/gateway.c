/*
 * gateway.c — runs and their host threads (see gateway.h).
 *
 * A job is owned by the host thread that runs it, from gateway_submit()
 * to its release; the job list (guarded by gw.lock) only lets others find
 * it to fire its cancel token.  The token lives in the job, and the
 * agent's token is chained below it, so it outlives every agent of the
 * run.  Idle host threads wait on gw.cond for a job, up to
 * GATEWAY_IDLE_MS, and at most GATEWAY_MAX_IDLE of them are kept.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "gateway/gateway.h"
#include "ouroboros/interview.h"
#include "store/db.h"
#include "util/log.h"
#include "util/xalloc.h"

#define GATEWAY_MAX_IDLE 4
#define GATEWAY_IDLE_MS 60000

struct gateway_job {
	const struct config *cfg;
	char *content;
	char *session_id;
	char *model;
	char *principal;
	char *persona;
	char *identity;
	char *space;
	long timeout_ms;
	long long budget_tokens;
	double budget_usd;
	enum call_class cls;
	enum kernel_spec spec;
	int approvals;
	struct gateway_sink sink;
	void *arg;
	const void *owner;
	struct cancel cancel; /* the run's token */
	struct kernel_run run;
	/* The interview's round in wait (guarded by gw.lock): how many
	 * questions (0: none waits), the answers once given, and the
	 * eventfd gateway_answer() wakes the host thread with. */
	size_t asked;
	int ask_fd;
	int answered, go;
	json_t *answers;
	struct gateway_job *next, *prev; /* the running list */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a job for an idle thread; or shutdown */
	pthread_cond_t done; /* a run ended */
	/* Guarded by lock: */
	struct gateway_job *jobs; /* running */
	int count;
	struct gateway_job *handoff; /* given to an idle thread */
	int idle;                    /* threads waiting for a job */
	int threads;                 /* host threads alive */
	int stopping;
} gw = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	PTHREAD_COND_INITIALIZER, NULL, 0, NULL, 0, 0, 0 };

/* Take j off the running list (waking gateway_wait()) and free it. */
static void
gateway_job_end(struct gateway_job *j)
{
	pthread_mutex_lock(&gw.lock);
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		gw.jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	gw.count--;
	pthread_cond_broadcast(&gw.done);
	pthread_mutex_unlock(&gw.lock);
	cancel_destroy(&j->cancel);
	free(j->content);
	free(j->session_id);
	free(j->model);
	free(j->principal);
	free(j->persona);
	free(j->identity);
	free(j->space);
	free(j);
}

/*
 * The interview's ouro_ask_fn on the host thread: the sink shows the
 * questions, then wait for gateway_answer(), the run's cancel or its
 * timeout (then the defaults, as if the user said go).
 */
static int
gateway_ask(void *arg, const json_t *questions, int round, json_t **answers)
{
	struct gateway_job *j = arg;
	struct pollfd p;
	long ms = j->timeout_ms > 0 ?
	    j->timeout_ms :
	    config_int(j->cfg, "kernel.agent_timeout_secs") * 1000L;
	char *cause = NULL;
	int fd, go = 1, rc;

	*answers = NULL;
	if (ouro_questions_check(questions, &cause) != 0) {
		log_warn("gateway: interview: %s; the defaults are taken",
		    cause);
		free(cause);
		return 1;
	}
	if ((fd = eventfd(0, EFD_CLOEXEC)) == -1) {
		log_warn("gateway: eventfd: %s; the defaults are taken",
		    strerror(errno));
		return 1;
	}
	pthread_mutex_lock(&gw.lock);
	j->asked = json_array_size(questions);
	j->ask_fd = fd;
	j->answered = 0;
	pthread_mutex_unlock(&gw.lock);
	j->sink.questions(questions, round, j->arg);
	p.fd = fd;
	p.events = POLLIN;
	rc = cancel_poll(&j->cancel, &p, 1, ms > INT_MAX ? INT_MAX : (int)ms);
	pthread_mutex_lock(&gw.lock);
	if (j->answered) {
		*answers = j->answers;
		go = j->go;
	} else if (rc == 0)
		log_info("gateway: no answer within %ld s; the defaults are "
			 "taken",
		    ms / 1000);
	j->answers = NULL;
	j->asked = 0;
	j->ask_fd = -1;
	pthread_mutex_unlock(&gw.lock);
	close(fd);
	return go;
}

int
gateway_answer(const void *owner, const json_t *answers, int go, char **cause)
{
	struct gateway_job *j;
	uint64_t one = 1;
	int rc = -1;

	pthread_mutex_lock(&gw.lock);
	for (j = gw.jobs; j != NULL; j = j->next)
		if (j->owner == owner && j->asked > 0 && !j->answered)
			break;
	if (j == NULL) {
		xasprintf(cause, "no question waits for an answer");
		rc = -2;
	} else if (ouro_answers_check(answers, j->asked, cause) == 0) {
		j->answers = answers != NULL ? json_deep_copy(answers) : NULL;
		j->go = go;
		j->answered = 1;
		if (write(j->ask_fd, &one, sizeof one) == -1)
			log_warn("gateway: eventfd write: %s", strerror(errno));
		rc = 0;
	}
	pthread_mutex_unlock(&gw.lock);
	return rc;
}

/* kernel_run's approval_hook: to the sink. */
static void
gateway_approval(const struct kernel_run *r, const json_t *a, void *arg)
{
	struct gateway_job *j = (struct gateway_job *)((char *)r -
	    offsetof(struct gateway_job, run));

	j->sink.approval(a, arg);
}

static void
gateway_run(struct gateway_job *j)
{
	struct kernel_run *r = &j->run;

	r->cfg = j->cfg;
	r->db = db_get();
	r->session_id = j->session_id;
	r->prompt = j->content;
	r->model = j->model;
	r->principal = j->principal;
	r->persona = j->persona;
	r->identity = j->identity;
	r->space = j->space;
	r->timeout_ms = j->timeout_ms;
	r->budget_tokens = j->budget_tokens;
	r->budget_usd = j->budget_usd;
	r->cls = j->cls;
	r->spec = j->spec;
	r->cancel = &j->cancel;
	r->hooks.text = j->sink.text;
	r->hooks.reset = j->sink.reset;
	r->hooks.retry = j->sink.retry;
	r->hooks.tool_start = j->sink.tool_start;
	r->hooks.tool_end = j->sink.tool_end;
	r->hooks.arg = j->arg;
	r->started_hook = j->sink.started;
	r->phase_hook = j->sink.phase;
	r->approvals = j->approvals;
	if (j->sink.approval != NULL)
		r->approval_hook = gateway_approval;
	if (j->sink.questions != NULL) {
		r->ask_user = gateway_ask;
		r->ask_arg = j;
	}
	if (r->db == NULL)
		snprintf(r->error, sizeof r->error,
		    "the database cannot be opened");
	else
		kernel_run(r);
	if (j->sink.done != NULL)
		j->sink.done(r, j->arg);
	kernel_run_free(r);
	if (j->sink.release != NULL)
		j->sink.release(j->arg);
	gateway_job_end(j);
}

/* A host thread: its first job, then whatever it is handed while idle. */
static void *
gateway_thread(void *arg)
{
	struct gateway_job *j = arg;
	struct timespec ts;

	for (;;) {
		gateway_run(j);
		j = NULL;
		pthread_mutex_lock(&gw.lock);
		if (gw.stopping || gw.idle >= GATEWAY_MAX_IDLE)
			break;
		gw.idle++;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += GATEWAY_IDLE_MS / 1000;
		while (gw.handoff == NULL && !gw.stopping) {
			if (pthread_cond_timedwait(&gw.cond, &gw.lock, &ts) ==
			    ETIMEDOUT)
				break;
		}
		gw.idle--;
		if (gw.handoff == NULL)
			break;
		j = gw.handoff;
		gw.handoff = NULL;
		pthread_cond_broadcast(&gw.cond); /* the next handoff */
		pthread_mutex_unlock(&gw.lock);
	}
	gw.threads--;
	pthread_cond_broadcast(&gw.done);
	pthread_mutex_unlock(&gw.lock);
	return NULL;
}

int
gateway_submit(const struct config *cfg, const struct gateway_msg *m,
    const struct gateway_sink *sink, void *arg, const void *owner, char **cause)
{
	struct gateway_job *j = xcalloc(1, sizeof *j);
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	j->cfg = cfg;
	j->content = xstrdup(m->content);
	j->session_id = m->session_id != NULL ? xstrdup(m->session_id) : NULL;
	j->model = m->model != NULL ? xstrdup(m->model) : NULL;
	j->principal = m->principal != NULL ? xstrdup(m->principal) : NULL;
	j->persona = m->persona != NULL ? xstrdup(m->persona) : NULL;
	j->identity = m->identity != NULL ? xstrdup(m->identity) : NULL;
	j->space = m->space != NULL ? xstrdup(m->space) : NULL;
	j->timeout_ms = m->timeout_ms;
	j->budget_tokens = m->budget_tokens;
	j->budget_usd = m->budget_usd;
	j->cls = m->cls;
	j->spec = m->spec;
	j->approvals = m->approvals;
	j->sink = *sink;
	j->arg = arg;
	j->owner = owner;
	j->ask_fd = -1;
	cancel_init(&j->cancel, NULL, 0);

	pthread_mutex_lock(&gw.lock);
	j->next = gw.jobs;
	if (j->next != NULL)
		j->next->prev = j;
	gw.jobs = j;
	gw.count++;
	/* An idle thread takes it, once the previous handoff is taken. */
	while (gw.idle > 0 && gw.handoff != NULL)
		pthread_cond_wait(&gw.cond, &gw.lock);
	if (gw.idle > 0) {
		gw.handoff = j;
		pthread_cond_broadcast(&gw.cond);
		pthread_mutex_unlock(&gw.lock);
		return 0;
	}
	gw.threads++;
	pthread_mutex_unlock(&gw.lock);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, gateway_thread, j);
	pthread_attr_destroy(&attr);
	if (rc == 0)
		return 0;
	xasprintf(cause, "cannot start a host thread: %s", strerror(rc));
	pthread_mutex_lock(&gw.lock);
	gw.threads--;
	pthread_mutex_unlock(&gw.lock);
	gateway_job_end(j);
	return -1;
}

int
gateway_cancel_owner(const void *owner)
{
	struct gateway_job *j;
	int n = 0;

	pthread_mutex_lock(&gw.lock);
	for (j = gw.jobs; j != NULL; j = j->next) {
		if (j->owner == owner) {
			cancel_fire(&j->cancel);
			n++;
		}
	}
	pthread_mutex_unlock(&gw.lock);
	return n;
}

int
gateway_owner_busy(const void *owner)
{
	struct gateway_job *j;
	int busy = 0;

	pthread_mutex_lock(&gw.lock);
	for (j = gw.jobs; j != NULL && !busy; j = j->next)
		busy = j->owner == owner;
	pthread_mutex_unlock(&gw.lock);
	return busy;
}

void
gateway_cancel_all(void)
{
	struct gateway_job *j;

	pthread_mutex_lock(&gw.lock);
	for (j = gw.jobs; j != NULL; j = j->next)
		cancel_fire(&j->cancel);
	pthread_mutex_unlock(&gw.lock);
}

/* An absolute CLOCK_REALTIME time `ms` from now. */
static void
gateway_abstime(long ms, struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int
gateway_wait(long ms)
{
	struct timespec ts;
	int n;

	gateway_abstime(ms, &ts);
	pthread_mutex_lock(&gw.lock);
	while (gw.count > 0 &&
	    pthread_cond_timedwait(&gw.done, &gw.lock, &ts) == 0)
		;
	n = gw.count;
	pthread_mutex_unlock(&gw.lock);
	return n;
}

int
gateway_count(void)
{
	int n;

	pthread_mutex_lock(&gw.lock);
	n = gw.count;
	pthread_mutex_unlock(&gw.lock);
	return n;
}

void
gateway_shutdown(void)
{
	struct timespec ts;

	gateway_abstime(5000, &ts);
	pthread_mutex_lock(&gw.lock);
	gw.stopping = 1;
	pthread_cond_broadcast(&gw.cond);
	/* Idle threads leave at once; a run still going keeps its own. */
	while (gw.threads > gw.count &&
	    pthread_cond_timedwait(&gw.done, &gw.lock, &ts) == 0)
		;
	pthread_mutex_unlock(&gw.lock);
}
