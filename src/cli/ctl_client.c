/*
 * ctl_client.c — a run through the daemon's control socket (see
 * ctl_client.h and gateway/ctl_proto.h for the protocol).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/ctl_client.h"
#include "config/home.h"
#include "gateway/ctl.h"
#include "gateway/ctl_proto.h"
#include "util/xalloc.h"

int
ctl_client_connect(char **cause)
{
	struct sockaddr_un sa;
	char *path = home_path(CTL_SOCKET);
	int fd, rc;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		free(path); /* the daemon could not listen there either */
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		free(path);
		return -2;
	}
	do
		rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	while (rc == -1 && errno == EINTR);
	if (rc == 0) {
		free(path);
		return fd;
	}
	rc = errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR ? -1 :
									    -2;
	if (rc == -2)
		xasprintf(cause,
		    "cannot reach the daemon at %s: %s (--local runs here, "
		    "without it)",
		    path, strerror(errno));
	close(fd);
	free(path);
	return rc;
}

/* The request for `r`.  New line; *len set. */
static char *
ctl_client_request(const struct kernel_run *r, size_t *len)
{
	struct ctl_request req;

	memset(&req, 0, sizeof req);
	req.prompt = (char *)r->prompt;
	req.session = (char *)r->session_id;
	req.model = (char *)r->model;
	req.agent = (char *)r->principal;
	req.persona = (char *)r->persona;
	req.space = (char *)r->space;
	req.timeout_secs = r->timeout_ms / 1000;
	req.budget_tokens = r->budget_tokens;
	req.budget_usd = r->budget_usd;
	req.cls = r->cls == CALL_INTERACTIVE ? CALL_INTERACTIVE : CALL_RUN;
	req.spec = r->spec;
	req.ask = r->ask_user != NULL;
	req.approvals = r->approvals;
	return ctl_request_line(&req, len);
}

/* The interview's round: ask the user (r->ask_user), send the answers. */
static int
ctl_client_ask(int fd, const struct ctl_event *ev, struct kernel_run *r,
    char **cause)
{
	json_t *answers = NULL;
	char *line;
	size_t len;
	int go = 1, rc = 0;

	if (r->ask_user != NULL)
		go = r->ask_user(r->ask_arg, ev->data, ev->round, &answers);
	line = ctl_answers_line(answers, go, &len);
	if (line == NULL || ctl_send_all(fd, line, len) != 0) {
		xasprintf(cause, "cannot send the answers to the daemon");
		rc = -1;
	}
	free(line);
	json_decref(answers);
	return rc;
}

/* A tool call waits for a human: show it (r->approval_hook), ask the
 * user (r->approve_user) and send the decision, if one is made here. */
static int
ctl_client_approval(int fd, const struct ctl_event *ev, struct kernel_run *r,
    char **cause)
{
	const char *d = NULL;
	char *line = NULL;
	size_t len;
	int rc = 0;

	if (r->approval_hook != NULL)
		r->approval_hook(r, ev->obj, r->hooks.arg);
	if (r->approve_user != NULL)
		d = r->approve_user(r->approve_arg, ev->obj);
	if (d == NULL)
		return 0;
	line = ctl_approve_line(ev->id, d, &len);
	if (line == NULL || ctl_send_all(fd, line, len) != 0) {
		xasprintf(cause, "cannot send the approval to the daemon");
		rc = -1;
	}
	free(line);
	return rc;
}

/*
 * One event to the hooks (or into r; questions answered on fd).  1 when
 * it was the last, 0 to go on, -1 with *cause.
 */
