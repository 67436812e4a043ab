/*
 * test_jsonschema.c — JSON Schema validation (util/jsonschema.h).
 *
 * Declarative tables: values checked against schemas with the exact
 * message expected, schemas refused with the exact cause, and ECMA-262
 * patterns with strings they must and must not match.  Then the limits
 * (depth, steps, chains), the keyword lists, and the JSON Schema Test
 * Suite (draft 2020-12) in JSONSCHEMA_TEST_DIR or
 * $OXIOS_JSONSCHEMA_TEST_DIR: every case must compile and give the
 * expected answer for every test, unless its schema uses something the
 * validator refuses (unsupported[] below, remote or anchor $refs, "$id"
 * below the root), in which case compiling must refuse it.
 *
 * JSON in the tables is written with ' for ", to stay readable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/buf.h"
#include "util/jsonschema.h"
#include "util/xalloc.h"

#ifndef JSONSCHEMA_TEST_DIR
#define JSONSCHEMA_TEST_DIR "../shared/conformance/json-schema-2020-12"
#endif

/* JSON text with ' for " parsed (any value). */
static json_t *
jt(const char *text)
{
	json_error_t err;
	json_t *v;
	char *s = xstrdup(text), *p;

	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(s, JSON_DECODE_ANY, &err);
	if (v == NULL)
		fail_msg("bad test JSON %s: %s", text, err.text);
	free(s);
	return v;
}

/* A value, a schema, and what validating says. */
struct vcase {
	const char *schema;
	const char *data;
	const char *cause; /* NULL: valid */
};

