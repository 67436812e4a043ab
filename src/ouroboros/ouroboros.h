/*
 * ouroboros.h — the engine of the protocol (docs/ouroboros.md, "The
 * cycle"): triage, interview (the user asked through ask_user, else the
 * defaults accepted), seed, execute, evaluate, evolve, until a stop with its
 * reason.  It sits beside the agent loop (level 4): the kernel hands it
 * the loop as a callback, the call scope, the verify workers' policy and
 * the database.
 */
#ifndef OXIOS_OUROBOROS_OUROBOROS_H
#define OXIOS_OUROBOROS_OUROBOROS_H

#include <sqlite3.h>

#include "agent/hands.h"
#include "config/config.h"
#include "ouroboros/contract.h"
#include "ouroboros/evolve.h"
#include "ouroboros/seed.h"
#include "util/cancel.h"
#include "util/uuid.h"

struct call_scope;

#define OURO_JUDGES 3 /* judges of a consensus */
/* Rounds of questions an interactive interview asks at most. */
#define OURO_INTERVIEW_ROUNDS 3

/*
 * Ask the user one interview round (round counts from 1): questions is
 * score_clarity's [{question, default}].  Fill *answers with an array as
 * long, each a string (the user's answer) or null (the default
 * accepted).  1 when the user said go (the remaining defaults accepted,
 * the interview over), else 0.
 */
typedef int (*ouro_ask_fn)(void *arg, const json_t *questions, int round,
    json_t **answers);

enum ouro_mode { OURO_MODE_AUTO, OURO_MODE_ALWAYS, OURO_MODE_NEVER };

/* "auto", "always", "never" and back (-1: unknown). */
const char *ouro_mode_name(enum ouro_mode m);
int ouro_mode_parse(const char *s);

/* What one execution of the agent loop gave. */
struct ouro_exec {
	char *answer;     /* its final text (owned; may be NULL) */
	int done;         /* it answered (not stopped by a limit) */
	int failed;       /* it could not run, or errored: stop "error" */
	int budget;       /* a budget stopped it: stop "budget" */
	char reason[512]; /* why it stopped when not done */
};

struct ouro_ctx {
	/* In (borrowed) */
	const struct config *cfg;
	const struct call_scope *scope; /* of every forced tool call */
	sqlite3 *db;
	const char *workspace;
	const struct hands_policy *policy; /* of the verify workers */
	const struct cancel *cancel;       /* may be NULL */
	const char *model;                 /* NULL: engine.default_model */
	/* The consensus's further judges' models, in turn (n may be 0: the
	 * run's model; ouroboros.judge_models). */
	const char *const *judge_models;
	size_t njudge_models;
	const char *prompt; /* the user's request */
	enum ouro_mode mode;
	int max_generations;
	double ambiguity_threshold;
	int interview; /* score clarity before the seed */
	/* The user, for an interactive interview (NULL: nobody answers,
	 * the defaults are accepted). */
	ouro_ask_fn ask_user;
	void *ask_arg;
	/*
	 * Run the agent loop on the request with `contract` added to its
	 * system prompt (NULL: none) and its calls marked `phase`; fill
	 * *out.  Each call is a new execution.
	 */
	void (*execute)(void *arg, const char *contract, const char *phase,
	    struct ouro_exec *out);
	/* A phase entered: seed_id NULL before the seed exists.  May be
	 * NULL. */
	void (*publish)(void *arg, const char *seed_id, int generation,
	    const char *phase);
	void *arg;
	/* The forced tool calls' seam (the unit tests script it): NULL,
	 * through the gate (gate_call_scoped() with scope, model, cancel). */
	ouro_call_fn call;
	void *call_arg;

	/* Out */
	int protocol;              /* the protocol ran (not a quick answer) */
	const char *phase_reached; /* "Interview" ... "Evolve" (static) */
	char seed_id[UUID_STRLEN]; /* the last generation's; "" if none */
	int evaluation_passed;     /* -1: nothing evaluated; 0; 1 */
	int generations;
	enum ouro_stop stop;    /* when protocol */
	char stop_detail[512];  /* the stop in words */
	struct ouro_exec last;  /* the last execution (answer owned) */
	struct llm_usage usage; /* of the forced calls (not the executions) */
	double cost_usd;        /* theirs, where the model is priced */
	int unpriced;           /* theirs answered by an unpriced model */
};

/*
 * Run it: a quick answer (mode never, or triage said so) is one
 * execution with phase "chat"; a task runs the protocol.  0 when a quick
 * answer's execution answered or the protocol stopped other than
 * "error"/"budget"; else -1 (c->stop_detail says why).  Free with
 * ouro_ctx_free().
 */
int ouro_run(struct ouro_ctx *c);
void ouro_ctx_free(struct ouro_ctx *c);

/*
 * The seed as the executing model sees it: goal, constraints, criteria
 * (id, description, artifacts), exit conditions, assumptions, and the
 * rationale of a later generation; never a verify_command or an
 * assertion (the model must not tune to them).  Caller frees.
 */
char *ouro_seed_contract(const struct seed *s);

#endif