static int
ctl_client_event(int fd, const char *line, size_t len, struct kernel_run *r,
    char **cause)
{
	const struct agent_hooks *h = &r->hooks;
	struct ctl_event ev;
	int rc = 0;

	if (ctl_event_parse(line, len, &ev, cause) != 0)
		return -1;
	switch (ev.type) {
	case CTL_EV_STARTED:
		snprintf(r->session, sizeof r->session, "%s", ev.session_id);
		snprintf(r->agent, sizeof r->agent, "%s", ev.agent_id);
		break;
	case CTL_EV_TEXT:
		if (h->text != NULL)
			h->text(ev.text, ev.text_len, h->arg);
		break;
	case CTL_EV_RESET:
		if (h->reset != NULL)
			h->reset(h->arg);
		break;
	case CTL_EV_TOOL_START:
		if (h->tool_start != NULL)
			h->tool_start(ev.name, ev.data, h->arg);
		break;
	case CTL_EV_TOOL_END:
		if (h->tool_end != NULL)
			h->tool_end(ev.name, ev.data, h->arg);
		break;
	case CTL_EV_DONE:
		rc = ctl_done_apply(&ev, r, cause) == 0 ? 1 : -1;
		break;
	case CTL_EV_QUESTIONS:
		rc = ctl_client_ask(fd, &ev, r, cause);
		break;
	case CTL_EV_PHASE:
		if (r->phase_hook != NULL)
			r->phase_hook(r, ev.seed_id, ev.generation, ev.phase,
			    h->arg);
		break;
	case CTL_EV_APPROVAL:
		rc = ctl_client_approval(fd, &ev, r, cause);
		break;
	case CTL_EV_RETRY:
		if (h->retry != NULL)
			h->retry(ev.text, ev.attempt, ev.wait_ms, h->arg);
		break;
	case CTL_EV_ERROR:
		r->started = 0;
		snprintf(r->error, sizeof r->error, "the daemon: %s", ev.text);
		rc = 1;
		break;
	}
	ctl_event_free(&ev);
	return rc;
}

int
ctl_client_run(int fd, struct kernel_run *r)
{
	static const char cancel_line[] = "{\"type\":\"cancel\"}\n";
	struct ctl_reader rd;
	struct pollfd p[2];
	char *line, *cause = NULL;
	int cancelled = 0, rc = 0, sent = 0;
	size_t len;
	long n;

	r->started = 0;
	ctl_reader_init(&rd, CTL_EVENT_MAX);
	line = ctl_client_request(r, &len);
	if (line == NULL || len > CTL_LINE_MAX + 1) {
		xasprintf(&cause,
		    "the request is larger than the daemon takes "
		    "(%d bytes); --local runs it here",
		    CTL_LINE_MAX);
		rc = -1;
	} else if (ctl_send_all(fd, line, len) != 0)
		sent = errno; /* its refusal may still be there to read */
	free(line);
	while (rc == 0) {
		while (rc == 0 && (line = ctl_reader_next(&rd, &len)) != NULL) {
			rc = ctl_client_event(fd, line, len, r, &cause);
			free(line);
		}
		if (rc != 0)
			break;
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[1].fd = cancelled ? -1 : cancel_fd(r->cancel);
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, cancelled || p[1].fd >= 0 ? -1 : 50) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(&cause, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (!cancelled && cancel_fired(r->cancel)) {
			cancelled = 1; /* the daemon answers with its record */
			if (ctl_send_all(fd, cancel_line,
				sizeof cancel_line - 1) != 0)
				shutdown(fd, SHUT_WR);
		}
		if (p[0].revents == 0)
			continue;
		if ((n = ctl_reader_fill(&rd, fd)) == -2) {
			xasprintf(&cause, "the daemon sent a line too long");
			rc = -1;
		} else if (n == 0 || (n < 0 && errno != EAGAIN)) {
			if (sent != 0)
				xasprintf(&cause, "the daemon: %s",
				    strerror(sent));
			else
				xasprintf(&cause,
				    "the daemon closed the "
				    "connection before the run "
				    "ended");
			rc = -1;
		}
	}
	if (rc == -1) {
		r->started = 0;
		snprintf(r->error, sizeof r->error, "%s", cause);
	}
	free(cause);
	ctl_reader_free(&rd);
	close(fd);
	return r->started && r->stop == AGENT_DONE ? 0 : -1;
}
