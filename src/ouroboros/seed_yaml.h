/*
 * seed_yaml.h — seeds as YAML files: workspace/seeds/<root_id>/gen-<N>.yaml.
 *
 * The writer emits block mappings and sequences, every string
 * double-quoted (JSON escapes), numbers, true/false, null, [] and {}.
 * The parser reads that and what a person plausibly writes by hand, a
 * strict subset of YAML 1.2:
 *   - block mappings ("key: value", keys plain or quoted) and block
 *     sequences ("- item", "- key: value" starting a mapping), indented
 *     with spaces;
 *   - scalars on one line: double-quoted (escapes \" \\ \/ \b \f \n \r
 *     \t \0 \xHH \uHHHH \UHHHHHHHH, H a hex digit), single-quoted
 *     ('' is a quote), plain (null, ~, true, false, integers and
 *     decimals are typed; anything else is a string); block scalars
 *     "|" and ">" with "-" or "+";
 *   - "[]", "{}", comments ("# ..." on a line of its own or after a
 *     value), one optional leading "---" and trailing "...".
 * Refused, with line and column: tabs in indentation, anchors (&),
 * aliases (*), tags (!), flow collections with content, quoted scalars
 * spanning lines, multi-line plain scalars, "?" keys, directives (%),
 * several documents, duplicate keys, a NUL or invalid UTF-8, more than
 * SEED_YAML_MAX bytes, nesting deeper than SEED_YAML_DEPTH.
 */
#ifndef OXIOS_OUROBOROS_SEED_YAML_H
#define OXIOS_OUROBOROS_SEED_YAML_H

#include <stddef.h>
#include <jansson.h>

#include "ouroboros/seed.h"

#define SEED_YAML_MAX (512 * 1024) /* bytes of a seed file */
#define SEED_YAML_DEPTH 32         /* nested collections */

/*
 * Parse `len` bytes of YAML (the subset above) into JSON: *out is a new
 * reference.  -1 with *cause (caller frees): "line L, column C: what".
 */
int seed_yaml_parse(const char *text, size_t len, json_t **out, char **cause);
/*
 * `v` (an object or array; any JSON without NUL in strings) as YAML text
 * that seed_yaml_parse() reads back to an equal value.  Caller frees.
 */
char *seed_yaml_emit(const json_t *v);
/* The seed as a YAML document (a comment line, then the fields).  Caller
 * frees. */
char *seed_yaml_text(const struct seed *s);
/* A seed from YAML text: seed_yaml_parse() then seed_from_json(). */
int seed_yaml_to_seed(const char *text, size_t len, struct seed **out,
    char **cause);
/*
 * Write `s` atomically to <seeds_dir>/<root_id>/gen-<N>.yaml (creating
 * the directories, 0700; the file 0600).  *path (caller frees; NULL to
 * skip) is the file written.  0, or -1 with *cause.
 */
int seed_yaml_write(const struct seed *s, const char *seeds_dir, char **path,
    char **cause);
/* Read a seed file (at most SEED_YAML_MAX bytes).  0, or -1 with *cause
 * naming the file. */
int seed_yaml_read(const char *path, struct seed **out, char **cause);

#endif
