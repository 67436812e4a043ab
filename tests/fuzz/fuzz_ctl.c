/*
 * fuzz_ctl.c — the control socket's protocol (gateway/ctl_proto.h).  The
 * input is read three ways at once:
 *
 * - as a request line: once accepted, its fields are within their ranges
 *   (prompt at most CTL_PROMPT_MAX bytes without NUL, class run or
 *   interactive, ...), and serialising it again gives a line that parses
 *   to the same request;
 * - as an event line: once accepted, a DONE applies to a kernel_run or
 *   says why not; an applied run serialised again parses and applies to
 *   the same fields; a TEXT serialised again gives the same bytes;
 * - as a control line: once accepted, answers are within their caps and
 *   the client's line of them parses back the same;
 * - through the line reader, fed in pieces whose sizes come from the
 *   input, with a small cap: the lines it gives are the input's lines
 *   (up to the last newline) in order, and it refuses exactly when a
 *   line would pass the cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ctl_proto.h"
#include "ouroboros/interview.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
fuzz_ctl_request(const char *s, size_t n)
{
	struct ctl_request a, b;
	char *cause = NULL, *line;
	size_t len;

	if (ctl_request_parse(s, n, &a, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	if (a.prompt == NULL || strlen(a.prompt) == 0 ||
	    strlen(a.prompt) > CTL_PROMPT_MAX)
		abort();
	if (a.cls != CALL_RUN && a.cls != CALL_INTERACTIVE)
		abort();
	if (a.timeout_secs < 0 || a.timeout_secs > CTL_TIMEOUT_MAX ||
	    a.budget_tokens < 0 || a.budget_tokens > CTL_TOKENS_MAX ||
	    a.budget_usd < 0 || a.budget_usd > CTL_USD_MAX)
		abort();
	if (a.model != NULL && strchr(a.model, '/') == NULL)
		abort();
	line = ctl_request_line(&a, &len);
	if (line == NULL || len == 0 || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1) != NULL)
		abort();
	if (ctl_request_parse(line, len - 1, &b, &cause) != 0)
		abort();
	if (strcmp(a.prompt, b.prompt) != 0 ||
	    !fuzz_streq(a.session, b.session) ||
	    !fuzz_streq(a.model, b.model) || !fuzz_streq(a.agent, b.agent) ||
	    a.timeout_secs != b.timeout_secs ||
	    a.budget_tokens != b.budget_tokens ||
	    a.budget_usd != b.budget_usd || a.cls != b.cls ||
	    a.spec != b.spec || a.ask != b.ask || a.approvals != b.approvals)
		abort();
	free(line);
	ctl_request_free(&a);
	ctl_request_free(&b);
}

/* A control line: once accepted, answers are at most OURO_QUESTIONS_MAX
 * strings or nulls, and the client's line of them parses back the same. */
static void
fuzz_ctl_control(const char *s, size_t n)
{
	struct ctl_control a, b;
	char *cause = NULL, *line;
	size_t len;

	if (ctl_control_parse(s, n, &a, &cause) != 0) {
		if (cause == NULL || a.answers != NULL)
			abort();
		free(cause);
		return;
	}
	if (a.type == CTL_CANCEL) {
		if (a.answers != NULL)
			abort();
		return;
	}
	if (a.type == CTL_APPROVE) {
		/* An approval's id and a known decision; round trip. */
		if (a.answers != NULL || !uuid_valid(a.id) ||
		    (strcmp(a.decision, "once") != 0 &&
			strcmp(a.decision, "always") != 0 &&
			strcmp(a.decision, "deny") != 0))
			abort();
		if ((line = ctl_approve_line(a.id, a.decision, &len)) == NULL ||
		    ctl_control_parse(line, len - 1, &b, &cause) != 0)
			abort();
		if (b.type != CTL_APPROVE || strcmp(a.id, b.id) != 0 ||
		    strcmp(a.decision, b.decision) != 0)
			abort();
		free(line);
		return;
	}
	if (a.answers != NULL &&
	    (json_array_size(a.answers) > OURO_QUESTIONS_MAX ||
		ouro_answers_check(a.answers, json_array_size(a.answers),
		    &cause) != 0))
		abort();
	if ((line = ctl_answers_line(a.answers, a.go, &len)) == NULL ||
	    ctl_control_parse(line, len - 1, &b, &cause) != 0)
		abort();
	if (b.type != CTL_ANSWERS || b.go != a.go ||
	    (a.answers == NULL) != (b.answers == NULL) ||
	    (a.answers != NULL && !json_equal(a.answers, b.answers)))
		abort();
	free(line);
	ctl_control_free(&a);
	ctl_control_free(&b);
}