static const struct vcase vcases[] = {
	{ "{'type':'object','properties':{'path':{'type':'array','items':"
	  "{'type':'object','properties':{'name':{'type':'string'}}}}}}",
	    "{'path':[{'name':'a'},{'name':1}]}",
	    "/path/1/name: expected string, got integer" },
	{ "{'type':'object'}", "[]", "(root): expected object, got array" },
	{ "{'type':['string','null']}", "1.5",
	    "(root): expected string or null, got number" },
	{ "{'type':['string','integer','null']}", "true",
	    "(root): expected string, integer or null, got boolean" },
	{ "{'type':'integer'}", "1.0", NULL },
	{ "{'type':'integer'}", "-0.0", NULL },
	{ "{'$schema':'http://json-schema.org/draft-07/schema#',"
	  "'type':'integer'}",
	    "2", NULL },
	{ "{'type':'integer'}", "1.5", "(root): expected integer, got number" },
	{ "{'type':'string'}", "1.0", "(root): expected string, got integer" },
	{ "{'type':'number'}", "7", NULL },
	/* JSON equality: 1 is 1.0, members are unordered. */
	{ "{'enum':[1,'a']}", "1.0", NULL },
	{ "{'enum':[1,'a']}", "2", "(root): expected one of 1, \"a\"; got 2" },
	{ "{'enum':[1]}", "true", "(root): expected one of 1; got true" },
	{ "{'const':1.0}", "1", NULL },
	{ "{'const':{'a':1,'b':[1,2.0]}}", "{'b':[1.0,2],'a':1}", NULL },
	{ "{'const':{'a':1}}", "{'a':1,'b':2}",
	    "(root): expected {\"a\":1}, got {\"a\":1,\"b\":2}" },
	{ "{'const':9007199254740992}", "9007199254740993",
	    "(root): expected 9007199254740992, got 9007199254740993" },
	{ "{'const':0.1}", "0.30000000000000004",
	    "(root): expected 0.1, got 0.30000000000000004" },
	{ "{'uniqueItems':true}", "[1,{'a':1},1.0]",
	    "(root): items 0 and 2 are equal" },
	{ "{'uniqueItems':true}", "[{'a':1,'b':[2]},{'b':[2.0],'a':1}]",
	    "(root): items 0 and 1 are equal" },
	{ "{'uniqueItems':true}", "[1,true,'1',[1],{'1':1},null,0,false]",
	    NULL },
	{ "{'properties':{'path':{},'mode':{}},'additionalProperties':false}",
	    "{'path':'x','mdoe':1}",
	    "(root): unexpected property \"mdoe\" (allowed: path, mode)" },
	{ "{'additionalProperties':false}", "{'a':1}",
	    "(root): unexpected property \"a\"" },
	{ "{'additionalProperties':{'type':'integer'}}", "{'a':1,'b':'x'}",
	    "/b: expected integer, got string" },
	{ "{'patternProperties':{'^x-':{'type':'string'}},"
	  "'additionalProperties':false}",
	    "{'x-a':'1','x-b':2}", "/x-b: expected string, got integer" },
	{ "{'required':['path','content']}", "{'path':'a'}",
	    "(root): missing required property \"content\"" },
	{ "{'required':['a']}", "[]", NULL },
	/* At most JSONSCHEMA_MAX_ERRORS messages. */
	{ "{'type':'object','required':['a','b','c','d']}", "{}",
	    "(root): missing required property \"a\"; (root): missing "
	    "required property \"b\"; (root): missing required property "
	    "\"c\"" },
	{ "{'properties':{'a':{'type':'string'},'b':{'minimum':3}}}",
	    "{'a':1,'b':2}",
	    "/a: expected string, got integer; /b: expected a number >= 3, "
	    "got 2" },
	/* Lengths count code points. */
	{ "{'minLength':2}", "'\xc3\xa9'",
	    "(root): expected at least 2 characters, got 1" },
	{ "{'maxLength':1}", "'\xc3\xa9'", NULL },
	{ "{'maxLength':1}", "'\xf0\x9f\x90\xb2'", NULL },
	{ "{'maxLength':1}", "'ab'",
	    "(root): expected at most 1 character, got 2" },
	{ "{'minLength':1,'maxLength':3}",
	    "'\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac'", NULL },
	{ "{'maxLength':2.0}", "'abc'",
	    "(root): expected at most 2 characters, got 3" },
	{ "{'pattern':'^[a-z]+$'}", "'ab1'",
	    "(root): does not match the pattern \"^[a-z]+$\"" },
	{ "{'pattern':'^[a-z]+$'}", "12", NULL },
	{ "{'minimum':1}", "0", "(root): expected a number >= 1, got 0" },
	{ "{'exclusiveMaximum':10}", "10",
	    "(root): expected a number < 10, got 10" },
	{ "{'exclusiveMinimum':0.5}", "0.5",
	    "(root): expected a number > 0.5, got 0.5" },
	{ "{'maximum':9223372036854775807}", "9223372036854775807", NULL },
	{ "{'maximum':9007199254740992}", "9007199254740993",
	    "(root): expected a number <= 9007199254740992, got "
	    "9007199254740993" },
	{ "{'multipleOf':0.5}", "1.25",
	    "(root): expected a multiple of 0.5, got 1.25" },
	{ "{'multipleOf':0.01}", "19.99", NULL },
	{ "{'multipleOf':3}", "-9", NULL },
	{ "{'multipleOf':2.0}", "9007199254740993",
	    "(root): expected a multiple of 2.0, got 9007199254740993" },
	{ "{'multipleOf':1e-8}", "12391239123", NULL },
	{ "{'anyOf':[{'type':'string'},{'type':'null'}]}", "3",
	    "(root): matches none of the anyOf schemas (0: expected string, "
	    "got integer; 1: expected null, got integer)" },
	{ "{'anyOf':[{'properties':{'a':{'type':'string'}}},{'type':'null'}]}",
	    "{'a':1}",
	    "(root): matches none of the anyOf schemas (0: /a: expected "
	    "string, got integer; 1: expected null, got object)" },
	/* Branches are explained two levels deep, no deeper. */
	{ "{'anyOf':[{'anyOf':[{'anyOf':[{'type':'string'}]}]}]}", "1",
	    "(root): matches none of the anyOf schemas (0: matches none of the "
	    "anyOf schemas (0: matches none of the anyOf schemas))" },
	{ "{'anyOf':[{},{},{},{'type':'string'}]}", "1", NULL },
	{ "{'anyOf':[false,false,false,false]}", "1",
	    "(root): matches none of the anyOf schemas (0: no value is allowed "
	    "here (the schema is false); 1: no value is allowed here (the "
	    "schema is false); 2: no value is allowed here (the schema is "
	    "false); ...)" },
	{ "{'oneOf':[{'type':'integer'},{'minimum':0}]}", "3",
	    "(root): matches more than one of the oneOf schemas (0 and 1)" },
	{ "{'oneOf':[{'type':'integer'},{'minimum':0}]}", "-1", NULL },
	{ "{'oneOf':[{'type':'integer'},{'type':'string'}]}", "null",
	    "(root): matches none of the oneOf schemas (0: expected integer, "
	    "got null; 1: expected string, got null)" },
	{ "{'not':{'type':'string'}}", "'x'",
	    "(root): must not match {\"type\":\"string\"} (\"not\")" },
	{ "{'not':{'not':{'type':'string'}}}", "'x'", NULL },
	{ "{'if':{'properties':{'kind':{'const':'file'}}},"
	  "'then':{'required':['path']},'else':{'required':['url']}}",
	    "{'kind':'file'}", "(root): missing required property \"path\"" },
	{ "{'if':{'properties':{'kind':{'const':'file'}}},"
	  "'then':{'required':['path']},'else':{'required':['url']}}",
	    "{'kind':'link'}", "(root): missing required property \"url\"" },
	{ "{'propertyNames':{'pattern':'^[a-z]+$'}}", "{'ok':1,'Abc':1}",
	    "(root): property name \"Abc\" is invalid: does not match the "
	    "pattern \"^[a-z]+$\"" },
	{ "{'propertyNames':{'maxLength':2}}", "{'abc':1}",
	    "(root): property name \"abc\" is invalid: expected at most 2 "
	    "characters, got 3" },
	{ "{'dependentRequired':{'a':['b']}}", "{'a':1}",
	    "(root): property \"a\" requires property \"b\"" },
	{ "{'dependentRequired':{'a':['b']}}", "{'b':1}", NULL },
	{ "{'dependentSchemas':{'a':{'required':['b']}}}", "{'a':1}",
	    "(root): missing required property \"b\"" },
	{ "{'minProperties':2}", "{'a':1}",
	    "(root): expected at least 2 properties, got 1" },
	{ "{'maxProperties':1}", "{'a':1,'b':2}",
	    "(root): expected at most 1 property, got 2" },
	{ "{'contains':{'type':'integer'},'minContains':2}", "['a',1]",
	    "(root): expected at least 2 items matching \"contains\", got 1" },
	{ "{'contains':{'type':'integer'},'maxContains':1}", "[1,'a',2]",
	    "(root): expected at most 1 item matching \"contains\", got 2" },
	{ "{'contains':{'type':'integer'}}", "[]",
	    "(root): expected at least 1 item matching \"contains\", got 0" },
	{ "{'prefixItems':[{'type':'string'}],'items':false}", "['a',2]",
	    "(root): expected at most 1 item, got 2" },
	{ "{'prefixItems':[{'type':'string'}],'items':{'type':'integer'}}",
	    "['a',2,'b']", "/2: expected integer, got string" },
	{ "{'minItems':1}", "[]", "(root): expected at least 1 item, got 0" },
	{ "{'maxItems':1}", "[1,2]", "(root): expected at most 1 item, got 2" },
	/* Pointers escape ~ and /. */
	{ "{'properties':{'a/b':{'properties':{'c~d':{'type':'string'}}}}}",
	    "{'a/b':{'c~d':1}}", "/a~1b/c~0d: expected string, got integer" },
	{ "{'$defs':{'pos':{'type':'integer','minimum':0}},"
	  "'properties':{'line':{'$ref':'#/$defs/pos'}}}",
	    "{'line':-1}", "/line: expected a number >= 0, got -1" },
	{ "{'properties':{'x':false}}", "{'x':1}",
	    "/x: no value is allowed here (the schema is false)" },
	{ "false", "null",
	    "(root): no value is allowed here (the schema is false)" },
	{ "true", "{'a':[1,2,{'b':null}]}", NULL },
	{ "{}", "'anything'", NULL },
	{ "{'enum':[]}", "1", "(root): no value is allowed (empty enum)" },
	/* Long values are cut in messages. */
	{ "{'enum':['a']}",
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",
	    "(root): expected one of \"a\"; got "
	    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\"" },
	{ "{'definitions':{'x':{'type':'string'}},'$ref':'#/definitions/x'}",
	    "1", "(root): expected string, got integer" },
	{ "{'$id':'urn:x','properties':{'a':{'$ref':'urn:x#/$defs/s'}},"
	  "'$defs':{'s':{'type':'string'}}}",
	    "{'a':1}", "/a: expected string, got integer" },
	{ "{'$defs':{'a b':{'type':'string'},'c/d':{'type':'null'}},"
	  "'allOf':[{'$ref':'#/$defs/a%20b'},{'$ref':'#/$defs/c~1d'}]}",
	    "1",
	    "(root): expected string, got integer; (root): expected null, "
	    "got integer" },
	{ "{'$ref':'#/prefixItems/0','prefixItems':[{'type':'array'}]}", "1",
	    "(root): expected array, got integer" },
	/* A tree: "#" recursion, descending into the value. */
	{ "{'type':'object','properties':{'name':{'type':'string'},"
	  "'kids':{'type':'array','items':{'$ref':'#'}}},"
	  "'required':['name']}",
	    "{'name':'a','kids':[{'name':'b','kids':[{'kids':[]}]}]}",
	    "/kids/0/kids/0: missing required property \"name\"" },
	/* Annotations never fail. */
	{ "{'format':'email','title':'t','description':'d','default':3,"
	  "'examples':[1],'$comment':'c','deprecated':true,'readOnly':false,"
	  "'writeOnly':false,'$schema':'https://json-schema.org/draft/"
	  "2020-12/schema'}",
	    "'not an email'", NULL },
};

