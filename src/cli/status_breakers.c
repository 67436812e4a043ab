/*
 * status_breakers.c — the providers' circuit breakers in `oxios status`,
 * read from the file the daemon leaves (run/breakers.json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/status_breakers.h"
#include "config/home.h"
#include "util/file.h"
#include "util/time.h"

/*
 * The providers' circuit breakers the daemon left in run/breakers.json,
 * each open one's next_probe_ms counted again from now; NULL if there is
 * no such file.  New reference.
 */
json_t *
status_breakers(void)
{
	char *path = home_path("run/breakers.json"), *text = NULL;
	char *cause = NULL;
	json_t *j = NULL, *o, *at;
	long long left;
	size_t len, i;

	if (file_read(path, 256 * 1024, &text, &len, &cause) == 0)
		j = json_loadb(text, len, 0, NULL);
	if (j != NULL && !json_is_array(j)) {
		json_decref(j);
		j = NULL;
	}
	json_array_foreach(j, i, o) {
		if (!json_is_integer(at = json_object_get(o, "probe_at_ms")))
			continue;
		left = (long long)json_integer_value(at) - time_wall_ms();
		json_object_set_new(o, "next_probe_ms",
		    json_integer(left > 0 ? left : 0));
	}
	free(text);
	free(cause);
	free(path);
	return j;
}

/* "anthropic closed, openai open (probe in 12 s)". */
void
status_breakers_line(json_t *providers)
{
	const char *name, *state;
	json_t *o, *next;
	size_t i;

	printf("  providers  ");
	if (json_array_size(providers) == 0)
		printf("none called yet");
	json_array_foreach(providers, i, o) {
		name = json_string_value(json_object_get(o, "provider"));
		state = json_string_value(json_object_get(o, "state"));
		next = json_object_get(o, "next_probe_ms");
		printf("%s%s %s", i > 0 ? ", " : "", name != NULL ? name : "?",
		    state == NULL ? "?" :
			strcmp(state, "half_open") == 0 ?
				    "half-open (probing)" :
				    state);
		if (state != NULL && strcmp(state, "open") == 0 &&
		    json_is_integer(next)) {
			if (json_integer_value(next) > 0)
				printf(" (probe in %lld s)",
				    (long long)(json_integer_value(next) +
					999) /
					1000);
			else
				printf(" (probe due)");
		}
	}
	printf("\n");
}