static void
fuzz_ctl_done(const struct ctl_event *ev)
{
	struct kernel_run a, b;
	struct ctl_event ev2;
	char *cause = NULL, *line;
	size_t len;

	memset(&a, 0, sizeof a);
	if (ctl_done_apply(ev, &a, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		kernel_run_free(&a);
		return;
	}
	if (strlen(a.session) >= UUID_STRLEN || strlen(a.agent) >= UUID_STRLEN)
		abort();
	if ((line = ctl_ev_done(&a, &len)) == NULL)
		abort();
	if (ctl_event_parse(line, len - 1, &ev2, &cause) != 0)
		abort();
	memset(&b, 0, sizeof b);
	if (ctl_done_apply(&ev2, &b, &cause) != 0)
		abort();
	if (a.started != b.started || strcmp(a.session, b.session) != 0 ||
	    strcmp(a.agent, b.agent) != 0 || a.duration_ms != b.duration_ms ||
	    strcmp(a.error, b.error) != 0)
		abort();
	if (a.started &&
	    (a.stop != b.stop || strcmp(a.reason, b.reason) != 0 ||
		a.iterations != b.iterations || a.tool_calls != b.tool_calls ||
		a.usage.input_tokens != b.usage.input_tokens ||
		a.usage.output_tokens != b.usage.output_tokens ||
		a.cost_unknown != b.cost_unknown || a.cost_usd != b.cost_usd ||
		(a.cost_unknown && a.cost_usd != 0) ||
		!fuzz_streq(a.answer, b.answer) ||
		(a.sandbox == NULL) != (b.sandbox == NULL) ||
		(a.sandbox != NULL && !json_equal(a.sandbox, b.sandbox)) ||
		!fuzz_streq(a.phase_reached, b.phase_reached) ||
		strcmp(a.seed_id, b.seed_id) != 0 ||
		a.evaluation_passed != b.evaluation_passed ||
		a.generations != b.generations ||
		strcmp(a.ouro_stop, b.ouro_stop) != 0 ||
		strcmp(a.ouro_detail, b.ouro_detail) != 0))
		abort();
	free(line);
	ctl_event_free(&ev2);
	kernel_run_free(&a);
	kernel_run_free(&b);
}

static void
fuzz_ctl_event(const char *s, size_t n)
{
	struct ctl_event ev, ev2;
	char *cause = NULL, *line;
	size_t len;

	if (ctl_event_parse(s, n, &ev, &cause) != 0) {
		if (cause == NULL || ev.obj != NULL)
			abort();
		free(cause);
		return;
	}
	switch (ev.type) {
	case CTL_EV_DONE:
		fuzz_ctl_done(&ev);
		break;
	case CTL_EV_TEXT:
		if ((line = ctl_ev_text(ev.text, ev.text_len, &len)) == NULL ||
		    ctl_event_parse(line, len - 1, &ev2, &cause) != 0)
			abort();
		if (ev2.text_len != ev.text_len ||
		    memcmp(ev2.text, ev.text, ev.text_len) != 0)
			abort();
		ctl_event_free(&ev2);
		free(line);
		break;
	case CTL_EV_TOOL_START:
	case CTL_EV_TOOL_END:
		if (ev.name == NULL || ev.data == NULL)
			abort();
		break;
	case CTL_EV_STARTED:
		if (ev.session_id == NULL || ev.agent_id == NULL)
			abort();
		break;
	case CTL_EV_ERROR:
		if (ev.text == NULL)
			abort();
		break;
	case CTL_EV_QUESTIONS:
		/* Checked: 1..8 questions; round trip. */
		if (ev.round < 1 || json_array_size(ev.data) == 0 ||
		    json_array_size(ev.data) > OURO_QUESTIONS_MAX)
			abort();
		if ((line = ctl_ev_questions(ev.data, ev.round, &len)) ==
			NULL ||
		    ctl_event_parse(line, len - 1, &ev2, &cause) != 0)
			abort();
		if (ev2.round != ev.round || !json_equal(ev2.data, ev.data))
			abort();
		ctl_event_free(&ev2);
		free(line);
		break;
	case CTL_EV_PHASE:
		if (ev.phase == NULL || ev.generation < 0 ||
		    (line = ctl_ev_phase(ev.seed_id, ev.generation, ev.phase,
			 &len)) == NULL ||
		    ctl_event_parse(line, len - 1, &ev2, &cause) != 0)
			abort();
		if (strcmp(ev2.phase, ev.phase) != 0 ||
		    ev2.generation != ev.generation ||
		    !fuzz_streq(ev2.seed_id, ev.seed_id))
			abort();
		ctl_event_free(&ev2);
		free(line);
		break;
	case CTL_EV_RETRY:
		/* Checked ranges; round trip (the reason fits, is valid). */
		if (ev.text == NULL || ev.text_len > CTL_REASON_MAX ||
		    ev.attempt < 1 || ev.attempt > CTL_ATTEMPT_MAX ||
		    ev.wait_ms < -1 || ev.wait_ms > CTL_WAIT_MAX_MS ||
		    (line = ctl_ev_retry(ev.text, ev.attempt, ev.wait_ms,
			 &len)) == NULL ||
		    ctl_event_parse(line, len - 1, &ev2, &cause) != 0)
			abort();
		if (ev2.attempt != ev.attempt || ev2.wait_ms != ev.wait_ms ||
		    strcmp(ev2.text, ev.text) != 0)
			abort();
		ctl_event_free(&ev2);
		free(line);
		break;
	case CTL_EV_APPROVAL:
		/* Every field a string without NULs, the id an id; round
		 * trip. */
		if (ev.id == NULL || !uuid_valid(ev.id) || ev.name == NULL ||
		    ev.summary == NULL || ev.reason == NULL ||
		    ev.expires_at == NULL)
			abort();
		{
			json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id",
			    ev.id, "tool", ev.name, "summary", ev.summary,
			    "reason", ev.reason, "expires_at", ev.expires_at);

			if (a == NULL ||
			    (line = ctl_ev_approval(a, &len)) == NULL ||
			    ctl_event_parse(line, len - 1, &ev2, &cause) != 0)
				abort();
			json_decref(a);
		}
		if (strcmp(ev2.id, ev.id) != 0 ||
		    strcmp(ev2.name, ev.name) != 0 ||
		    strcmp(ev2.summary, ev.summary) != 0 ||
		    strcmp(ev2.reason, ev.reason) != 0 ||
		    strcmp(ev2.expires_at, ev.expires_at) != 0)
			abort();
		ctl_event_free(&ev2);
		free(line);
		break;
	case CTL_EV_RESET:
		break;
	}
	ctl_event_free(&ev);
}