static void
test_validate(void **state)
{
	struct jsonschema *s;
	json_t *schema, *data;
	char *cause, *why;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof vcases / sizeof vcases[0]; i++) {
		schema = jt(vcases[i].schema);
		data = jt(vcases[i].data);
		why = NULL;
		s = jsonschema_compile(schema, &why);
		if (s == NULL)
			fail_msg("case %zu: %s: %s", i, vcases[i].schema, why);
		cause = NULL;
		r = jsonschema_validate(s, data, &cause);
		if (vcases[i].cause == NULL) {
			if (r != 0)
				fail_msg("case %zu: %s against %s: %s", i,
				    vcases[i].data, vcases[i].schema, cause);
			assert_null(cause);
		} else {
			if (r != -1 || cause == NULL)
				fail_msg("case %zu: %s against %s: valid", i,
				    vcases[i].data, vcases[i].schema);
			if (strcmp(cause, vcases[i].cause) != 0)
				fail_msg("case %zu: got\n  %s\nwant\n  %s", i,
				    cause, vcases[i].cause);
		}
		/* Without a cause: the same answer. */
		assert_int_equal(jsonschema_validate(s, data, NULL), r);
		free(cause);
		jsonschema_free(s);
		json_decref(schema);
		json_decref(data);
	}
}

/* A schema and the cause of its refusal. */
struct rcase {
	const char *schema;
	const char *cause;
};

static const struct rcase rcases[] = {
	{ "{'type':'string','$anchor':'x'}",
	    "#: unsupported keyword \"$anchor\" (anchors are not supported: "
	    "use \"$ref\": \"#/$defs/name\")" },
	{ "{'properties':{'a':{'unevaluatedProperties':false}}}",
	    "#/properties/a: unsupported keyword \"unevaluatedProperties\" "
	    "(not supported: use \"additionalProperties\")" },
	{ "{'typo':1}", "#: unsupported keyword \"typo\"" },
	{ "{'items':{'additionalItems':false}}",
	    "#/items: unsupported keyword \"additionalItems\" (draft 2019-09 "
	    "and older: use \"items\" after \"prefixItems\")" },
	{ "{'minLength':-1}", "#/minLength: must be a non-negative integer" },
	{ "{'minLength':1.5}", "#/minLength: must be a non-negative integer" },
	{ "{'maxItems':'3'}", "#/maxItems: must be a non-negative integer" },
	{ "{'minimum':'3'}", "#/minimum: must be a number" },
	{ "{'multipleOf':0}", "#/multipleOf: must be a number above 0" },
	{ "{'type':'strin'}",
	    "#/type: unknown type \"strin\" (one of null, boolean, object, "
	    "array, number, string, integer)" },
	{ "{'type':['string','string']}",
	    "#/type: item 1 is not a type name, or is repeated" },
	{ "{'type':[]}",
	    "#/type: must be a type name or a non-empty array of them" },
	{ "{'items':[{}]}",
	    "#/items: must be a schema (draft 2020-12 spells a tuple "
	    "\"prefixItems\")" },
	{ "{'properties':{'a':1}}",
	    "#/properties/a: a schema must be an object or a boolean" },
	{ "{'properties':[]}", "#/properties: must be an object of schemas" },
	{ "{'required':['a','a']}", "#/required: item 1 repeats item 0" },
	{ "{'required':[1]}", "#/required: item 0 is not a string" },
	{ "{'dependentRequired':{'a':'b'}}",
	    "#/dependentRequired/a: must be an array of strings" },
	{ "{'allOf':[]}", "#/allOf: must be a non-empty array of schemas" },
	{ "{'enum':1}", "#/enum: must be an array" },
	{ "{'uniqueItems':1}", "#/uniqueItems: must be true or false" },
	{ "{'properties':{'a':{'title':1}}}",
	    "#/properties/a/title: must be a string" },
	{ "{'examples':1}", "#/examples: must be an array" },
	{ "{'$schema':'http://example.com/my-meta'}",
	    "#/$schema: unknown meta-schema \"http://example.com/my-meta\" "
	    "(draft 2020-12 is supported)" },
	{ "1", "#: a schema must be an object or a boolean" },
	{ "{'pattern':'(?=a)'}",
	    "#/pattern: pattern \"(?=a)\": lookahead and lookbehind are not "
	    "supported at offset 1" },
	{ "{'patternProperties':{'\\\\p{L}':{}}}",
	    "#/patternProperties/\\p{L}: pattern \"\\p{L}\": Unicode "
	    "property escapes (\\p{...}) are not supported at offset 2" },
	{ "{'$ref':'other.json#/x'}",
	    "#/$ref: remote or relative \"$ref\": \"other.json#/x\" is not "
	    "supported (only same-document ones such as \"#/$defs/name\")" },
	{ "{'$ref':'#foo'}",
	    "#/$ref: anchor \"$ref\": \"#foo\" is not supported (use a JSON "
	    "pointer such as \"#/$defs/name\")" },
	{ "{'properties':{'a':{'$ref':'#/$defs/missing'}}}",
	    "#/properties/a/$ref: \"#/$defs/missing\" points nowhere" },
	{ "{'$ref':'#/$defs/%zz'}", "#/$ref: bad %-escape in \"#/$defs/%zz\"" },
	{ "{'$ref':'#/$defs/% 1'}", "#/$ref: bad %-escape in \"#/$defs/% 1\"" },
	{ "{'$ref':'#/$defs/%4'}", "#/$ref: bad %-escape in \"#/$defs/%4\"" },
	{ "{'$ref':'#/enum/0','enum':[1]}",
	    "#/$ref: \"#/enum/0\" points to a non-schema" },
	{ "{'$ref':'#/$defs/a~2'}", "#/$ref: \"#/$defs/a~2\" points nowhere" },
	{ "{'$defs':{'a':{'$ref':'#/$defs/b'},'b':{'$ref':'#/$defs/a'}},"
	  "'$ref':'#/$defs/a'}",
	    "#/$defs/a: a $ref loop that never descends into the value" },
	{ "{'$ref':'#'}", "#: a $ref loop that never descends into the value" },
	{ "{'anyOf':[{'type':'string'},{'$ref':'#'}]}",
	    "#: a $ref loop that never descends into the value" },
	{ "{'properties':{'a':{'$id':'x'}}}",
	    "#/properties/a/$id: \"$id\" below the root (an embedded "
	    "resource) is not supported" },
	{ "{'$ref':'#/$defs/a%20b','$defs':{'a b':{'minimum':'x'}}}",
	    "#/$defs/a b/minimum: must be a number" },
	/* A target the walk never met is compiled where the $ref says. */
	{ "{'$ref':'#/enum/0','enum':[{'minimum':'x'}]}",
	    "#/enum/0/minimum: must be a number" },
	{ "{'properties':{'a':{'$defs':{'b':{'$ref':'#/nowhere'}}}}}",
	    "#/properties/a/$defs/b/$ref: \"#/nowhere\" points nowhere" },
};

