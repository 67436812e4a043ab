/*
 * live.h — the live configuration: the one the daemon uses now, which
 * SIGHUP and PUT /api/config replace while readers still hold an older
 * one.
 *
 * A reader takes a reference with config_live_get() and gives it back
 * with config_live_put(); between the two it reads that configuration
 * and no other, whatever replaces it meanwhile (a chat run sees one
 * configuration from start to end).  A replaced configuration is freed at
 * its last put, or at config_live_shutdown().  Any thread may call any of
 * these after config_live_init(); they never call back into the caller.
 *
 * This is level 1 (config): services, kernel and faces read the live
 * configuration through it without including anything of the face that
 * replaces it.
 */
#ifndef OXIOS_CONFIG_LIVE_H
#define OXIOS_CONFIG_LIVE_H

#include <stddef.h>
#include <jansson.h>

#include "config/config.h"

/*
 * Make `cfg` the live configuration (takes ownership).  Called once before
 * any get; calling it again after config_live_shutdown() starts afresh
 * (tests).
 */
void config_live_init(struct config *cfg);
/*
 * Free the live configuration and every replaced one still held.  Called
 * after every reader is gone (a pointer a reader still holds dangles).
 */
void config_live_shutdown(void);

/*
 * The current configuration, held until config_live_put(): a new
 * reference, never NULL after config_live_init().
 */
const struct config *config_live_get(void);
/* Give back a reference from config_live_get(); NULL is ignored. */
void config_live_put(const struct config *cfg);

/*
 * Make `next` (taken) the live configuration.  The one it replaces stays
 * alive until its last reader puts it.  *changed (new array, caller
 * decrefs) lists the keys whose value differs between the two, set or
 * unset; *restart (new array, caller decrefs) those of them that take
 * effect only after a restart (config_live_restart_key()).
 */
void config_live_replace(struct config *next, json_t **changed,
    json_t **restart);

/* Whether a change of `key` takes effect only after a restart. */
int config_live_restart_key(const char *key);

/*
 * How many configurations are alive: the current one plus the replaced
 * ones still held (0 before init and after shutdown).  For tests and
 * diagnostics.
 */
size_t config_live_count(void);

#endif
