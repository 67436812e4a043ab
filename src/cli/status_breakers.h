/*
 * status_breakers.h — the providers' circuit breakers in `oxios status`
 * (cmd_daemon.c): the daemon saves breaker_status() in
 * $OXIOS_HOME/run/breakers.json at every change, each open one with the
 * wall-clock time of its next probe (probe_at_ms).
 */
#ifndef OXIOS_CLI_STATUS_BREAKERS_H
#define OXIOS_CLI_STATUS_BREAKERS_H

#include <jansson.h>

/*
 * The providers the daemon left in run/breakers.json, each open one's
 * next_probe_ms counted again from now; NULL if there is no such file.
 * New reference.
 */
json_t *status_breakers(void);

/* Print "  providers  anthropic closed, openai open (probe in 12 s)". */
void status_breakers_line(json_t *providers);
#endif
