/*
 * events.c — the kernel's event bus: one bounded ring, many cursors.
 *
 * The event with id `id` lives in slot id % size, so the ring needs no head
 * or tail: the newest event is next_id - 1 and the oldest still held is
 * next_id - size (or first_id, before the ring has wrapped).  Everything is
 * under one mutex; publishing does its JSON serialisation before taking it,
 * so the critical section is a slot swap plus the subscribers' wake-ups.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/events.h"
#include "util/log.h"
#include "util/json.h"
#include "util/redact.h"
#include "util/time.h"
#include "util/xalloc.h"

struct events_sub {
	uint64_t cursor; /* the id last read */
	void (*notify)(void *);
	void *arg;
	struct events_sub *prev;
	struct events_sub *next;
};

/*
 * The bus.  `events_ring` is NULL until the first use (or events_init()),
 * and again after events_shutdown().  `events_count` counts every event of
 * the process and survives events_init(), because metrics report it as a
 * counter that never goes down.
 */
static pthread_mutex_t events_lock = PTHREAD_MUTEX_INITIALIZER;
static struct event *events_ring;
static size_t events_size;
static uint64_t events_first_id; /* the first id since the last init */
static uint64_t events_next_id;  /* the id the next event will get */
static uint64_t events_count;
static struct events_sub *events_subs;

/* time.h has milliseconds only; ids want microseconds. */
static uint64_t
events_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Free every slot's data and the ring itself.  Called locked. */
static void
events_free_locked(void)
{
	size_t i;

	if (events_ring == NULL)
		return;
	for (i = 0; i < events_size; i++)
		free(events_ring[i].data);
	free(events_ring);
	events_ring = NULL;
	events_size = 0;
}

/*
 * (Re)start the ring.  The first id is the wall clock in microseconds, but
 * never less than an id already handed out: a test that publishes faster
 * than a microsecond per event and then calls events_init() again, or a
 * clock stepped backwards, must not make ids repeat within a process.
 * Called locked.
 */
static void
events_init_locked(size_t ring_size)
{
	uint64_t now;

	events_free_locked();
	if (ring_size == 0)
		ring_size = EVENTS_RING_DEFAULT;
	events_ring = xcalloc(ring_size, sizeof *events_ring);
	events_size = ring_size;
	now = events_wall_us();
	if (now < events_next_id)
		now = events_next_id;
	events_first_id = now;
	events_next_id = now;
}

/* Start the bus with the default size if nobody did.  Called locked. */
static void
events_ensure_locked(void)
{
	if (events_ring == NULL)
		events_init_locked(EVENTS_RING_DEFAULT);
}

/* The oldest id the ring still holds; only meaningful if it holds any. */
static uint64_t
events_oldest_locked(void)
{
	if (events_next_id - events_first_id > events_size)
		return events_next_id - events_size;
	return events_first_id;
}

void
events_init(size_t ring_size)
{
	pthread_mutex_lock(&events_lock);
	events_init_locked(ring_size);
	pthread_mutex_unlock(&events_lock);
}

void
events_shutdown(void)
{
	pthread_mutex_lock(&events_lock);
	if (events_subs != NULL)
		log_warn("%s: subscribers still attached", __func__);
	events_free_locked();
	pthread_mutex_unlock(&events_lock);
}

const char *
events_type_name(enum event_type t)
{
	static const char *const names[] = {
		[EVENT_AGENT_STARTED] = "agent.started",
		[EVENT_AGENT_EXITED] = "agent.exited",
		[EVENT_AGENT_DELTA] = "agent.delta",
		[EVENT_TOOL_CALL] = "tool.call",
		[EVENT_TOOL_RESULT] = "tool.result",
		[EVENT_CONFIG_RELOADED] = "config.reloaded",
		[EVENT_DAEMON_STARTED] = "daemon.started",
		[EVENT_DAEMON_STOPPING] = "daemon.stopping",
		[EVENT_BREAKER_CHANGED] = "breaker.changed",
		[EVENT_AGENT_ZOMBIE] = "agent.zombie",
		[EVENT_BUDGET_SET] = "budget.set",
		[EVENT_BUDGET_RESET] = "budget.reset",
		[EVENT_BUDGET_EXCEEDED] = "budget.exceeded",
		[EVENT_OURO_PHASE] = "ouroboros.phase",
		[EVENT_APPROVAL_NEEDED] = "approval.needed",
		[EVENT_APPROVAL_RESOLVED] = "approval.resolved",
		[EVENT_PERMISSIONS_CHANGED] = "permissions.changed",
		[EVENT_SKILLS_CHANGED] = "skills.changed",
		[EVENT_PERSONA_CHANGED] = "persona.changed",
		[EVENT_SPACE_CHANGED] = "space.changed",
		[EVENT_SPACE_CHOSEN] = "space.chosen",
		[EVENT_SPACE_SUMMARISED] = "space.summarised",
		[EVENT_MEMORY_COMPACTED] = "memory.compacted",
		[EVENT_MEMORY_RECALLED] = "memory.recalled",
	};

	return (size_t)t < sizeof names / sizeof names[0] ? names[t] :
							    "unknown";
}

