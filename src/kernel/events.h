/*
 * events.h — the kernel's event bus.
 *
 * Any thread publishes; subscribers (SSE streams, WebSocket clients, the
 * CLI) read.  Events live in one bounded ring shared by every subscriber:
 * a subscriber is just a cursor into it, so publishing never waits for a
 * reader, and a reader that falls behind by more than the ring holds loses
 * the oldest events and is told how many (events_next() reports the gap).
 * Ids increase by one per event and start, in each process, at the wall
 * clock in microseconds, so an id from an earlier run of the daemon is
 * always older than every id of this one.
 */
#ifndef OXIOS_KERNEL_EVENTS_H
#define OXIOS_KERNEL_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define EVENTS_RING_DEFAULT 4096

struct event {
	uint64_t id;
	int64_t time_ms; /* wall clock */
	char type[48];   /* "agent.started", "agent.delta", ... */
	char *data;      /* compact JSON object text (owned by the ring) */
	size_t data_len;
};

/*
 * Set the ring's size (events kept for late readers and replay) and the
 * first id.  Called once before any publish; without it the bus starts
 * itself with EVENTS_RING_DEFAULT on first use.  Calling it again clears
 * the ring (tests).
 */
void events_init(size_t ring_size);
/* Free the ring; subscribers must be gone. */
void events_shutdown(void);

/* The kernel's event types; each has its one name on the wire. */
enum event_type {
	EVENT_AGENT_STARTED,   /* "agent.started": admitted, running */
	EVENT_AGENT_EXITED,    /* "agent.exited": state and reason */
	EVENT_AGENT_DELTA,     /* "agent.delta": streamed answer text */
	EVENT_TOOL_CALL,       /* "tool.call": name and input */
	EVENT_TOOL_RESULT,     /* "tool.result": name and ok */
	EVENT_CONFIG_RELOADED, /* "config.reloaded": changed keys */
	EVENT_DAEMON_STARTED,  /* "daemon.started" */
	EVENT_DAEMON_STOPPING, /* "daemon.stopping": grace */
	EVENT_BREAKER_CHANGED, /* "breaker.changed": a provider's breaker state */
	EVENT_AGENT_ZOMBIE,    /* "agent.zombie": reaped, with the reason */
	EVENT_BUDGET_SET,      /* "budget.set": an agent's limits set/removed */
	EVENT_BUDGET_RESET,    /* "budget.reset": an agent's window anew */
	EVENT_BUDGET_EXCEEDED, /* "budget.exceeded": a call or hold refused */
	EVENT_OURO_PHASE, /* "ouroboros.phase": seed_id, generation, phase */
	EVENT_APPROVAL_NEEDED,     /* "approval.needed": a tool call waits */
	EVENT_APPROVAL_RESOLVED,   /* "approval.resolved": answered, expired */
	EVENT_PERMISSIONS_CHANGED, /* "permissions.changed": grants, rules */
	EVENT_SKILLS_CHANGED,      /* "skills.changed": name, op */
	EVENT_PERSONA_CHANGED,  /* "persona.changed": created, edited, used */
	EVENT_SPACE_CHANGED,    /* "space.changed": created, updated, deleted */
	EVENT_SPACE_CHOSEN,     /* "space.chosen": a session's space, why */
	EVENT_SPACE_SUMMARISED, /* "space.summarised": a history buffered */
	EVENT_MEMORY_COMPACTED, /* "memory.compacted": counts per level */
	EVENT_MEMORY_RECALLED,  /* "memory.recalled": a session's recall, why */
	EVENT_TYPE_COUNT
};

/* The wire name of an event type ("agent.started" ...). */
const char *events_type_name(enum event_type t);
/* events_publish() under the type's name.  Returns the event's id. */
uint64_t events_emit(enum event_type t, const json_t *data);

/*
 * Publish an event: `data` (an object; may be NULL for {}) is serialised
 * at once, secrets redacted (util/redact.h: the policy of the audit log
 * and the logs), the caller keeps its reference and its value.  Every subscriber's notify
 * callback is called (from this thread, with the bus locked: it must only
 * wake someone up, never call back into the bus).  Returns the event's id.
 */
uint64_t events_publish(const char *type, const json_t *data);

struct events_sub;
/*
 * A subscriber whose cursor is `after`: it will read the events with a
 * larger id.  0 means "from now on"; an id in the past replays what the
 * ring still holds after it (Last-Event-ID).  `notify(arg)` is called on
 * every publish (see events_publish()); may be NULL.
 */
struct events_sub *events_subscribe(uint64_t after, void (*notify)(void *),
    void *arg);
/* Stop: after this returns, notify is never called again. */
void events_unsubscribe(struct events_sub *s);
/*
 * The next event for `s`, copied into *e (e->data is then the caller's:
 * free it), and the cursor moves past it.  Returns 1 if there was one, 0
 * if none is waiting.  *lost (may be NULL) is set to how many events this
 * subscriber missed just before this one because the ring had already
 * dropped them (0 normally).
 */
int events_next(struct events_sub *s, struct event *e, uint64_t *lost);
/* The id of the newest event (0 if none yet). */
uint64_t events_last_id(void);
/* How many events this process has published (not reset by events_init). */
uint64_t events_published(void);

#endif