static void
test_refuse(void **state)
{
	struct jsonschema *s;
	json_t *schema;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
		schema = jt(rcases[i].schema);
		cause = NULL;
		s = jsonschema_compile(schema, &cause);
		if (s != NULL)
			fail_msg("case %zu: %s compiled", i, rcases[i].schema);
		if (cause == NULL || strcmp(cause, rcases[i].cause) != 0)
			fail_msg("case %zu: got\n  %s\nwant\n  %s", i, cause,
			    rcases[i].cause);
		free(cause);
		/* Without a cause too. */
		assert_null(jsonschema_compile(schema, NULL));
		json_decref(schema);
	}
	assert_null(jsonschema_compile(NULL, &cause));
	assert_string_equal(cause, "#: no schema");
	free(cause);
}

/* A pattern and a string: 1 must match, 0 must not. */
struct pcase {
	const char *pattern;
	const char *s;
	int match;
};

static const struct pcase pcases[] = {
	{ "^\\d+$", "123", 1 },
	{ "^\\d+$", "12a", 0 },
	{ "^\\d$", "\xd9\xa3", 0 }, /* ARABIC-INDIC DIGIT THREE */
	{ "^\\D$", "a", 1 },
	{ "^\\w+$", "a_Z9", 1 },
	{ "^\\w$", "\xc3\xa9", 0 },
	{ "^\\W$", "\xc3\xa9", 1 },
	{ "^\\s$", "\xc2\xa0", 1 },
	{ "^\\s$", "\xe2\x80\x83", 1 },
	{ "^\\s$", "\t", 1 },
	{ "^\\s$", "a", 0 },
	{ "^\\S$", "a", 1 },
	{ "^\\S$", " ", 0 },
	{ "^.$", "\n", 0 },
	{ "^.$", "\r", 0 },
	{ "^.$", "\xe2\x80\xa8", 0 },
	{ "^.$", "\xc3\xa9", 1 },
	{ "^.$", "\xf0\x9f\x90\xb2", 1 },
	{ "^..$", "\xf0\x9f\x90\xb2", 0 },
	{ "^[\\]a]$", "]", 1 },
	{ "^[\\]a]$", "a", 1 },
	{ "^[\\]a]$", "b", 0 },
	{ "^[\\^]$", "^", 1 },
	{ "^[\\^]$", "a", 0 },
	{ "^[\\^-]$", "-", 1 },
	{ "^[\\^-]$", "^", 1 },
	{ "^[^^]$", "^", 0 },
	{ "^[^^]$", "a", 1 },
	{ "^[\\-a]$", "-", 1 },
	{ "^[a-c-]$", "-", 1 },
	{ "^[a-c-]$", "b", 1 },
	{ "^[!-/]$", "-", 1 },
	{ "^[!-/]$", "0", 0 },
	{ "^[\\[]$", "[", 1 },
	{ "^[[]$", "[", 1 },
	{ "^[\\\\]$", "\\", 1 },
	{ "^[\\\\]$", "a", 0 },
	{ "^[\\]-a]$", "^", 1 },
	{ "^[\\]-a]$", "]", 1 },
	{ "^[\\]-a]$", "b", 0 },
	{ "^[\xc3\xa9-\xc3\xab]$", "\xc3\xaa", 1 },
	{ "^[\xc3\xa9-\xc3\xab]$", "e", 0 },
	{ "^[a-\xc3\xa9]$", "z", 1 },
	{ "^[a-\xc3\xa9]$", "\xc3\xa8", 1 },
	{ "^[^a-\xc3\xa9]$", "\xc3\xa8", 0 },
	{ "^[\\u0041-\\u0043]+$", "ABC", 1 },
	{ "^[\\dx]+$", "1x2", 1 },
	{ "^[^\\d]$", "a", 1 },
	{ "^[^\\d]$", "1", 0 },
	{ "^[\\s,]+$", " ,\t", 1 },
	{ "^[\\b]$", "\b", 1 },
	{ "^\\u00e9$", "\xc3\xa9", 1 },
	{ "^\\u{1F432}$", "\xf0\x9f\x90\xb2", 1 },
	{ "^\\uD83D\\uDC32$", "\xf0\x9f\x90\xb2", 1 },
	{ "^\\x41\\cJ$", "A\n", 1 },
	{ "^(?:ab)+$", "abab", 1 },
	{ "^(?:ab)+$", "aba", 0 },
	{ "^(?<x>a)b$", "ab", 1 },
	{ "^a+?$", "aaa", 1 },
	{ "^a{2,3}$", "aaaa", 0 },
	{ "^a{2,3}?$", "aaa", 1 },
	{ "^a{2,}$", "aaaaa", 1 },
	{ "^a{2}$", "aa", 1 },
	{ "a{", "a{", 1 },
	{ "^a{,2}$", "a{,2}", 1 },
	{ "^x}$", "x}", 1 },
	{ "^x]$", "x]", 1 },
	{ "\\bfoo\\b", "a foo", 1 },
	{ "\\bfoo\\b", "afoo", 0 },
	{ "\\Boo", "foo", 1 },
	{ "^\\.$", ".", 1 },
	{ "^\\.$", "a", 0 },
	{ "^a|b$", "xb", 1 },
	{ "^(a|)$", "", 1 },
	{ "^\\$\\{[a-z]+\\}$", "${abc}", 1 },
	{ "^\\/\\*\\+\\?\\(\\)\\|$", "/*+?()|", 1 },
	{ "^[$.*+?(){}|]+$", "$.*+?(){}|", 1 },
	{ "ab", "xxabxx", 1 },
	{ "^$", "", 1 },
	{ "^\\p", NULL, 0 }, /* refused */
	{ "(?=a)", NULL, 0 },
	{ "(?!a)", NULL, 0 },
	{ "(?<=a)b", NULL, 0 },
	{ "(?<!a)b", NULL, 0 },
	{ "(a)\\1", NULL, 0 },
	{ "(?<n>a)\\k<n>", NULL, 0 },
	{ "\\P{L}", NULL, 0 },
	{ "\\0", NULL, 0 },
	{ "\\u0000", NULL, 0 },
	{ "[]", NULL, 0 },
	{ "[^]", NULL, 0 },
	{ "[\\D]", NULL, 0 },
	{ "[a-\\d]", NULL, 0 },
	{ "[z-a]", NULL, 0 },
	{ "a**", NULL, 0 },
	{ "*a", NULL, 0 },
	{ "^*", NULL, 0 },
	{ "a{2}{3}", NULL, 0 },
	{ "{2}", NULL, 0 },
	{ "[\\u4e00-\\u9fff]", NULL, 0 },
	{ "(", NULL, 0 },
	{ ")", NULL, 0 },
	{ "[a", NULL, 0 },
	{ "a{2,1}", NULL, 0 },
	{ "a{1001}", NULL, 0 },
	{ "(a{100}){101}", NULL, 0 },
	{ "((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))"
	  "))))",
	    NULL, 0 },
	{ "\\q", NULL, 0 },
	{ "\\x4", NULL, 0 },
	{ "\\u12", NULL, 0 },
	{ "\\uD800", NULL, 0 },
	{ "(?x)", NULL, 0 },
	{ "a\\", NULL, 0 },
	{ "\\c1", NULL, 0 },
};

