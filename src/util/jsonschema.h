/*
 * jsonschema.h — JSON Schema (draft 2020-12) validation on jansson.
 *
 * A schema is compiled once: every keyword is checked (an unsupported
 * keyword or a malformed value is refused, naming the schema location
 * "#/..."), patterns are compiled, same-document $refs are resolved and a
 * $ref loop that never descends into the instance is refused.  A compiled
 * schema is read-only, so several threads may validate with it at once.
 *
 * Validation is bounded: an instance nested deeper than
 * JSONSCHEMA_MAX_DEPTH, or a validation that takes more than
 * JSONSCHEMA_MAX_STEPS steps (one per schema applied, per value compared
 * or hashed, per 64 bytes matched by a pattern), fails with a message
 * saying so, whatever "not" or "anyOf" around it would make of it.
 * Errors name the instance location as a JSON pointer ("(root)" for the
 * whole value):
 *
 *	/path/0/name: expected string, got integer
 *
 * and up to JSONSCHEMA_MAX_ERRORS of them are joined with "; ".
 *
 * Supported: the keywords jsonschema_supported() lists.  "format",
 * "title", "description", "default", "examples", "$comment", "deprecated",
 * "readOnly" and "writeOnly" are annotations and never make a value
 * invalid ("format" asserts nothing, as 2020-12 says by default).  "$id"
 * is allowed on the root only; a "$ref" may be "#", a JSON pointer "#/..."
 * (with ~0, ~1 and %XX escapes) or either one after the root's "$id".
 * "definitions" is read like "$defs".  "$schema", if given, must name
 * draft 2020-12, 2019-09, 07 or 06: their schemas are read with 2020-12
 * meanings (the keywords whose meaning changed, such as "items" as an
 * array, are refused; a "$ref" beside other keywords no longer hides
 * them).
 *
 * Not supported (refused when compiling): $anchor, $dynamicRef,
 * $dynamicAnchor, $vocabulary, unevaluatedProperties, unevaluatedItems,
 * contentEncoding, contentMediaType, contentSchema, remote and relative
 * $refs, "$id" below the root, other meta-schemas, and the older
 * spellings additionalItems, dependencies, $recursiveRef and
 * $recursiveAnchor.  A tool's argument schema never needs them: it is one
 * self-contained document whose values are checked, not annotated.
 *
 * Patterns are ECMA-262 regular expressions, translated to POSIX extended
 * ones (regcomp) matched in the C.UTF-8 locale, so "." and classes match
 * whole code points.  Supported: literals, ".", [classes] with ranges,
 * \d \D \w \W \s \S \b \B, \t \n \r \f \v \cX \xHH \uHHHH \u{H...},
 * escaped syntax characters, groups (also (?:...) and (?<name>...)),
 * alternation, ^ $, the quantifiers * + ? {n} {n,} {n,m} (lazy ones match
 * the same strings here, as only whether a match exists counts).  Refused:
 * lookahead and lookbehind, backreferences, \p{...}, NUL, an empty class
 * [] or [^], \D \W \S inside a class, and ranges over more than 256
 * non-ASCII code points; so are patterns over 4096 bytes, counts over
 * 1000, and patterns over 10000 atoms once counts are expanded.  \b uses
 * glibc's word characters (letters of any script, digits, '_'), a
 * superset of ECMA's ASCII ones.  A '{' that starts no count is a
 * literal, as in ECMA's Annex B.
 */
#ifndef OXIOS_UTIL_JSONSCHEMA_H
#define OXIOS_UTIL_JSONSCHEMA_H

#include <jansson.h>

#define JSONSCHEMA_MAX_DEPTH 64       /* instance nesting validated */
#define JSONSCHEMA_MAX_STEPS 1000000L /* work per validation */
#define JSONSCHEMA_MAX_ERRORS 3       /* messages joined in a cause */

struct jsonschema;

/*
 * Compile `schema` (an object or a boolean).  The result keeps a
 * reference to `schema`, which must not change afterwards; caller frees
 * it with jsonschema_free().  NULL with *cause (caller frees) on a schema
 * it cannot use.
 */
struct jsonschema *jsonschema_compile(const json_t *schema, char **cause);
/*
 * 0 if `instance` is valid, else -1 and, if `cause` is not NULL, *cause
 * (caller frees) with the errors.  With `cause` NULL it stops at the
 * first error.
 */
int jsonschema_validate(const struct jsonschema *, const json_t *instance,
    char **cause);
/* Free a compiled schema (NULL is allowed). */
void jsonschema_free(struct jsonschema *);
/* The keywords supported, NULL-terminated; static. */
const char *const *jsonschema_supported(void);

#endif
