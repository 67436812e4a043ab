/*
 * ctl_proto.h — the control socket's protocol ($OXIOS_HOME/run/ctl.sock):
 * how `oxios run` and `oxios chat` hand a run to the daemon and get it
 * back.  Newline-delimited JSON, one object a line, each line capped.
 *
 * Client to daemon: one request line, then at most control lines.
 *   {"type":"run", "prompt":S, "session":S?, "model":S?, "timeout":N?,
 *    "budget_tokens":N?, "budget_usd":X?, "agent":S?, "class":S?,
 *    "spec":B?, "ask":B?, "approvals":B?, "space":S?}
 *   {"type":"cancel"}
 *   {"type":"answers", "answers":[S|null, ...]?, "go":B?}
 *     (to a "questions" event, when the request said "ask": true)
 *   {"type":"approve", "id":S, "decision":"once"|"always"|"deny"}
 *     (to an "approval" event, when the request said "approvals": true)
 * Daemon to client: events, then one "done" (or one "error") line.
 *   {"event":"started", "session_id":S, "agent_id":S}
 *   {"event":"text", "text":S}
 *   {"event":"reset"}
 *   {"event":"tool_start", "name":S, "input":V}
 *   {"event":"tool_end", "name":S, "result":V}
 *   {"event":"questions", "round":N, "questions":[{"question":S,
 *    "default":S}, ...]}   (the interview; the run waits for "answers")
 *   {"event":"phase", "phase":S, "generation":N, "seed_id":S|null}
 *     (the Ouroboros protocol entered a phase)
 *   {"event":"approval", "id":S, "tool":S, "summary":S, "reason":S,
 *    "expires_at":S}   (a tool call waits for a human: "approve")
 *   {"event":"retry", "attempt":N, "wait_ms":N, "reason":S}
 *     (a call to the model failed and is retried after wait_ms, -1:
 *     once the scheduler admits it; attempt: the one that failed)
 *   {"event":"done", ...every field of struct kernel_run's output}
 *   {"event":"error", "error":S}   (the request was refused)
 *
 * Every parser here checks types, ranges and unknown keys and says what
 * is wrong in *cause (caller frees).
 */
#ifndef OXIOS_GATEWAY_CTL_PROTO_H
#define OXIOS_GATEWAY_CTL_PROTO_H

#include <stddef.h>
#include <jansson.h>

#include "kernel/kernel.h"
#include "util/uuid.h"

#define CTL_PROMPT_MAX (4 * 1024 * 1024) /* as `oxios run --context-file` */
/* A request line: the prompt, escaped (a newline is two bytes), and the
 * other fields. */
#define CTL_LINE_MAX (2 * CTL_PROMPT_MAX + 64 * 1024)
/* A line from the daemon (an answer, a tool's input or result). */
#define CTL_EVENT_MAX (4 * CTL_LINE_MAX)
#define CTL_NAME_MAX 256 /* model, agent (principal), session */
#define CTL_TIMEOUT_MAX 604800L
#define CTL_TOKENS_MAX 1000000000000LL
#define CTL_USD_MAX 1e9
#define CTL_ATTEMPT_MAX 1000      /* a retry event's attempt */
#define CTL_WAIT_MAX_MS 86400000L /* a retry event's wait */
#define CTL_REASON_MAX 1024       /* a retry event's reason, bytes */

/* What `oxios run` (or one turn of `oxios chat`) asks for. */
struct ctl_request {
	char *prompt;
	char *session;           /* NULL: a new session */
	char *model;             /* NULL: engine.default_model */
	long timeout_secs;       /* 0: kernel.agent_timeout_secs */
	long long budget_tokens; /* 0: none */
	double budget_usd;       /* 0: none */
	char *agent;             /* the principal; NULL: "default" */
	char *persona;           /* the persona chosen; NULL: the session's */
	enum call_class cls;     /* CALL_RUN or CALL_INTERACTIVE */
	enum kernel_spec spec;   /* "spec": true (always), false (never),
				    absent or null: the configuration */
	int ask;       /* the client answers the interview's questions */
	int approvals; /* the client answers tool calls' approvals */
	char *space;   /* the space chosen (id or name); NULL: detected */
};

/* Parse and check a request line (without its newline). */
int ctl_request_parse(const char *line, size_t len, struct ctl_request *req,
    char **cause);
/* The request as one line, newline included.  New string; *len set. */
char *ctl_request_line(const struct ctl_request *req, size_t *len);
void ctl_request_free(struct ctl_request *req);

/* A line that follows the request (ctl_ask.c). */
struct ctl_control {
	enum { CTL_CANCEL, CTL_ANSWERS, CTL_APPROVE } type;
	json_t *answers;      /* ANSWERS: the array (owned), NULL for none */
	int go;               /* ANSWERS: the interview ends */
	char id[UUID_STRLEN]; /* APPROVE: the approval */
	char decision[8];     /* APPROVE: once, always or deny */
};

/* Parse and check a control line; free with ctl_control_free(). */
int ctl_control_parse(const char *line, size_t len, struct ctl_control *c,
    char **cause);
void ctl_control_free(struct ctl_control *c);
/* The client's answers line (answers may be NULL: every default). */
char *ctl_answers_line(const json_t *answers, int go, size_t *len);
/* The client's answer to approval `id` (decision once|always|deny). */
char *ctl_approve_line(const char *id, const char *decision, size_t *len);