static void
test_patterns(void **state)
{
	struct jsonschema *s;
	json_t *schema, *data;
	char *cause;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
		schema = json_pack("{s:s}", "pattern", pcases[i].pattern);
		cause = NULL;
		s = jsonschema_compile(schema, &cause);
		if (pcases[i].s == NULL) {
			if (s != NULL)
				fail_msg("pattern %s compiled",
				    pcases[i].pattern);
			assert_int_equal(strncmp(cause, "#/pattern: pattern \"",
					     20),
			    0);
			free(cause);
			json_decref(schema);
			continue;
		}
		if (s == NULL)
			fail_msg("pattern %s: %s", pcases[i].pattern, cause);
		data = json_string(pcases[i].s);
		r = jsonschema_validate(s, data, NULL);
		if ((r == 0) != pcases[i].match)
			fail_msg("pattern %s on \"%s\": %s", pcases[i].pattern,
			    pcases[i].s, r == 0 ? "matched" : "no match");
		json_decref(data);
		jsonschema_free(s);
		json_decref(schema);
	}
}

/* A string with embedded NUL bytes still matches as a whole. */
static void
test_pattern_nul(void **state)
{
	struct jsonschema *s;
	json_t *schema = jt("{'pattern':'^a.b$','maxLength':3}");
	json_t *ok = json_stringn("a\0b", 3), *bad = json_stringn("a\0\0b", 4);
	char *cause = NULL;

	(void)state;
	s = jsonschema_compile(schema, &cause);
	assert_non_null(s);
	assert_int_equal(jsonschema_validate(s, ok, NULL), 0);
	assert_int_equal(jsonschema_validate(s, bad, &cause), -1);
	assert_string_equal(cause,
	    "(root): expected at most 3 characters, got 4; (root): does not "
	    "match the pattern \"^a.b$\"");
	free(cause);
	jsonschema_free(s);
	json_decref(schema);
	json_decref(ok);
	json_decref(bad);
}

/*
 * Patterns run in one pass: glibc alone retries (a|aa)*b at each offset,
 * about a minute for 200 KiB; here it is milliseconds (seconds under
 * valgrind at most).
 */
static void
test_pattern_linear(void **state)
{
	static const char *const patterns[] = { "(a|aa)*b", "(\\w+\\s?)*!",
		"(x+x+)+y" };
	struct jsonschema *s;
	struct timespec t0, t1;
	json_t *schema, *v;
	size_t n = 200000, i;
	char *text, *cause = NULL;
	double secs;

	(void)state;
	text = xmalloc(n + 2);
	memset(text, 'a', n);
	text[n] = '\0';
	v = json_string(text);
	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
		schema = json_pack("{s:s}", "pattern", patterns[i]);
		s = jsonschema_compile(schema, &cause);
		assert_non_null(s);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(jsonschema_validate(s, v, NULL), -1);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (secs > 10)
			fail_msg("%s took %.1f s", patterns[i], secs);
		jsonschema_free(s);
		json_decref(schema);
	}
	json_decref(v);
	/* And a match at the very end is found. */
	text[n] = 'b';
	text[n + 1] = '\0';
	v = json_string(text);
	schema = json_pack("{s:s}", "pattern", patterns[0]);
	s = jsonschema_compile(schema, &cause);
	assert_int_equal(jsonschema_validate(s, v, NULL), 0);
	jsonschema_free(s);
	json_decref(schema);
	json_decref(v);
	free(text);
}