uint64_t
events_emit(enum event_type t, const json_t *data)
{
	return events_publish(events_type_name(t), data);
}

uint64_t
events_publish(const char *type, const json_t *data)
{
	struct events_sub *s;
	struct event *e;
	json_t *copy = NULL;
	uint64_t id;
	char *text = NULL;

	/* Redact and serialise outside the lock: the expensive part.  A
	 * copy is redacted: the caller's value stays as it was. */
	if (data != NULL && (copy = json_deep_copy(data)) != NULL) {
		redact_json(copy);
		text = json_dumps(copy, JSON_COMPACT | OXJSON_REAL);
		json_decref(copy);
	}
	if (data != NULL && text == NULL)
		log_warn("%s: %s: data is not an object, sent as {}", __func__,
		    type != NULL ? type : "");
	if (text == NULL)
		text = xstrdup("{}");

	pthread_mutex_lock(&events_lock);
	events_ensure_locked();
	id = events_next_id++;
	events_count++;
	e = &events_ring[id % events_size];
	free(e->data);
	e->id = id;
	e->time_ms = time_wall_ms();
	snprintf(e->type, sizeof e->type, "%s", type != NULL ? type : "");
	e->data = text;
	e->data_len = strlen(text);
	for (s = events_subs; s != NULL; s = s->next) {
		if (s->notify != NULL)
			s->notify(s->arg);
	}
	pthread_mutex_unlock(&events_lock);
	return id;
}

struct events_sub *
events_subscribe(uint64_t after, void (*notify)(void *), void *arg)
{
	struct events_sub *s;
	uint64_t newest;

	s = xmalloc(sizeof *s);
	s->notify = notify;
	s->arg = arg;
	s->prev = NULL;

	pthread_mutex_lock(&events_lock);
	events_ensure_locked();
	newest = events_next_id - 1;
	/*
	 * An id in the future cannot be a real Last-Event-ID of this process:
	 * treat it like 0.  An id in the past, even from an earlier run, is
	 * kept as it is; events_next() replays from there.
	 */
	if (after == 0 || after > newest)
		s->cursor = newest;
	else
		s->cursor = after;
	s->next = events_subs;
	if (events_subs != NULL)
		events_subs->prev = s;
	events_subs = s;
	pthread_mutex_unlock(&events_lock);
	return s;
}

void
events_unsubscribe(struct events_sub *s)
{
	if (s == NULL)
		return;
	/*
	 * Taking the lock is what makes the promise: a publish that is
	 * calling notify right now holds it, so we wait for it to finish.
	 */
	pthread_mutex_lock(&events_lock);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		events_subs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&events_lock);
	free(s);
}

int
events_next(struct events_sub *s, struct event *e, uint64_t *lost)
{
	struct event *slot;
	uint64_t want, oldest, from, gap = 0;
	int found = 0;

	pthread_mutex_lock(&events_lock);
	if (events_ring == NULL || events_next_id == events_first_id)
		goto out;
	if (s->cursor >= events_next_id - 1)
		goto out;
	want = s->cursor + 1;
	oldest = events_oldest_locked();
	if (want < oldest) {
		/*
		 * Dropped by the ring.  Only events of this process (since
		 * the last init) count as lost: a cursor from an earlier run
		 * says nothing about how many of ours it missed.
		 */
		from = want > events_first_id ? want : events_first_id;
		gap = oldest - from;
		want = oldest;
	}
	slot = &events_ring[want % events_size];
	e->id = slot->id;
	e->time_ms = slot->time_ms;
	memcpy(e->type, slot->type, sizeof e->type);
	e->data = xstrdup(slot->data);
	e->data_len = slot->data_len;
	s->cursor = want;
	found = 1;
out:
	pthread_mutex_unlock(&events_lock);
	if (lost != NULL)
		*lost = gap;
	return found;
}

uint64_t
events_last_id(void)
{
	uint64_t id = 0;

	pthread_mutex_lock(&events_lock);
	if (events_ring != NULL && events_next_id != events_first_id)
		id = events_next_id - 1;
	pthread_mutex_unlock(&events_lock);
	return id;
}

uint64_t
events_published(void)
{
	uint64_t n;

	pthread_mutex_lock(&events_lock);
	n = events_count;
	pthread_mutex_unlock(&events_lock);
	return n;
}