enum ctl_event_type {
	CTL_EV_STARTED,
	CTL_EV_TEXT,
	CTL_EV_RESET,
	CTL_EV_TOOL_START,
	CTL_EV_TOOL_END,
	CTL_EV_DONE,
	CTL_EV_ERROR,
	CTL_EV_QUESTIONS,
	CTL_EV_PHASE,
	CTL_EV_RETRY,
	CTL_EV_APPROVAL,
};

/* A parsed event.  Pointers borrow from `obj`, which it owns. */
struct ctl_event {
	enum ctl_event_type type;
	json_t *obj;
	const char *text; /* TEXT: the delta (may hold NULs); ERROR, RETRY:
			     why */
	size_t text_len;
	const char *name;    /* TOOL_*: the tool */
	const json_t *data;  /* TOOL_START: input; TOOL_END: result;
			       QUESTIONS: the questions */
	int round;           /* QUESTIONS: from 1 */
	const char *phase;   /* PHASE: "triage" ... "evolve" */
	int generation;      /* PHASE: 0 before the first seed */
	const char *seed_id; /* PHASE: NULL before the first seed */
	int attempt;         /* RETRY: the attempt that failed, from 1 */
	long wait_ms;        /* RETRY: -1 (once admitted) or ms */
	const char *session_id, *agent_id; /* STARTED */
	/* APPROVAL: name is the tool; these its id, summary, reason and
	 * expiry (RFC 3339). */
	const char *id, *summary, *reason, *expires_at;
};

/* Parse and check a line from the daemon (without its newline). */
int ctl_event_parse(const char *line, size_t len, struct ctl_event *ev,
    char **cause);
void ctl_event_free(struct ctl_event *ev);
/*
 * Fill the output fields of `r` (session, agent, started, stop, reason,
 * answer, counts, usage, cost, duration, sandbox, error) from a DONE
 * event.  r->answer and r->sandbox become r's (kernel_run_free()).
 */
int ctl_done_apply(const struct ctl_event *ev, struct kernel_run *r,
    char **cause);

/* The daemon's lines, newline included.  New strings; *len set. */
char *ctl_ev_started(const struct kernel_run *r, size_t *len);
/* `s` must be well-formed UTF-8 (NULs allowed); NULL if it is not. */
char *ctl_ev_text(const char *s, size_t n, size_t *len);
char *ctl_ev_reset(size_t *len);
char *ctl_ev_tool(int end, const char *name, const json_t *data, size_t *len);
char *ctl_ev_done(const struct kernel_run *r, size_t *len);
char *ctl_ev_error(const char *msg, size_t *len);
char *ctl_ev_questions(const json_t *questions, int round, size_t *len);
char *ctl_ev_phase(const char *seed_id, int generation, const char *phase,
    size_t *len);
/* `why` is cut to its longest well-formed UTF-8 prefix of at most
 * CTL_REASON_MAX bytes. */
char *ctl_ev_retry(const char *why, int attempt, long wait_ms, size_t *len);
/* `a`: approval.needed's data (kernel/approvals.h). */
char *ctl_ev_approval(const json_t *a, size_t *len);

/* Shared by ctl_proto.c and ctl_ask.c. */
/* Parse one line as a JSON object, NULs in strings allowed. */
json_t *ctl_parse_object(const char *line, size_t len, size_t cap,
    char **cause);
/* Whether every key of `o` is in the NULL-ended `keys`. */
int ctl_keys_known(const json_t *o, const char *const *keys, char **cause);
/* `o` as one compact line with its newline; o is consumed. */
char *ctl_line(json_t *o, size_t *len);
/* A session id or an agent name: letters, digits, '-', '_', '.'. */
int ctl_name_ok(const char *s);
/* A required string member `key` of `o` into *out and its length into
 * *len (NULs allowed when `nul`): 0, or -1 with *cause. */
int ctl_req_str(const json_t *o, const char *key, int nul, const char **out,
    size_t *len, char **cause);
/* A JSON string of the well-formed UTF-8 prefix of `s` (new). */
json_t *ctl_jstr(const char *s);
/* A QUESTIONS event's fields into ev (round, data). */
int ctl_questions_check(struct ctl_event *ev, char **cause);
/* A PHASE event's fields into ev (phase, generation, seed_id). */
int ctl_phase_check(struct ctl_event *ev, char **cause);
/* An APPROVAL event's fields into ev. */
int ctl_approval_check(struct ctl_event *ev, char **cause);

/*
 * Lines from a stream of bytes: feed what was read, take whole lines.  A
 * line longer than `cap` (newline not counted) is an error.
 */
struct ctl_reader {
	char *data;
	size_t len, size;
	size_t tail; /* where the last (incomplete) line starts */
	size_t cap;
};

void ctl_reader_init(struct ctl_reader *rd, size_t cap);
void ctl_reader_free(struct ctl_reader *rd);
/* Add n bytes.  0, or -1 once the pending line is longer than cap. */
int ctl_reader_feed(struct ctl_reader *rd, const void *p, size_t n);
/* read(2) once from fd into rd: what read returns (0 at the end); -2
 * when the pending line is too long. */
long ctl_reader_fill(struct ctl_reader *rd, int fd);
/*
 * The next whole line, without its newline (NUL-terminated; new string,
 * *len set), or NULL when none is complete yet.
 */
char *ctl_reader_next(struct ctl_reader *rd, size_t *len);

/* "done" → AGENT_DONE ...; -1 for a name no stop has. */
int ctl_stop_parse(const char *name);

/* Send all of s[0..n) on the socket fd (no SIGPIPE); 0, or -1 when the
 * peer is gone. */
int ctl_send_all(int fd, const char *s, size_t n);

#endif