/* [[[...]]] `depth` levels deep around 1. */
static json_t *
nested(int depth)
{
	json_t *v = json_integer(1), *a;

	while (depth-- > 0) {
		a = json_array();
		json_array_append_new(a, v);
		v = a;
	}
	return v;
}

static void
test_depth(void **state)
{
	struct jsonschema *s;
	json_t *schema = jt("{'anyOf':[{'type':'integer'},{'items':{'$ref':"
			    "'#'}}]}");
	json_t *v;
	char *cause = NULL;
	struct buf want;
	int i;

	(void)state;
	s = jsonschema_compile(schema, &cause);
	assert_non_null(s);
	v = nested(JSONSCHEMA_MAX_DEPTH);
	assert_int_equal(jsonschema_validate(s, v, &cause), 0);
	json_decref(v);
	v = nested(JSONSCHEMA_MAX_DEPTH + 1);
	assert_int_equal(jsonschema_validate(s, v, &cause), -1);
	buf_init(&want, BUF_NOCAP);
	for (i = 0; i <= JSONSCHEMA_MAX_DEPTH; i++)
		buf_adds(&want, "/0");
	buf_printf(&want, ": nested deeper than %d levels",
	    JSONSCHEMA_MAX_DEPTH);
	/* The limit wins over "not" and "anyOf": never valid. */
	assert_string_equal(cause, buf_str(&want));
	free(cause);
	assert_int_equal(jsonschema_validate(s, v, NULL), -1);
	jsonschema_free(s);
	json_decref(schema);

	schema = jt("{'not':{'items':{'items':{'$ref':'#'}}}}");
	s = jsonschema_compile(schema, &cause);
	assert_non_null(s);
	assert_int_equal(jsonschema_validate(s, v, NULL), -1);
	json_decref(v);
	v = nested(3);
	assert_int_equal(jsonschema_validate(s, v, NULL), 0);
	json_decref(v);
	v = nested(1);
	assert_int_equal(jsonschema_validate(s, v, NULL), -1);
	json_decref(v);
	v = jt("'x'");
	assert_int_equal(jsonschema_validate(s, v, NULL), -1);
	json_decref(v);
	jsonschema_free(s);
	json_decref(schema);
	buf_free(&want);
}

static void
test_steps(void **state)
{
	struct jsonschema *s;
	json_t *schema, *defs, *v;
	char name[16], ref[32], *cause = NULL;
	int i;

	(void)state;
	/* d0 applies d1 twice, d1 d2 twice...: 2^24 schemas for one value. */
	defs = json_object();
	for (i = 0; i < 24; i++) {
		snprintf(name, sizeof name, "d%d", i);
		snprintf(ref, sizeof ref, "#/$defs/d%d", i + 1);
		json_object_set_new(defs, name,
		    json_pack("{s:[{s:s},{s:s}]}", "allOf", "$ref", ref, "$ref",
			ref));
	}
	json_object_set_new(defs, "d24", json_pack("{s:s}", "type", "integer"));
	schema = json_pack("{s:o,s:s}", "$defs", defs, "$ref", "#/$defs/d0");
	s = jsonschema_compile(schema, &cause);
	assert_non_null(s);
	v = json_integer(1);
	assert_int_equal(jsonschema_validate(s, v, &cause), -1);
	assert_string_equal(cause,
	    "(root): validation stopped after 1000000 steps (the value or the "
	    "schema is too large)");
	free(cause);
	json_decref(v);
	jsonschema_free(s);
	json_decref(schema);

	/* uniqueItems on 100000 items: sorted hashes, not n^2. */
	schema = jt("{'uniqueItems':true}");
	s = jsonschema_compile(schema, &cause);
	v = json_array();
	for (i = 0; i < 100000; i++)
		json_array_append_new(v, json_integer(i));
	assert_int_equal(jsonschema_validate(s, v, &cause), 0);
	json_array_append_new(v, json_real(77777.0));
	assert_int_equal(jsonschema_validate(s, v, &cause), -1);
	assert_string_equal(cause, "(root): items 77777 and 100000 are equal");
	free(cause);
	json_decref(v);
	jsonschema_free(s);
	json_decref(schema);
}

static void
test_compile_limits(void **state)
{
	json_t *schema, *defs, *inner;
	char name[16], ref[32], *cause = NULL;
	int i;

	(void)state;
	/* A chain of 70 $refs on one value. */
	defs = json_object();
	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof name, "d%d", i);
		snprintf(ref, sizeof ref, "#/$defs/d%d", i + 1);
		json_object_set_new(defs, name,
		    json_pack("{s:s}", "$ref", ref));
	}
	json_object_set_new(defs, "d70", json_true());
	schema = json_pack("{s:o,s:s}", "$defs", defs, "$ref", "#/$defs/d0");
	assert_null(jsonschema_compile(schema, &cause));
	assert_non_null(strstr(cause,
	    "more than 64 schemas ($ref, allOf, "
	    "anyOf...) apply in a row to one value"));
	free(cause);
	json_decref(schema);

	/* Schemas nested 200 deep. */
	schema = json_object();
	for (i = 0; i < 200; i++) {
		inner = schema;
		schema = json_object();
		json_object_set_new(schema, "not", inner);
	}
	assert_null(jsonschema_compile(schema, &cause));
	assert_non_null(strstr(cause, ": schemas nested deeper than 128"));
	assert_int_equal(strncmp(cause, "#/not/not/not/", 14), 0);
	free(cause);
	json_decref(schema);
}

