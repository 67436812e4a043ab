/*
 * skill_store.c — what is kept of skills: their state in the database
 * (enabled, the hash at enable), the user source's folders written by an
 * install and removed by a delete, and the files beside a SKILL.md read
 * confined to the skill's folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/home.h"
#include "kernel/events.h"
#include "security/audit.h"
#include "security/confine.h"
#include "skills/skill.h"
#include "skills/skill_int.h"
#include "store/db.h"
#include "util/file.h"
#include "util/json.h"
#include "util/path.h"
#include "util/time.h"
#include "util/xalloc.h"

#define SKILL_MAX_FILES 64

void
skill_state_apply(sqlite3 *db, struct skill *s)
{
	sqlite3_stmt *st = NULL;
	const char *hash;

	s->enabled = 1;
	s->changed = 0;
	if (db == NULL ||
	    (st = db_prepare(db,
		 "SELECT enabled, hash FROM skill_state WHERE name = ?", "t",
		 s->name)) == NULL)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW) {
		s->enabled = sqlite3_column_int(st, 0) != 0;
		hash = (const char *)sqlite3_column_text(st, 1);
		s->changed =
		    s->enabled && hash != NULL && strcmp(hash, s->hash) != 0;
	}
out:
	sqlite3_finalize(st);
}

int
skill_set_enabled(sqlite3 *db, const struct skill *s, int enabled,
    const char *actor, char **cause)
{
	if (db_exec(db,
		"INSERT INTO skill_state (name, enabled, hash, updated_at, "
		"updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO "
		"UPDATE SET enabled = excluded.enabled, hash = excluded.hash, "
		"updated_at = excluded.updated_at, "
		"updated_by = excluded.updated_by",
		"titIt", s->name, enabled != 0, s->hash, time_wall_ms(),
		actor) >= 0)
		return 0;
	xasprintf(cause, "saving the skill's state: %s", sqlite3_errmsg(db));
	return -1;
}

int
skill_read_file(const struct skill *s, const char *file, char **data,
    size_t *len, char **cause)
{
	char *norm = NULL, *why = NULL;
	struct stat st;
	int dfd = -1, fd = -1, rc = -1;

	if (confine_check(file, strlen(file), &norm, &why) < 0 ||
	    strcmp(norm, ".") == 0) {
		xasprintf(cause, "'%s' is not a file of the skill '%s'%s%s",
		    file, s->name, why != NULL ? ": " : "",
		    why != NULL ? why : "");
		goto out;
	}
	if ((dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "%s: %s", s->dir, strerror(errno));
		goto out;
	}
	if ((fd = confine_open_file(dfd, 0, norm, &st, &why)) < 0) {
		xasprintf(cause, "'%s' of the skill '%s': %s", file, s->name,
		    errno == EXDEV || errno == ELOOP ?
			"the path leads outside the skill's folder" :
			why);
		goto out;
	}
	rc = file_read_fd(fd, SKILL_MAX_BYTES, data, len, cause);
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(norm);
	free(why);
	return rc;
}

static int
skill_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) < 0 ? -1 : 0;
}

/* Remove the tree `dir` (never following links).  0 or -1 errno. */
static int
skill_rm(const char *dir)
{
	return nftw(dir, skill_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write `files` (path → string) beneath the directory `dir`. */
static int
skill_write_files(const char *dir, const json_t *files, char **cause)
{
	const char *key;
	char *norm = NULL, *why = NULL;
	json_t *v;
	int dfd, created, rc = 0;

	if (files == NULL || json_object_size(files) == 0)
		return 0;
	if (!json_is_object(files) ||
	    json_object_size(files) > SKILL_MAX_FILES) {
		xasprintf(cause, "'files' is an object of at most %d paths",
		    SKILL_MAX_FILES);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return -1;
	}
	json_object_foreach((json_t *)files, key, v) {
		if (!json_is_string(v) ||
		    json_string_length(v) > SKILL_MAX_BYTES) {
			xasprintf(cause,
			    "files.%s: a string of at most %d bytes", key,
			    SKILL_MAX_BYTES);
			rc = -1;
		} else if (confine_check(key, strlen(key), &norm, &why) < 0 ||
		    strcmp(norm, ".") == 0 || strcmp(norm, "SKILL.md") == 0) {
			xasprintf(cause,
			    "files.%s: not a path inside the skill%s%s", key,
			    why != NULL ? ": " : "", why != NULL ? why : "");
			rc = -1;
		} else if (confine_replace(dfd, 0, norm, json_string_value(v),
			       json_string_length(v), 1, &created, &why) < 0) {
			xasprintf(cause, "files.%s: %s", key, why);
			rc = -1;
		}
		free(norm);
		free(why);
		norm = why = NULL;
		if (rc < 0)
			break;
	}
	close(dfd);
	return rc;
}

int
skill_install(const char *name, const char *content, size_t len,
    const json_t *files, char **cause)
{
	struct skill_doc doc;
	char *root = NULL, *dir = NULL, *tmp = NULL, *old = NULL, *md = NULL;
	const char *fname;
	int rc = -1;

	if (!skill_name_ok(name)) {
		xasprintf(cause,
		    "'%s' is not a skill name (1-64 of A-Z a-z "
		    "0-9 . _ -)",
		    name);
		return -1;
	}
	if (skill_parse(content, len, "SKILL.md", &doc, cause) < 0)
		return -1;
	fname = oxjson_str(doc.front, "name", NULL);
	if (fname != NULL && strcmp(fname, name) != 0) {
		xasprintf(cause, "SKILL.md names the skill '%s', not '%s'",
		    fname, name);
		skill_doc_free(&doc);
		return -1;
	}
	skill_doc_free(&doc);
	root = home_path("skills");
	dir = path_join(root, name);
	xasprintf(&tmp, "%s/.%s.new", root, name);
	xasprintf(&old, "%s/.%s.old", root, name);
	md = path_join(tmp, "SKILL.md");
	skill_rm(tmp);
	skill_rm(old);
	if (file_mkdirs(tmp, 0700, cause) < 0 ||
	    file_write_atomic(md, content, len, 0644, cause) < 0 ||
	    skill_write_files(tmp, files, cause) < 0)
		goto out;
	if (rename(dir, old) < 0 && errno != ENOENT) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (rename(tmp, dir) < 0) {
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		rename(old, dir);
		goto out;
	}
	rc = 0;
out:
	skill_rm(tmp);
	skill_rm(old);
	free(md);
	free(old);
	free(tmp);
	free(dir);
	free(root);
	return rc;
}

int
skill_remove(const char *name, char **cause)
{
	char *root, *dir;
	struct stat st;
	int rc = -1;

	if (!skill_name_ok(name)) {
		errno = ENOENT;
		xasprintf(cause, "no skill '%s' in the user source", name);
		return -1;
	}
	root = home_path("skills");
	dir = path_join(root, name);
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOENT;
		xasprintf(cause, "no skill '%s' in the user source (%s)", name,
		    root);
	} else if (skill_rm(dir) < 0)
		xasprintf(cause, "%s: %s", dir, strerror(errno));
	else
		rc = 0;
	free(dir);
	free(root);
	return rc;
}

int
skill_record(sqlite3 *db, const char *actor, const char *name, const char *op,
    char **cause)
{
	char resource[128];
	json_t *d;
	int64_t seq;

	snprintf(resource, sizeof resource, "skill:%s", name);
	d = json_pack("{s:s, s:s}", "name", name, "op", op);
	seq = audit_append(db, actor, AUDIT_OTHER, resource, d, cause);
	events_emit(EVENT_SKILLS_CHANGED, d);
	json_decref(d);
	return seq < 0 ? -1 : 0;
}
