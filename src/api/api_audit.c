/*
 * api_audit.c — /api/audit: entries, verification, proofs, export, flush.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "security/audit.h"
#include "store/db.h"

static int
api_audit_entries(struct http_req *r)
{
	const char *action = http_query(r, "action");
	char *cause = NULL;
	sqlite3 *db;
	json_t *l;
	long after, limit;

	if (api_query_int(r, "after", 0, 0x7fffffffL, 0, &after) != 0 ||
	    api_query_int(r, "limit", 1, 10000, 100, &limit) != 0)
		return 0;
	if (action != NULL && audit_action_parse(action) < 0)
		return http_error(r, 400, "bad_parameter",
		    "unknown action '%.64s'", action);
	if ((db = api_db(r)) == NULL)
		return 0;
	if ((l = audit_list(db, after, limit, action, http_query(r, "actor"),
		 http_query(r, "resource"), &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, json_pack("{s:o}", "entries", l));
}

static int
api_audit_agent(struct http_req *r)
{
	const char *id = route_param(&r->match, "id");
	char actor[128], *cause = NULL;
	sqlite3 *db;
	json_t *as_actor, *as_resource;
	long limit;

	if (strlen(id) > 64)
		return http_error(r, 404, "not_found", "no agent %.64s", id);
	if (api_query_int(r, "limit", 1, 10000, 1000, &limit) != 0 ||
	    (db = api_db(r)) == NULL)
		return 0;
	/* What it did, and what was done to it (spawned, exited). */
	snprintf(actor, sizeof actor, "agent:%s", id);
	if ((as_actor = audit_list(db, 0, limit, NULL, actor, NULL, &cause)) ==
	    NULL)
		return api_fail(r, cause);
	if ((as_resource = audit_list(db, 0, limit, NULL, NULL, actor,
		 &cause)) == NULL) {
		json_decref(as_actor);
		return api_fail(r, cause);
	}
	return http_json(r, 200,
	    json_pack("{s:s, s:o, s:o}", "agent_id", id, "by", as_actor, "on",
		as_resource));
}

static int
api_audit_verify(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *rep;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((rep = audit_verify(db, &cause)) == NULL)
		return api_fail(r, cause);
	return http_json(r, 200, rep);
}

static int
api_audit_flush(struct http_req *r)
{
	char *cause = NULL;
	sqlite3 *db;
	json_t *h;

	if ((db = api_db(r)) == NULL)
		return 0;
	if ((h = audit_flush(db, &cause)) == NULL) {
		http_error(r, 409, "audit_off", "%s", cause);
		free(cause);
		return 0;
	}
	return http_json(r, 200, h);
}

static int
api_audit_proof(struct http_req *r)
{
	const char *s = route_param(&r->match, "seq");
	char *end, *cause = NULL;
	sqlite3 *db;
	json_t *p;
	long long seq = strtoll(s, &end, 10);
	long from;

	if (*s == '\0' || *end != '\0' || seq < 1)
		return http_error(r, 404, "not_found", "no entry %.64s", s);
	if (api_query_int(r, "from", 0, 0x7fffffffL, 0, &from) != 0 ||
	    (db = api_db(r)) == NULL)
		return 0;
	if ((p = audit_prove(db, seq, from, &cause)) == NULL) {
		http_error(r,
		    cause != NULL && strstr(cause, "no entry") != NULL ? 404 :
									 409,
		    "no_proof", "%s",
		    cause != NULL ? cause : "no proof can be made");
		free(cause);
		return 0;
	}
	return http_json(r, 200, p);
}

static int
api_audit_export(struct http_req *r)
{
	char *cause = NULL, *text = NULL;
	size_t len = 0;
	sqlite3 *db;
	json_t *h;
	FILE *f;

	if ((db = api_db(r)) == NULL)
		return 0;
	/* The export ends with a head covering all of it. */
	h = audit_flush(db, &cause);
	json_decref(h);
	free(cause);
	cause = NULL;
	if ((f = open_memstream(&text, &len)) == NULL)
		return http_error(r, 500, "internal", "out of memory");
	if (audit_export(db, f, &cause) != 0) {
		fclose(f);
		free(text);
		return api_fail(r, cause);
	}
	fclose(f);
	r->status = 200;
	r->text = text;
	r->text_len = len;
	r->content_type = "application/x-ndjson";
	return 0;
}

const struct route api_audit_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/audit/entries",
	    .role = ROLE_VIEWER,
	    .handler = api_audit_entries,
	    .tag = "audit",
	    .summary =
		"Audit entries, oldest first (?after=SEQ&limit=&action=&actor=&"
		"resource=).",
	    .response =
		"{entries: [{seq, time, actor, action, resource, detail, "
		"leaf}]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/audit/verify",
	    .role = ROLE_VIEWER,
	    .handler = api_audit_verify,
	    .tag = "audit",
	    .summary = "Recompute every hash, root and signature.",
	    .response =
		"{ok, entries, heads, problem?, first_bad_seq?, first_bad_head?}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/audit/agent/{id}",
	    .role = ROLE_VIEWER,
	    .handler = api_audit_agent,
	    .tag = "audit",
	    .summary = "What an agent did, and what was done to it.",
	    .response = "{agent_id, by: [...], on: [...]}",
	},
	{
	    .method = "POST",
	    .pattern = "/api/audit/export",
	    .role = ROLE_VIEWER,
	    .handler = api_audit_export,
	    .tag = "audit",
	    .summary =
		"The log and its signed heads as JSON lines (verifiable offline: "
		"oxios audit verify --file).",
	    .response = "application/x-ndjson",
	},
	{
	    .method = "POST",
	    .pattern = "/api/audit/flush",
	    .role = ROLE_OPERATOR,
	    .handler = api_audit_flush,
	    .tag = "audit",
	    .summary = "Sign a tree head for the log as it is now.",
	    .response = "{size, root, time, signature, public_key}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/audit/proof/{seq}",
	    .role = ROLE_VIEWER,
	    .handler = api_audit_proof,
	    .tag = "audit",
	    .summary = "Inclusion proof of an entry in the newest signed head "
		       "(?from=SIZE adds a consistency proof).",
	    .response = "{seq, leaf, size, root, inclusion: [...], head, "
			"consistency?}",
	},
	{ .method = NULL },
};