/* Every supported keyword with a value it accepts. */
static const struct {
	const char *keyword;
	const char *value;
} supported[] = {
	{ "type", "'string'" },
	{ "enum", "[1]" },
	{ "const", "null" },
	{ "minimum", "1" },
	{ "maximum", "1.5" },
	{ "exclusiveMinimum", "0" },
	{ "exclusiveMaximum", "0" },
	{ "multipleOf", "2" },
	{ "minLength", "1" },
	{ "maxLength", "1.0" },
	{ "pattern", "'a'" },
	{ "minItems", "0" },
	{ "maxItems", "3" },
	{ "uniqueItems", "true" },
	{ "prefixItems", "[{}]" },
	{ "items", "false" },
	{ "contains", "{}" },
	{ "minContains", "0" },
	{ "maxContains", "2" },
	{ "properties", "{'a':{}}" },
	{ "patternProperties", "{'^a':true}" },
	{ "additionalProperties", "{'type':'string'}" },
	{ "required", "['a']" },
	{ "minProperties", "1" },
	{ "maxProperties", "1" },
	{ "propertyNames", "{'maxLength':3}" },
	{ "dependentRequired", "{'a':['b']}" },
	{ "dependentSchemas", "{'a':{}}" },
	{ "allOf", "[{}]" },
	{ "anyOf", "[{}]" },
	{ "oneOf", "[{}]" },
	{ "not", "false" },
	{ "if", "true" },
	{ "then", "true" },
	{ "else", "true" },
	{ "$ref", "'#'" }, /* a loop alone: see below */
	{ "$defs", "{'a':{}}" },
	{ "definitions", "{'a':{}}" },
	{ "$id", "'urn:x'" },
	{ "$schema", "'https://json-schema.org/draft/2020-12/schema'" },
	{ "$comment", "'c'" },
	{ "title", "'t'" },
	{ "description", "'d'" },
	{ "format", "'uri'" },
	{ "default", "{}" },
	{ "examples", "[]" },
	{ "deprecated", "true" },
	{ "readOnly", "true" },
	{ "writeOnly", "false" },
};

/* Keywords of draft 2020-12 (and older spellings) refused. */
static const char *const unsupported[] = {
	"$anchor",
	"$dynamicRef",
	"$dynamicAnchor",
	"$recursiveRef",
	"$recursiveAnchor",
	"$vocabulary",
	"unevaluatedProperties",
	"unevaluatedItems",
	"contentEncoding",
	"contentMediaType",
	"contentSchema",
	"additionalItems",
	"dependencies",
};

#define NSUPPORTED (sizeof supported / sizeof supported[0])
#define NUNSUPPORTED (sizeof unsupported / sizeof unsupported[0])

static void
test_keywords(void **state)
{
	const char *const *list = jsonschema_supported();
	struct jsonschema *s;
	json_t *schema;
	char *text, *cause = NULL, *want;
	size_t i, j, n;

	(void)state;
	for (n = 0; list[n] != NULL; n++) {
		for (j = 0; j < NSUPPORTED; j++)
			if (strcmp(list[n], supported[j].keyword) == 0)
				break;
		if (j == NSUPPORTED)
			fail_msg("%s is supported but not in the test",
			    list[n]);
		for (j = 0; j < NUNSUPPORTED; j++)
			assert_string_not_equal(list[n], unsupported[j]);
	}
	assert_int_equal(n, NSUPPORTED);
	for (i = 0; i < NSUPPORTED; i++) {
		if (strcmp(supported[i].keyword, "$ref") == 0)
			xasprintf(&text,
			    "{'$ref':'#/$defs/a','$defs':{'a':{}}}");
		else
			xasprintf(&text, "{'%s':%s}", supported[i].keyword,
			    supported[i].value);
		schema = jt(text);
		if ((s = jsonschema_compile(schema, &cause)) == NULL)
			fail_msg("%s: %s", text, cause);
		jsonschema_free(s);
		json_decref(schema);
		free(text);
	}
	for (i = 0; i < NUNSUPPORTED; i++) {
		schema = json_pack("{s:b}", unsupported[i], 1);
		assert_null(jsonschema_compile(schema, &cause));
		xasprintf(&want, "#: unsupported keyword \"%s\" (",
		    unsupported[i]);
		assert_int_equal(strncmp(cause, want, strlen(want)), 0);
		free(want);
		free(cause);
		json_decref(schema);
	}
}

/* Several threads may share one compiled schema. */
static void
test_reuse(void **state)
{
	struct jsonschema *s;
	json_t *schema = jt("{'properties':{'a':{'pattern':'^x+$'}}}");
	json_t *good = jt("{'a':'xx'}"), *bad = jt("{'a':'xy'}");
	char *cause = NULL;
	int i;

	(void)state;
	s = jsonschema_compile(schema, &cause);
	json_decref(schema); /* the compiled schema keeps its reference */
	for (i = 0; i < 100; i++) {
		assert_int_equal(jsonschema_validate(s, good, NULL), 0);
		assert_int_equal(jsonschema_validate(s, bad, NULL), -1);
	}
	assert_int_equal(jsonschema_validate(s, NULL, &cause), -1);
	assert_string_equal(cause, "(root): no value");
	free(cause);
	jsonschema_free(s);
	jsonschema_free(NULL);
	json_decref(good);
	json_decref(bad);
}

/* ---- The JSON Schema Test Suite ---- */

/*
 * Cases that fail for a reason of the validator's design, by file and
 * case description.
 */
static const struct {
	const char *file;
	const char *desc;
	const char *why;
} deviations[] = {
	/* \p{...} needs Unicode tables POSIX regcomp() lacks: refused. */
	{ "pattern.json",
	    "pattern with Unicode property escape requires unicode mode",
	    "\\p{Letter}" },
	{ "patternProperties.json",
	    "patternProperties with Unicode property escape", "\\p{Letter}" },
};
#define NDEVIATIONS (sizeof deviations / sizeof deviations[0])

static const char *
corpus_dir(void)
{
	const char *d = getenv("OXIOS_JSONSCHEMA_TEST_DIR");

	return d != NULL && *d != '\0' ? d : JSONSCHEMA_TEST_DIR;
}

static int
corpus_deviation(const char *file, const char *desc, int *used)
{
	size_t i;

	for (i = 0; i < NDEVIATIONS; i++)
		if (strcmp(deviations[i].file, file) == 0 &&
		    strcmp(deviations[i].desc, desc) == 0) {
			used[i] = 1;
			return 1;
		}
	return 0;
}

/* A $ref the validator does not follow: remote, relative or an anchor. */
static int
corpus_foreign_ref(const char *ref, const char *root_id)
{
	size_t n = root_id != NULL ? strlen(root_id) : 0;

	if (n > 0 && strncmp(ref, root_id, n) == 0 &&
	    (ref[n] == '\0' || ref[n] == '#'))
		ref += n;
	if (*ref == '\0')
		return 0;
	return ref[0] != '#' || (ref[1] != '\0' && ref[1] != '/');
}

