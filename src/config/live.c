/*
 * live.c — the live configuration: one current holder, and the replaced
 * ones that readers still hold.
 *
 * Who owns what.  Each configuration sits in a holder (struct
 * config_live_ref) that counts its references.  The current holder has
 * one reference for being current plus one per reader; replacing it hands
 * that first reference to config_live_replace(), which drops it once it
 * has listed the changes, and moves the holder to the `old` list.  A
 * holder on that list is freed, with its configuration, by the put that
 * takes its count to zero (or by config_live_shutdown()).  So the current
 * holder's count never reaches zero, and a holder is never freed while a
 * reader holds its configuration.
 *
 * A configuration never changes once it is live: readers read it without
 * the lock.  Everything else is under one mutex, taken only for list and
 * count updates; the diff of a replace and every config_free() happen
 * outside it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config/live.h"
#include "util/log.h"
#include "util/xalloc.h"

struct config_live_ref {
	struct config *cfg;
	int refs;                     /* guarded by live_lock */
	struct config_live_ref *next; /* on live_old; guarded by live_lock */
};

/*
 * live_lock guards live_current, live_old, live_count, and the `refs` and
 * `next` of every holder.
 */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct config_live_ref *live_current; /* NULL before init */
static struct config_live_ref *live_old;     /* replaced, still held */
static size_t live_count;                    /* holders alive */

/* Keys that only a restart applies: the listening socket, the log sink. */
static const char *const config_live_restart_keys[] = {
	"gateway.host",
	"gateway.port",
	"logging.target",
	"logging.format",
	NULL,
};

void
config_live_init(struct config *cfg)
{
	struct config_live_ref *ref = xcalloc(1, sizeof *ref);

	ref->cfg = cfg;
	ref->refs = 1;
	pthread_mutex_lock(&live_lock);
	if (live_current != NULL)
		fatal("config_live_init: already initialised");
	live_current = ref;
	live_count = 1;
	pthread_mutex_unlock(&live_lock);
}

void
config_live_shutdown(void)
{
	struct config_live_ref *list, *ref, *next;

	pthread_mutex_lock(&live_lock);
	list = live_old;
	if (live_current != NULL) {
		live_current->next = list;
		list = live_current;
	}
	live_current = NULL;
	live_old = NULL;
	live_count = 0;
	pthread_mutex_unlock(&live_lock);
	for (ref = list; ref != NULL; ref = next) {
		next = ref->next;
		config_free(ref->cfg);
		free(ref);
	}
}

const struct config *
config_live_get(void)
{
	const struct config *cfg = NULL;

	pthread_mutex_lock(&live_lock);
	if (live_current != NULL) {
		live_current->refs++;
		cfg = live_current->cfg;
	}
	pthread_mutex_unlock(&live_lock);
	return cfg;
}

void
config_live_put(const struct config *cfg)
{
	struct config_live_ref *ref, **pp, *dead = NULL;

	if (cfg == NULL)
		return;
	pthread_mutex_lock(&live_lock);
	if (live_current != NULL && live_current->cfg == cfg) {
		live_current->refs--; /* never the last: being current is one */
		pthread_mutex_unlock(&live_lock);
		return;
	}
	for (pp = &live_old; (ref = *pp) != NULL; pp = &ref->next) {
		if (ref->cfg != cfg)
			continue;
		if (--ref->refs == 0) {
			*pp = ref->next;
			live_count--;
			dead = ref;
		}
		break;
	}
	pthread_mutex_unlock(&live_lock);
	if (ref == NULL)
		log_error("%p is not a live configuration", (const void *)cfg);
	if (dead != NULL) {
		log_debug("a replaced configuration freed at its last put");
		config_free(dead->cfg);
		free(dead);
	}
}

int
config_live_restart_key(const char *key)
{
	size_t i;

	for (i = 0; config_live_restart_keys[i] != NULL; i++)
		if (strcmp(key, config_live_restart_keys[i]) == 0)
			return 1;
	return 0;
}

/* Append to *changed every key set, unset or changed from `a` to `b`. */
static void
config_live_diff(const struct config *a, const struct config *b,
    json_t *changed)
{
	const char *key;
	json_t *v, *old;

	json_object_foreach(b->values, key, v) {
		old = a != NULL ? json_object_get(a->values, key) : NULL;
		if (old == NULL || !json_equal(old, v))
			json_array_append_new(changed, json_string(key));
	}
	if (a == NULL)
		return;
	json_object_foreach(a->values, key, v) {
		if (json_object_get(b->values, key) == NULL)
			json_array_append_new(changed, json_string(key));
	}
}

void
config_live_replace(struct config *next, json_t **changed, json_t **restart)
{
	struct config_live_ref *ref = xcalloc(1, sizeof *ref);
	struct config_live_ref *prev;
	const char *key;
	size_t i;

	ref->cfg = next;
	ref->refs = 2; /* being current, and ours until the diff is done */
	pthread_mutex_lock(&live_lock);
	prev = live_current; /* its "being current" reference is ours now */
	live_current = ref;
	if (prev != NULL) {
		prev->next = live_old;
		live_old = prev;
	}
	live_count++;
	pthread_mutex_unlock(&live_lock);

	*changed = json_array();
	*restart = json_array();
	config_live_diff(prev != NULL ? prev->cfg : NULL, next, *changed);
	for (i = 0; i < json_array_size(*changed); i++) {
		key = json_string_value(json_array_get(*changed, i));
		if (config_live_restart_key(key))
			json_array_append_new(*restart, json_string(key));
	}
	log_debug("%zu key(s) changed", json_array_size(*changed));
	if (prev != NULL)
		config_live_put(prev->cfg);
	config_live_put(next);
}

size_t
config_live_count(void)
{
	size_t n;

	pthread_mutex_lock(&live_lock);
	n = live_count;
	pthread_mutex_unlock(&live_lock);
	return n;
}