/* The reader, in pieces, against a plain split of the input. */
static void
fuzz_ctl_reader(const uint8_t *data, size_t size)
{
	const size_t cap = 32;
	struct ctl_reader rd;
	size_t off = 0, piece, len, ref = 0, end, i;
	char *line;
	int refused = 0, over = 0;

	ctl_reader_init(&rd, cap);
	for (i = 0; off < size && !refused; i++) {
		piece = 1 + data[i % size] % 17;
		if (piece > size - off)
			piece = size - off;
		refused = ctl_reader_feed(&rd, data + off, piece) != 0;
		off += piece;
		/* The reference: is the line pending now over the cap? */
		end = off;
		while (end > 0 && data[end - 1] != '\n')
			end--;
		over = off - end > cap;
		if (refused != over)
			abort();
		while ((line = ctl_reader_next(&rd, &len)) != NULL) {
			const uint8_t *nl =
			    memchr(data + ref, '\n', size - ref);

			if (nl == NULL || (size_t)(nl - data) - ref != len ||
			    memcmp(line, data + ref, len) != 0 ||
			    line[len] != '\0')
				abort();
			ref += len + 1;
			free(line);
		}
		if (!refused && ref != end)
			abort(); /* every whole line was given */
	}
	ctl_reader_free(&rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ctl_request((const char *)data, size);
	fuzz_ctl_event((const char *)data, size);
	fuzz_ctl_control((const char *)data, size);
	fuzz_ctl_reader(data, size);
	return 0;
}