/* A "$schema" the validator knows: drafts 2020-12, 2019-09, 7 and 6. */
static int
corpus_known_meta(const char *uri)
{
	return strstr(uri, "json-schema.org/draft/2020-12/schema") != NULL ||
	    strstr(uri, "json-schema.org/draft/2019-09/schema") != NULL ||
	    strstr(uri, "json-schema.org/draft-07/schema") != NULL ||
	    strstr(uri, "json-schema.org/draft-06/schema") != NULL;
}

/* Whether a schema uses something the validator refuses. */
static int
corpus_unsupported(const json_t *v, const char *root_id, int root)
{
	const json_t *m;
	const char *key;
	size_t i;

	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			if (corpus_unsupported(json_array_get(v, i), root_id,
				0))
				return 1;
		return 0;
	}
	json_object_foreach((json_t *)v, key, m) {
		for (i = 0; i < NUNSUPPORTED; i++)
			if (strcmp(key, unsupported[i]) == 0)
				return 1;
		if (strcmp(key, "$ref") == 0 && json_is_string(m) &&
		    corpus_foreign_ref(json_string_value(m), root_id))
			return 1;
		if (strcmp(key, "$id") == 0 && json_is_string(m) && !root)
			return 1;
		if (strcmp(key, "$schema") == 0 && json_is_string(m) &&
		    !corpus_known_meta(json_string_value(m)))
			return 1;
		if (corpus_unsupported(m, root_id, 0))
			return 1;
	}
	return 0;
}

struct corpus_count {
	int passed, refused, deviated, failed;
};

static void
corpus_file(const char *dir, const char *file, int *used,
    struct corpus_count *all)
{
	struct corpus_count c = { 0, 0, 0, 0 };
	json_error_t jerr;
	struct jsonschema *s;
	json_t *doc, *cs, *test, *schema, *data;
	const char *desc, *id;
	char *path, *cause;
	size_t i, j;
	int expect, r, r2, dev, refuse;

	xasprintf(&path, "%s/%s", dir, file);
	doc = json_load_file(path, JSON_ALLOW_NUL, &jerr);
	if (doc == NULL) {
		fprintf(stderr, "FAIL %s: %s\n", file, jerr.text);
		all->failed++;
		free(path);
		return;
	}
	json_array_foreach(doc, i, cs) {
		desc = json_string_value(json_object_get(cs, "description"));
		schema = json_object_get(cs, "schema");
		id = json_string_value(json_object_get(schema, "$id"));
		refuse =
		    json_is_object(schema) && corpus_unsupported(schema, id, 1);
		dev = corpus_deviation(file, desc, used);
		cause = NULL;
		s = jsonschema_compile(schema, &cause);
		if (s == NULL) {
			if (refuse)
				c.refused += (int)json_array_size(
				    json_object_get(cs, "tests"));
			else if (dev)
				c.deviated++;
			else {
				fprintf(stderr, "FAIL %s \"%s\": refused: %s\n",
				    file, desc, cause);
				c.failed++;
			}
			free(cause);
			continue;
		}
		if (refuse) {
			fprintf(stderr,
			    "FAIL %s \"%s\": compiled, but uses something "
			    "refused\n",
			    file, desc);
			c.failed++;
		}
		json_array_foreach(json_object_get(cs, "tests"), j, test) {
			data = json_object_get(test, "data");
			expect = json_is_true(json_object_get(test, "valid"));
			cause = NULL;
			r = jsonschema_validate(s, data, &cause);
			r2 = jsonschema_validate(s, data, NULL);
			if ((r == 0) == expect && r2 == r &&
			    (r == 0 ? cause == NULL :
				      cause != NULL && cause[0] != '\0'))
				c.passed++;
			else if (dev)
				c.deviated++;
			else {
				fprintf(stderr,
				    "FAIL %s \"%s\" / \"%s\": want %s, got "
				    "%s%s%s\n",
				    file, desc,
				    json_string_value(
					json_object_get(test, "description")),
				    expect ? "valid" : "invalid",
				    r == 0 ? "valid" : "invalid",
				    cause != NULL ? ": " : "",
				    cause != NULL ? cause : "");
				c.failed++;
			}
			free(cause);
		}
		jsonschema_free(s);
	}
	fprintf(stderr,
	    "json-schema %-26s %3d passed, %3d refused (unsupported)%s\n", file,
	    c.passed, c.refused, c.deviated > 0 ? ", known deviations" : "");
	all->passed += c.passed;
	all->refused += c.refused;
	all->deviated += c.deviated;
	all->failed += c.failed;
	json_decref(doc);
	free(path);
}

static int
corpus_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_corpus_2020_12(void **state)
{
	const char *dir = corpus_dir();
	struct corpus_count all = { 0, 0, 0, 0 };
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i, len;
	int used[NDEVIATIONS] = { 0 };
	DIR *d;

	(void)state;
	d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr,
		    "JSON Schema Test Suite not found at %s (set "
		    "OXIOS_JSONSCHEMA_TEST_DIR); skipping\n",
		    dir);
		skip();
		return;
	}
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, corpus_name_cmp);
	for (i = 0; i < n; i++) {
		corpus_file(dir, names[i], used, &all);
		free(names[i]);
	}
	free(names);
	fprintf(stderr,
	    "json-schema 2020-12: %d passed, %d refused (unsupported), %d "
	    "known deviations, %d failed\n",
	    all.passed, all.refused, all.deviated, all.failed);
	for (i = 0; i < NDEVIATIONS; i++)
		if (!used[i])
			fail_msg("known deviation %s \"%s\" did not happen",
			    deviations[i].file, deviations[i].desc);
	assert_true(n >= 40);
	assert_true(all.passed >= 950);
	assert_int_equal(all.failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_refuse),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_pattern_nul),
		cmocka_unit_test(test_pattern_linear),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_compile_limits),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_corpus_2020_12),
	};
	struct stat st;

	/* cmocka prints no reason for a skipped test: say it here. */
	if (stat(corpus_dir(), &st) != 0 || !S_ISDIR(st.st_mode))
		fprintf(stderr,
		    "JSON Schema Test Suite not found at %s (set "
		    "OXIOS_JSONSCHEMA_TEST_DIR); its test is skipped\n",
		    corpus_dir());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
