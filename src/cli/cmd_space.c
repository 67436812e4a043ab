/*
 * cmd_space.c — oxios space [list | create NAME ... | use NAME | delete
 * NAME]: spaces (kernel/spaces.h) on the home's database, like `oxios
 * permissions`.  `use` keeps the space of this CLI's next runs and chats
 * in $OXIOS_HOME/space (one line; `use --none` removes it); --space on
 * run and chat wins over it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_space.h"
#include "config/home.h"
#include "kernel/spaces.h"
#include "security/audit.h"
#include "store/db.h"
#include "util/file.h"
#include "util/json.h"
#include "util/xalloc.h"

static int cmd_space(int, char **);

const struct cmd_entry cmd_space_entry = {
	.name = "space",
	.usage = "[list [--json] | show NAME | create NAME [--emoji E] "
		 "[--description TEXT] [--path P]... [--tag T]... | "
		 "use NAME|--none | delete NAME]",
	.summary = "Spaces: conversation contexts that keep topics apart.",
	.help =
	    "A space is a named conversation context: runs in it continue\n"
	    "its conversation and are told its description.  A message goes\n"
	    "to the space --space names, else the one `oxios space use`\n"
	    "chose, else the one whose path (--path, workspace-relative, a\n"
	    "glob or a prefix) the message names, else the one whose tag or\n"
	    "name it holds as a word (spaces.classify: then the model).\n"
	    "\n"
	    "  list            every space (--json: as GET /api/spaces)\n"
	    "  show NAME       one space as JSON\n"
	    "  create NAME     a new space; --path and --tag repeat\n"
	    "  use NAME        the space of this CLI's next runs and chats\n"
	    "                  (kept in $OXIOS_HOME/space); --none: detect\n"
	    "  delete NAME     delete a space (its sessions stay)\n",
	.words = "list show create use delete --json --emoji --description "
		 "--path --tag --none",
	.exec = cmd_space,
};

char *
cmd_space_used(void)
{
	char *path = home_path("space"), *s = NULL, *cause = NULL;
	size_t n = 0;

	if (file_read(path, SPACE_NAME_MAX + 64, &s, &n, &cause) != 0) {
		free(cause);
		s = NULL;
	}
	free(path);
	if (s == NULL)
		return NULL;
	s[strcspn(s, "\r\n")] = '\0';
	if (*s == '\0') {
		free(s);
		return NULL;
	}
	return s;
}

static int
space_open(struct config **cfg, sqlite3 **db)
{
	if (cli_db_open(cfg, db) != 0)
		return -1;
	return 0;
}

static void
space_list_print(const json_t *list)
{
	const json_t *s;
	size_t i;

	if (json_array_size(list) == 0) {
		printf("no spaces (oxios space create NAME)\n");
		return;
	}
	json_array_foreach(list, i, s) {
		const char *e = json_string_value(json_object_get(s, "emoji"));
		char *paths = json_dumps(json_object_get(s, "paths"), 0);
		char *tags = json_dumps(json_object_get(s, "tags"), 0);

		printf("%s%s%s  %s  paths %s  tags %s\n", e,
		    *e != '\0' ? " " : "",
		    json_string_value(json_object_get(s, "name")),
		    json_string_value(json_object_get(s, "id")), paths, tags);
		free(paths);
		free(tags);
	}
}

/* create NAME [--emoji E] [--description D] [--path P]... [--tag T]... */
static int
space_create(int argc, char **argv, sqlite3 *db)
{
	static const struct option longopts[] = {
		{ "emoji", required_argument, NULL, 'e' },
		{ "description", required_argument, NULL, 'd' },
		{ "path", required_argument, NULL, 'p' },
		{ "tag", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = json_object(), *paths = json_array(),
	       *tags = json_array(), *checked = NULL;
	char id[UUID_STRLEN], *text = NULL, *cause = NULL;
	int c, rc = EXIT_USAGE;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			json_object_set_new(body, "emoji", json_string(optarg));
			break;
		case 'd':
			json_object_set_new(body, "description",
			    json_string(optarg));
			break;
		case 'p':
			json_array_append_new(paths, json_string(optarg));
			break;
		case 't':
			json_array_append_new(tags, json_string(optarg));
			break;
		default:
			cli_error("space create: unknown or incomplete option "
				  "'%s'",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		cli_error("space create: one NAME, please");
		goto out;
	}
	json_object_set_new(body, "name", json_string(argv[optind]));
	json_object_set(body, "paths", paths);
	json_object_set(body, "tags", tags);
	text = json_dumps(body, JSON_COMPACT);
	if (text == NULL ||
	    (checked = spaces_parse_body(text, strlen(text), 0, &cause)) ==
		NULL) {
		cli_error("space create: %s",
		    cause != NULL ? cause : "not valid UTF-8");
		goto out;
	}
	rc = EXIT_FAIL;
	if (spaces_create(db, checked, id, &cause) != 0) {
		cli_error("space create: %s", cause);
		goto out;
	}
	spaces_changed(db, "user", "create", id, argv[optind]);
	printf("%s\n", id);
	rc = EXIT_OK;
out:
	free(cause);
	free(text);
	json_decref(body);
	json_decref(paths);
	json_decref(tags);
	json_decref(checked);
	return rc;
}

/* use NAME | use --none: $OXIOS_HOME/space. */
static int
space_use(const char *name, sqlite3 *db)
{
	char *path = home_path("space"), *cause = NULL, *line = NULL;
	json_t *s = NULL;
	int rc = EXIT_FAIL;

	if (strcmp(name, "--none") == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			cli_error("space use: %s: %s", path, strerror(errno));
		else
			rc = EXIT_OK;
		goto out;
	}
	if ((s = spaces_get(db, name, &cause)) == NULL) {
		cli_error("space use: %s",
		    cause != NULL ? cause : "no such space");
		goto out;
	}
	xasprintf(&line, "%s\n", json_string_value(json_object_get(s, "name")));
	if (file_write_atomic(path, line, strlen(line), 0600, &cause) != 0) {
		cli_error("space use: %s", cause);
		goto out;
	}
	printf("runs from this CLI go to the space %s\n",
	    json_string_value(json_object_get(s, "name")));
	rc = EXIT_OK;
out:
	free(cause);
	free(line);
	free(path);
	json_decref(s);
	return rc;
}

static int
cmd_space(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	struct config *cfg = NULL;
	sqlite3 *db = NULL;
	json_t *o = NULL;
	char *cause = NULL;
	int rc = EXIT_FAIL, json = argc > 2 && strcmp(argv[2], "--json") == 0;

	if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0 &&
	    strcmp(sub, "create") != 0 && strcmp(sub, "use") != 0 &&
	    strcmp(sub, "delete") != 0) {
		cli_error("space: no subcommand '%s'", sub);
		return cli_usage(&cmd_space_entry);
	}
	if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 &&
	    argc != 3) {
		cli_error("space %s: one NAME, please", sub);
		return cli_usage(&cmd_space_entry);
	}
	if (space_open(&cfg, &db) != 0)
		return EXIT_FAIL;
	if (strcmp(sub, "list") == 0) {
		if ((o = spaces_list(db, &cause)) != NULL) {
			if (json)
				oxjson_print(stdout, o, 0);
			else
				space_list_print(o);
			rc = EXIT_OK;
		}
	} else if (strcmp(sub, "show") == 0) {
		if ((o = spaces_get(db, argv[2], &cause)) != NULL) {
			oxjson_print(stdout, o, 0);
			rc = EXIT_OK;
		} else if (cause == NULL)
			xasprintf(&cause, "no space '%s'", argv[2]);
	} else if (strcmp(sub, "create") == 0)
		rc = space_create(argc - 1, argv + 1, db);
	else if (strcmp(sub, "use") == 0)
		rc = space_use(argv[2], db);
	else if ((o = spaces_get(db, argv[2], &cause)) == NULL) {
		if (cause == NULL)
			xasprintf(&cause, "no space '%s'", argv[2]);
	} else if (spaces_delete(db,
		       json_string_value(json_object_get(o, "id")),
		       &cause) == 1) {
		spaces_changed(db, "user", "delete",
		    json_string_value(json_object_get(o, "id")),
		    json_string_value(json_object_get(o, "name")));
		rc = EXIT_OK;
	}
	if (cause != NULL)
		cli_error("space %s: %s", sub, cause);
	free(cause);
	json_decref(o);
	cli_db_close(cfg);
	return rc;
}
