/*
 * audit_bench — the audit log: appends per second, one transaction each
 * and batched (1 000 per transaction), then a signed head and a full
 * verify (every leaf hash, the tree, every signature) of the whole log.
 *
 *   audit_bench [ENTRIES]        default 1000000
 *
 * Runs in a temporary $OXIOS_HOME.  Prints figures; asserts nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "security/audit.h"
#include "store/db.h"
#include "util/time.h"

#define BATCH 1000
#define SINGLE 5000

int
main(int argc, char **argv)
{
	long total = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000, i;
	char dir[] = "/tmp/oxios-auditbench-XXXXXX", path[300], *cause = NULL;
	sqlite3 *db = NULL;
	json_t *detail, *h, *rep;
	uint64_t t0;
	double secs;

	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 1;
	setenv("OXIOS_HOME", dir, 1);
	snprintf(path, sizeof path, "%s/oxios.db", dir);
	if (db_open(path, &db, &cause) != 0 ||
	    audit_open(1, 300, &cause) != 0) {
		fprintf(stderr, "audit_bench: %s\n", cause);
		return 1;
	}
	detail = json_pack("{s:s, s:{s:s, s:i}}", "session_id",
	    "5b0f7a4e-3c1d-4e55-9a0b-2f6c1d7e8a90", "input", "path",
	    "src/main.c", "limit", 200);

	t0 = time_mono_ns();
	for (i = 0; i < SINGLE; i++) {
		if (audit_append(db, "agent:5b0f7a4e", AUDIT_TOOL_CALL, "read",
			detail, &cause) < 0) {
			fprintf(stderr, "audit_bench: %s\n", cause);
			return 1;
		}
	}
	secs = (double)(time_mono_ns() - t0) / 1e9;
	printf("appends, one transaction each: %.0f/s (%d entries)\n",
	    SINGLE / secs, SINGLE);

	t0 = time_mono_ns();
	for (i = SINGLE; i < total; i++) {
		if ((i - SINGLE) % BATCH == 0 &&
		    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
			SQLITE_OK)
			return 1;
		if (audit_append(db, "agent:5b0f7a4e", AUDIT_TOOL_RESULT,
			"read", detail, &cause) < 0) {
			fprintf(stderr, "audit_bench: %s\n", cause);
			return 1;
		}
		if ((i - SINGLE) % BATCH == BATCH - 1 || i == total - 1)
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	secs = (double)(time_mono_ns() - t0) / 1e9;
	printf("appends, %d per transaction: %.0f/s (%ld entries)\n", BATCH,
	    (double)(total - SINGLE) / secs, total - SINGLE);

	t0 = time_mono_ns();
	if ((h = audit_flush(db, &cause)) == NULL) {
		fprintf(stderr, "audit_bench: %s\n", cause);
		return 1;
	}
	printf("signed head over %ld entries: %.2f s\n", total,
	    (double)(time_mono_ns() - t0) / 1e9);
	json_decref(h);

	t0 = time_mono_ns();
	if ((rep = audit_verify(db, &cause)) == NULL) {
		fprintf(stderr, "audit_bench: %s\n", cause);
		return 1;
	}
	printf("full verify of %ld entries: %.2f s (%s)\n", total,
	    (double)(time_mono_ns() - t0) / 1e9,
	    json_is_true(json_object_get(rep, "ok")) ? "ok" : "FAILED");
	json_decref(rep);
	json_decref(detail);
	audit_close();
	db_close(db);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	return system(path) != 0;
}
