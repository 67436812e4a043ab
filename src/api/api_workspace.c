/*
 * api_workspace.c — the workspace's files: a tree, read, write.
 *
 * Paths are checked, opened and replaced beneath the workspace by the
 * agent's tools' own functions (security/confine.h): no absolute path, no
 * ".." out, no NUL; a symbolic link is followed while it resolves inside
 * and refused when it leads out, with the tools' messages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "agent/tools.h"
#include "api/api.h"
#include "config/live.h"
#include "kernel/kernel.h"
#include "security/audit.h"
#include "security/confine.h"
#include "store/db.h"
#include "util/file.h"
#include "util/log.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define TREE_MAX_ENTRIES 5000
#define TREE_MAX_DEPTH 16

/* The workspace, made if missing: an O_PATH fd (the caller's to close),
 * or -1 with an answer. */
static int
api_ws_open(struct http_req *r)
{
	const struct config *cfg = config_live_get();
	char *ws, *cause = NULL;
	int fd;

	ws = kernel_workspace(cfg);
	config_live_put(cfg);
	if (file_mkdirs(ws, 0700, &cause) != 0) {
		api_fail(r, cause);
		free(ws);
		return -1;
	}
	if ((fd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		http_error(r, 500, "internal", "the workspace %s: %s", ws,
		    strerror(errno));
	free(ws);
	return fd;
}

/* A path from the request, checked; 400 if it is not acceptable. */
static int
api_ws_path(struct http_req *r, const char *path, char **norm)
{
	char *cause = NULL;

	if (path == NULL || *path == '\0')
		path = ".";
	if (confine_check(path, strlen(path), norm, &cause) != 0) {
		http_error(r, 400, "bad_path", "%s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/*
 * An error of confine_open*() or confine_replace() as an answer: the
 * status from errno, the message the agent's tools would give (cause,
 * freed here).
 */
static int
api_ws_fail(struct http_req *r, int err, char *cause)
{
	switch (err) {
	case ENOENT:
		http_error(r, 404, "not_found", "%s", cause);
		break;
	case EXDEV:
	case ELOOP:
		http_error(r, 403, "outside_workspace", "%s", cause);
		break;
	case EISDIR:
		http_error(r, 409, "is_a_directory", "%s", cause);
		break;
	case EINVAL:
	case ENOTDIR:
		http_error(r, 400, "not_a_file", "%s", cause);
		break;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
	case EIO:
		http_error(r, 507, "write_failed", "%s", cause);
		break;
	default:
		http_error(r, 500, "internal", "%s", cause);
		break;
	}
	free(cause);
	return 0;
}

static json_t *
api_ws_list(int dirfd, int depth, int max_depth, int *count)
{
	json_t *out = json_array(), *e;
	struct stat st;
	DIR *d;
	char **names;
	size_t n = 0, i;
	int fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return out;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return out;
	}
	names = tools_dir_names(d, &n);
	for (i = 0; i < n; i++) {
		if (*count >= TREE_MAX_ENTRIES)
			break;
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!utf8_valid(names[i], strlen(names[i])))
			continue;
		(*count)++;
		e = json_pack("{s:s, s:s, s:I}", "name", names[i], "type",
		    S_ISDIR(st.st_mode)     ? "dir" :
			S_ISREG(st.st_mode) ? "file" :
			S_ISLNK(st.st_mode) ? "symlink" :
					      "other",
		    "size", (json_int_t)st.st_size);
		if (S_ISDIR(st.st_mode) && depth < max_depth) {
			int sub = openat(dirfd, names[i],
			    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0) {
				json_object_set_new(e, "children",
				    api_ws_list(sub, depth + 1, max_depth,
					count));
				close(sub);
			}
		}
		json_array_append_new(out, e);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return out;
}

static int
api_workspace_tree(struct http_req *r)
{
	char *norm = NULL, *cause = NULL;
	long depth;
	int wsfd, fd, count = 0;
	json_t *entries;

	if (api_query_int(r, "depth", 0, TREE_MAX_DEPTH, 3, &depth) != 0 ||
	    api_ws_path(r, http_query(r, "path"), &norm) != 0)
		return 0;
	if ((wsfd = api_ws_open(r)) < 0) {
		free(norm);
		return 0;
	}
	fd = confine_open(wsfd, norm, O_PATH | O_DIRECTORY, 0, &cause);
	if (fd < 0) {
		api_ws_fail(r, errno, cause);
		goto out;
	}
	entries = api_ws_list(fd, 0, (int)depth, &count);
	close(fd);
	http_json(r, 200,
	    json_pack("{s:s, s:o, s:b}", "path", norm, "entries", entries,
		"truncated", count >= TREE_MAX_ENTRIES));
out:
	close(wsfd);
	free(norm);
	return 0;
}

static int
api_workspace_read(struct http_req *r)
{
	const struct config *cfg;
	struct stat st;
	char *norm = NULL, *cause = NULL, *data = NULL, *b64;
	size_t max, got = 0;
	int wsfd, fd = -1;

	if (api_ws_path(r, route_param(&r->match, "path"), &norm) != 0)
		return 0;
	if ((wsfd = api_ws_open(r)) < 0) {
		free(norm);
		return 0;
	}
	cfg = config_live_get();
	max = (size_t)config_int(cfg, "gateway.max_body_bytes");
	config_live_put(cfg);
	if ((fd = confine_open_file(wsfd, 0, norm, &st, &cause)) < 0) {
		api_ws_fail(r, errno, cause);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		http_error(r, 413, "file_too_large",
		    "%s is %lld bytes; at most %zu are served (see "
		    "gateway.max_body_bytes)",
		    norm, (long long)st.st_size, max);
		goto out;
	}
	if (file_read_fd(fd, max, &data, &got, &cause) != 0) {
		if (errno == EFBIG)
			http_error(r, 413, "file_too_large",
			    "%s grew past %zu bytes, the most served (see "
			    "gateway.max_body_bytes)",
			    norm, max);
		else
			http_error(r, 500, "internal", "cannot read %s: %s",
			    norm, cause);
		free(cause);
		goto out;
	}
	if (utf8_valid(data, got) && memchr(data, '\0', got) == NULL)
		http_json(r, 200,
		    json_pack("{s:s, s:I, s:s, s:s%}", "path", norm, "size",
			(json_int_t)got, "encoding", "utf-8", "content", data,
			got));
	else {
		b64 = xmalloc(sodium_base64_encoded_len(got,
		    sodium_base64_VARIANT_ORIGINAL));
		sodium_bin2base64(b64,
		    sodium_base64_encoded_len(got,
			sodium_base64_VARIANT_ORIGINAL),
		    (const unsigned char *)data, got,
		    sodium_base64_VARIANT_ORIGINAL);
		http_json(r, 200,
		    json_pack("{s:s, s:I, s:s, s:s}", "path", norm, "size",
			(json_int_t)got, "encoding", "base64", "content", b64));
		free(b64);
	}
out:
	if (fd >= 0)
		close(fd);
	close(wsfd);
	free(data);
	free(norm);
	return 0;
}

/*
 * A file write, recorded before it is made (a file cannot share the log's
 * transaction): what it will hold (size, BLAKE2b-128), so that after a
 * crash the file tells whether it was.  `failed`: the write that was
 * recorded did not happen (NULL: the intent).  0, or -1 with an answer.
 */
static int
api_ws_audit(struct http_req *r, const char *norm, const char *data, size_t len,
    const char *failed)
{
	unsigned char h[16];
	char hex[33], resource[AUDIT_MAX_FIELD], *cause = NULL;
	sqlite3 *db = db_get();
	json_t *d;
	int rc = 0;

	snprintf(resource, sizeof resource, "workspace:%s", norm);
	if (failed != NULL)
		d = json_pack("{s:s, s:s}", "failed", failed, "via", "api");
	else {
		crypto_generichash(h, sizeof h, (const unsigned char *)data,
		    len, NULL, 0);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		d = json_pack("{s:I, s:s, s:s}", "bytes", (json_int_t)len,
		    "blake2b_128", hex, "via", "api");
	}
	if (db == NULL ||
	    audit_append(db, api_actor(r), AUDIT_FILE_WRITE, resource, d,
		&cause) < 0) {
		if (failed == NULL)
			http_error(r, 500, "audit_failed",
			    "the audit log cannot record the write of %s, so "
			    "it was not made: %s",
			    norm, cause != NULL ? cause : "no database");
		else
			log_error("audit: %s: %s", resource,
			    cause != NULL ? cause : "no database");
		rc = -1;
	}
	free(cause);
	json_decref(d);
	return rc;
}

static int
api_workspace_write(struct http_req *r)
{
	json_t *content;
	const char *data;
	char *norm = NULL, *cause = NULL;
	size_t len;
	int wsfd, created, err;

	content = json_object_get(r->body, "content");
	if (!json_is_string(content))
		return http_error(r, 400, "bad_request",
		    "the body must be {\"content\": \"...\"}");
	if (api_ws_path(r, route_param(&r->match, "path"), &norm) != 0)
		return 0;
	if (strcmp(norm, ".") == 0) {
		free(norm);
		return http_error(r, 400, "bad_path", "a file name is needed");
	}
	if ((wsfd = api_ws_open(r)) < 0) {
		free(norm);
		return 0;
	}
	data = json_string_value(content);
	len = json_string_length(content);
	if (api_ws_audit(r, norm, data, len, NULL) != 0)
		goto out;
	if (confine_replace(wsfd, 0, norm, data, len, 1, &created, &cause) !=
	    0) {
		err = errno;
		api_ws_audit(r, norm, NULL, 0,
		    cause != NULL ? cause : strerror(err));
		api_ws_fail(r, err, cause);
	} else
		http_json(r, 200,
		    json_pack("{s:s, s:I, s:b}", "path", norm, "size",
			(json_int_t)len, "created", created));
out:
	close(wsfd);
	free(norm);
	return 0;
}

const struct route api_workspace_routes[] = {
	{
	    .method = "GET",
	    .pattern = "/api/workspace/tree",
	    .role = ROLE_VIEWER,
	    .handler = api_workspace_tree,
	    .tag = "workspace",
	    .summary = "The workspace's files (?path=sub/dir&depth=3).",
	    .response = "{path, entries: [{name, type, size, children?}]}",
	},
	{
	    .method = "GET",
	    .pattern = "/api/workspace/file/{path*}",
	    .role = ROLE_VIEWER,
	    .handler = api_workspace_read,
	    .tag = "workspace",
	    .summary = "Read a file of the workspace (UTF-8 text).",
	    .response = "{path, size, content}",
	},
	{
	    .method = "PUT",
	    .pattern = "/api/workspace/file/{path*}",
	    .role = ROLE_OPERATOR,
	    .handler = api_workspace_write,
	    .flags = ROUTE_BODY,
	    .tag = "workspace",
	    .summary =
		"Write a file of the workspace (atomically; parents made).",
	    .request = "{content}",
	    .response = "{path, size, created}",
	},
	{ .method = NULL },
};
