
/*
 * Known-answer tests of the JSON helpers: the writer's exact output and
 * size, field paths and the body tree laid out from them, UTF-8
 * validation, the reader's successes and errors, and a round trip of
 * tricky values through the writer and the reader.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_precancel_json.h"
#include "tap.h"


#define NELTS(a)  (sizeof(a) / sizeof((a)[0]))

#define LEAF(k, v)                                                           \
    { (const unsigned char *) (k), sizeof(k) - 1, NULL, 0,                   \
      (const unsigned char *) (v), sizeof(v) - 1 }

#define NOVALUE(k)                                                           \
    { (const unsigned char *) (k), sizeof(k) - 1, NULL, 0, NULL, 0 }

#define OBJECT(k, c)                                                         \
    { (const unsigned char *) (k), sizeof(k) - 1, (c), NELTS(c), NULL, 0 }

#define ROOT(c)  { NULL, 0, (c), NELTS(c), NULL, 0 }


typedef ngx_http_precancel_json_node_t  node_t;
typedef ngx_http_precancel_json_want_t  want_t;
typedef ngx_http_precancel_json_path_t  path_t;


typedef struct {
    const char  *doc;
    size_t       len;
    const char  *err;
    long         off;
    const char  *name;
} bad_doc_t;


typedef struct {
    const char  *value;
    size_t       len;
    const char  *name;
} tricky_t;


/* a document read with up to four wants: its error and where, if any */
typedef struct {
    const char  *doc;
    const char  *paths[4];
    const char  *err;
    size_t       off;
    const char  *name;
} dup_doc_t;


static void test_writer(void);
static void test_writer_depth(void);
static void test_path(void);
static void test_tree(void);
static void test_utf8(void);
static void test_reader(void);
static void test_reader_errors(void);
static void test_reader_strings(void);
static void test_reader_bytes(void);
static void test_reader_paths(void);
static void test_reader_duplicates(void);
static void test_reader_many_wants(void);
static void test_nesting(void);
static void test_big(void);
static void test_round_trip(void);
static int check_write(const node_t *root, const char *expect, size_t len,
    const char *name);
static const char *parse(const char *doc, size_t len, want_t *wants,
    size_t n, size_t *off, unsigned char **scratch);
static int is_str(const want_t *w, const char *s, size_t len);
static int is_num(const want_t *w, const char *s);
static int round_trip(const unsigned char *v, size_t len);
static int path_is(const char *text, ngx_http_precancel_json_path_e expect,
    size_t nnames);
static int tree_is(const char **texts, const char **values, size_t n,
    const char *expect, size_t nnodes);
static int flat_is(node_t *nodes, const size_t *leaf, const char **values,
    size_t n, const char *expect);
static void show(const char *label, const unsigned char *s, size_t len);


int
main(void)
{
    test_writer();
    test_writer_depth();
    test_path();
    test_tree();
    test_utf8();
    test_reader();
    test_reader_errors();
    test_reader_strings();
    test_reader_bytes();
    test_reader_paths();
    test_reader_duplicates();
    test_reader_many_wants();
    test_nesting();
    test_big();
    test_round_trip();

    return tap_done();
}


static void
test_writer(void)
{
    static node_t  account[] = { LEAF("internal_id", "42") };
    static node_t  example_children[] = {
        LEAF("app_id", "A"),
        LEAF("subscription_id", "s1"),
        OBJECT("account", account),
        LEAF("timestamp", "2026-11-21T10:00:00Z"),
    };
    static node_t  example = ROOT(example_children);

    static node_t  quote[] = { LEAF("k", "a\"b") };
    static node_t  quote_root = ROOT(quote);
    static node_t  backslash[] = { LEAF("k", "a\\b/c") };
    static node_t  backslash_root = ROOT(backslash);
    static node_t  named[] = { LEAF("k", "\b\f\n\r\t") };
    static node_t  named_root = ROOT(named);
    static node_t  others[] = {
        LEAF("k", "\x01\x02\x07\x0b\x0e\x1b\x1f\x7f"),
        LEAF("nul", "\0"),
        LEAF("high", "\xc3\xa9\xe2\x82\xac"),
    };
    static node_t  others_root = ROOT(others);
    static node_t  inject[] = {
        LEAF("k", "\", \"app_id\": \"x"),
        LEAF("app_id", "A"),
    };
    static node_t  inject_root = ROOT(inject);
    static node_t  keys[] = { LEAF("a\"b\\c\n", "v") };
    static node_t  keys_root = ROOT(keys);

    static node_t  empty_account[] = {
        NOVALUE("internal_id"),
        { (const unsigned char *) "email", 5, NULL, 0,
          (const unsigned char *) "", 0 },
    };
    static node_t  empty_deeper[] = { OBJECT("inner", empty_account) };
    static node_t  omitted[] = {
        NOVALUE("first"),
        OBJECT("account", empty_account),
        LEAF("app_id", "A"),
        OBJECT("outer", empty_deeper),
        { (const unsigned char *) "none", 4, empty_account, 0, NULL, 0 },
        NOVALUE("last"),
        LEAF("z", "1"),
        NOVALUE("after"),
    };
    static node_t  omitted_root = ROOT(omitted);
    static node_t  all_omitted_root = ROOT(empty_deeper);
    static node_t  empty_root = { NULL, 0, NULL, 0, NULL, 0 };
    static node_t  no_children_root = { NULL, 0, account, 0, NULL, 0 };

    static node_t  level3[] = { LEAF("c", "d") };
    static node_t  level2[] = { OBJECT("b", level3), LEAF("b2", "x") };
    static node_t  level1[] = { OBJECT("a", level2), LEAF("e", "f") };
    static node_t  nested_root = ROOT(level1);

#define EXPECT(s)  s, sizeof(s) - 1

    check_write(&example, EXPECT("{\"app_id\":\"A\",\"subscription_id\":"
                                 "\"s1\",\"account\":{\"internal_id\":"
                                 "\"42\"},\"timestamp\":"
                                 "\"2026-11-21T10:00:00Z\"}"),
                "writer: spec example");
    check_write(&quote_root, EXPECT("{\"k\":\"a\\\"b\"}"),
                "writer: quote escaped");
    check_write(&backslash_root, EXPECT("{\"k\":\"a\\\\b/c\"}"),
                "writer: backslash escaped, slash not");
    check_write(&named_root, EXPECT("{\"k\":\"\\b\\f\\n\\r\\t\"}"),
                "writer: \\b \\f \\n \\r \\t");
    check_write(&others_root,
                EXPECT("{\"k\":\"\\u0001\\u0002\\u0007\\u000b\\u000e"
                       "\\u001b\\u001f\\u007f\",\"nul\":\"\\u0000\","
                       "\"high\":\"\xc3\xa9\xe2\x82\xac\"}"),
                "writer: other controls and 0x7f as \\u00xx, "
                "UTF-8 as is");
    check_write(&inject_root,
                EXPECT("{\"k\":\"\\\", \\\"app_id\\\": \\\"x\","
                       "\"app_id\":\"A\"}"),
                "writer: injected member stays inside one string");
    check_write(&keys_root, EXPECT("{\"a\\\"b\\\\c\\n\":\"v\"}"),
                "writer: keys escaped like values");
    check_write(&omitted_root,
                EXPECT("{\"app_id\":\"A\",\"z\":\"1\"}"),
                "writer: empty leaves and empty objects omitted");
    check_write(&all_omitted_root, EXPECT("{}"),
                "writer: root with only empty members is {}");
    check_write(&empty_root, EXPECT("{}"), "writer: empty root is {}");
    check_write(&no_children_root, EXPECT("{}"),
                "writer: root with zero children is {}");
    check_write(&nested_root,
                EXPECT("{\"a\":{\"b\":{\"c\":\"d\"},\"b2\":\"x\"},"
                       "\"e\":\"f\"}"),
                "writer: nested 3 levels");

#undef EXPECT

    tap_ok(ngx_http_precancel_json_escape_len((const unsigned char *)
                                              "a\"\x01", 3) == 9,
           "escape_len counts \\\" and \\u0001");
}


/*
 * precancel_field's path syntax, with the verdicts its error messages
 * depend on: a final "." is told apart from every other mistake.
 */

static void
test_path(void)
{
    path_t  a, b;

    static const char  *bad[] = {
        "", ".", "..", ".a", "a..b", "a b", "a!.b", "a.b!", "a/b",
        "\xc3\xa9", "a.\"b\"", "a.b.c.d.e.f.g.h.i", "a.b.c.d.e.f.g.h.i."
    };

    size_t  i;
    int     ok;

    tap_ok(path_is("subscription_id", NGX_HTTP_PRECANCEL_JSON_PATH_OK, 1),
           "path: one name");
    tap_ok(path_is("account.internal_id", NGX_HTTP_PRECANCEL_JSON_PATH_OK, 2),
           "path: two names");
    tap_ok(path_is("A-z_0.9-_.x", NGX_HTTP_PRECANCEL_JSON_PATH_OK, 3),
           "path: letters, digits, \"_\" and \"-\"");
    tap_ok(path_is("a.b.c.d.e.f.g.h", NGX_HTTP_PRECANCEL_JSON_PATH_OK, 8),
           "path: 8 names");

    tap_ok(path_is("a.", NGX_HTTP_PRECANCEL_JSON_PATH_TRAILING_DOT, 0)
           && path_is("a.b.c.d.e.f.g.h.",
                      NGX_HTTP_PRECANCEL_JSON_PATH_TRAILING_DOT, 0),
           "path: a final \".\" after a valid path");

    ok = 1;

    for (i = 0; i < NELTS(bad); i++) {
        if (!path_is(bad[i], NGX_HTTP_PRECANCEL_JSON_PATH_INVALID, 0)) {
            printf("# path \"%s\" not refused as invalid\n", bad[i]);
            ok = 0;
        }
    }

    tap_ok(ok, "path: empty names, other bytes, 9 names are invalid");

    /* the text is bytes, not a C string */

    tap_ok(ngx_http_precancel_json_path_parse((const unsigned char *) "a\0b",
                                              3, &a)
           == NGX_HTTP_PRECANCEL_JSON_PATH_INVALID,
           "path: a NUL byte is invalid");

    ok = ngx_http_precancel_json_path_parse((const unsigned char *) "ab.cd",
                                            5, &a)
         == NGX_HTTP_PRECANCEL_JSON_PATH_OK
         && a.nnames == 2
         && a.names[0].len == 2 && memcmp(a.names[0].data, "ab", 2) == 0
         && a.names[1].len == 2 && memcmp(a.names[1].data, "cd", 2) == 0;

    tap_ok(ok, "path: the names are the text's");

#define PATH(p, t)                                                           \
    ngx_http_precancel_json_path_parse((const unsigned char *) (t),          \
                                       sizeof(t) - 1, (p))

    (void) PATH(&a, "account.email");
    (void) PATH(&b, "account.email");
    tap_ok(ngx_http_precancel_json_path_overlap(&a, &b),
           "overlap: one path twice");

    (void) PATH(&b, "account");
    tap_ok(ngx_http_precancel_json_path_overlap(&a, &b)
           && ngx_http_precancel_json_path_overlap(&b, &a),
           "overlap: an object holding the other, either way");

    (void) PATH(&b, "account.email2");
    tap_ok(!ngx_http_precancel_json_path_overlap(&a, &b)
           && !ngx_http_precancel_json_path_overlap(&b, &a),
           "overlap: not a name that starts the same");

    (void) PATH(&b, "account.id");
    tap_ok(!ngx_http_precancel_json_path_overlap(&a, &b),
           "overlap: not siblings");

    (void) PATH(&b, "customer.email");
    tap_ok(!ngx_http_precancel_json_path_overlap(&a, &b),
           "overlap: not the same last name under another object");

#undef PATH
}


/*
 * The body tree as the module lays it out: app_id first, shared prefixes
 * one object, members in the order of their first path, timestamp last.
 */

static void
test_tree(void)
{
    static const char  *module[] = {
        "app_id", "subscription_id", "account.internal_id",
        "customer.x.y", "account.email", "account.meta.z", "timestamp"
    };
    static const char  *module_values[] = {
        "A", "s1", "42", "c", "e", "m", "T"
    };
    static const char  *empty_values[] = {
        "A", "", "42", "", "", "", "T"
    };
    static const char  *first_empty[] = {
        "", "s1", "42", "c", "e", "m", "T"
    };
    static const char  *escaped_values[] = {
        "a\"b", "\x01", "\\", "\"", "\xc3\xa9", "\n", "T"
    };
    static const char  *one[] = { "a.b.c.d.e.f.g.h" };
    static const char  *one_values[] = { "v" };

    tap_ok(tree_is(module, module_values, NELTS(module),
                   "{\"app_id\":\"A\",\"subscription_id\":\"s1\","
                   "\"account\":{\"internal_id\":\"42\",\"email\":\"e\","
                   "\"meta\":{\"z\":\"m\"}},\"customer\":{\"x\":{\"y\":"
                   "\"c\"}},\"timestamp\":\"T\"}", 12),
           "tree: shared objects, first-path order, 12 nodes of 14");

    tap_ok(tree_is(module, empty_values, NELTS(module),
                   "{\"app_id\":\"A\",\"account\":{\"internal_id\":\"42\"},"
                   "\"timestamp\":\"T\"}", 12),
           "tree: empty fields and the objects holding only them left out");

    tap_ok(tree_is(one, one_values, 1,
                   "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":"
                   "{\"h\":\"v\"}}}}}}}}", 9),
           "tree: one path of 8 names");

    tap_ok(tree_is(module, first_empty, NELTS(module),
                   "{\"subscription_id\":\"s1\","
                   "\"account\":{\"internal_id\":\"42\",\"email\":\"e\","
                   "\"meta\":{\"z\":\"m\"}},\"customer\":{\"x\":{\"y\":"
                   "\"c\"}},\"timestamp\":\"T\"}", 12),
           "tree and flat: an empty constant left out of both");

    tap_ok(tree_is(module, escaped_values, NELTS(module),
                   "{\"app_id\":\"a\\\"b\",\"subscription_id\":\"\\u0001\","
                   "\"account\":{\"internal_id\":\"\\\\\",\"email\":"
                   "\"\xc3\xa9\",\"meta\":{\"z\":\"\\n\"}},\"customer\":"
                   "{\"x\":{\"y\":\"\\\"\"}},\"timestamp\":\"T\"}", 12),
           "tree and flat: values escaped alike");

    tap_ok(tree_is(NULL, NULL, 0, "{}", 1), "tree: no path is {}");
}


/*
 * The writer leaves out objects deeper than the reader accepts: a chain
 * of 64 objects (the root included) is written and read back, one of 65
 * is left out, and the two passes agree either way.
 */

static void
test_writer_depth(void)
{
    char            path[256], *p;
    size_t          i, len, off;
    node_t          chain[NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH + 2];
    want_t          want;
    const char     *err;
    unsigned char  *buf, *end, *scratch;

    static const size_t  depths[] = { NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH,
                                      NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH + 1 };
    size_t               d, k;

    for (k = 0; k < NELTS(depths); k++) {
        d = depths[k];

        /* chain[0] is the root, chain[d - 1] the deepest object */

        memset(chain, 0, sizeof(chain));

        for (i = 0; i < d; i++) {
            chain[i].key = (const unsigned char *) "a";
            chain[i].key_len = 1;
            chain[i].children = &chain[i + 1];
            chain[i].nchildren = 1;
        }

        chain[d].key = (const unsigned char *) "v";
        chain[d].key_len = 1;
        chain[d].value = (const unsigned char *) "deep";
        chain[d].value_len = 4;

        len = ngx_http_precancel_json_len(&chain[0]);
        buf = malloc(len);
        end = ngx_http_precancel_json_write(buf, &chain[0]);

        if (d > NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH) {
            tap_ok((size_t) (end - buf) == len && len == 2
                   && memcmp(buf, "{}", 2) == 0,
                   "writer: 65 nested objects are left out");
            free(buf);
            continue;
        }

        p = path;

        for (i = 1; i < d; i++) {
            p = memcpy(p, "a.", 2);
            p += 2;
        }

        *p++ = 'v';
        *p = '\0';

        want.path = path;
        err = parse((char *) buf, len, &want, 1, &off, &scratch);

        tap_ok((size_t) (end - buf) == len && err == NULL
               && is_str(&want, "deep", 4),
               "writer: 64 nested objects written and read back");

        free(scratch);
        free(buf);
    }
}


static void
test_utf8(void)
{
    size_t  i;
    char    name[64];

    static const struct {
        const char  *s;
        size_t       len;
        int          valid;
    } cases[] = {
        { "", 0, 1 },
        { "plain ASCII ~\x7f", 14, 1 },
        { "\xc3\xa9", 2, 1 },
        { "\xe2\x82\xac", 3, 1 },
        { "\xf4\x8f\xbf\xbf", 4, 1 },
        { "\xc2\x80", 2, 1 },
        { "\xe0\xa0\x80", 3, 1 },
        { "\xed\x9f\xbf", 3, 1 },
        { "\xee\x80\x80", 3, 1 },
        { "\xf0\x90\x80\x80", 4, 1 },
        { "\xf0\x9f\x98\x80", 4, 1 },
        { "a\0b", 3, 1 },
        { "\xc0\xaf", 2, 0 },
        { "\xc1\xbf", 2, 0 },
        { "\xe0\x80\xaf", 3, 0 },
        { "\xe0\x9f\xbf", 3, 0 },
        { "\xf0\x80\x80\x80", 4, 0 },
        { "\xf0\x8f\xbf\xbf", 4, 0 },
        { "\xed\xa0\x80", 3, 0 },
        { "\xed\xbf\xbf", 3, 0 },
        { "\xf4\x90\x80\x80", 4, 0 },
        { "\xf5\x80\x80\x80", 4, 0 },
        { "\x80", 1, 0 },
        { "a\xbf", 2, 0 },
        { "\xe2\x82", 2, 0 },
        { "\xf0\x9f\x98", 3, 0 },
        { "\xc3", 1, 0 },
        { "\xc3\x41", 2, 0 },
        { "\xe2\x28\xac", 3, 0 },
        { "\xff", 1, 0 },
        { "\xfe", 1, 0 },
        /* past the eight-byte ASCII steps: in a word, after, at its end */
        { "12345678\xc3\xa9" "abcdefgh12345678", 26, 1 },
        { "1234567\xc3\xa9" "bcdefgh", 17, 1 },
        { "1234567\xc3", 8, 0 },
        { "12345678abcdefg\x80", 16, 0 },
        { "12345678abcdefgh\xe2\x82", 18, 0 },
        { "abc\xed\xa0\x80" "defghijkl", 15, 0 },
    };

    for (i = 0; i < NELTS(cases); i++) {
        snprintf(name, sizeof(name), "utf8_valid: case %zu is %s", i,
                 cases[i].valid ? "valid" : "invalid");

        tap_ok(ngx_http_precancel_utf8_valid((const unsigned char *)
                                             cases[i].s, cases[i].len)
               == cases[i].valid, name);
    }
}


static void
test_reader(void)
{
    size_t          i, off;
    want_t          w[6];
    const char     *err;
    unsigned char  *scratch;

#define DOC(s)  s, sizeof(s) - 1

    w[0].path = "valid";
    w[1].path = "message";
    w[2].path = "url";

    err = parse(DOC("{\"valid\": true, \"message\": "
                    "\"https:\\/\\/x.example.com\\/s\\/1\"}"),
                w, 3, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_TRUE
           && is_str(&w[1], "https://x.example.com/s/1", 25)
           && w[2].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[2].str == NULL && w[2].len == 0,
           "reader: valid, message with \\/ decoded, url absent");
    free(scratch);

    w[0].path = "m";
    w[1].path = "u";
    w[2].path = "s";
    w[3].path = "z";
    w[4].path = "e";

    err = parse(DOC("{\"m\":\"\\u00e9\",\"u\":\"\\u00C9\\u20ac\","
                    "\"s\":\"\\ud83d\\ude00\\uD83D\\uDE00\","
                    "\"z\":\"a\\u0000b\","
                    "\"e\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\x7f\xc3\xa9\"}"),
                w, 5, &off, &scratch);
    tap_ok(err == NULL && is_str(&w[0], "\xc3\xa9", 2),
           "reader: \\u00e9 is C3 A9");
    tap_ok(err == NULL && is_str(&w[1], "\xc3\x89\xe2\x82\xac", 5),
           "reader: \\u00C9\\u20ac in either case");
    tap_ok(err == NULL
           && is_str(&w[2], "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 8),
           "reader: surrogate pair \\ud83d\\ude00 is F0 9F 98 80");
    tap_ok(err == NULL && is_str(&w[3], "a\0b", 3),
           "reader: \\u0000 decodes to a NUL byte");
    tap_ok(err == NULL && is_str(&w[4], "\"\\/\b\f\n\r\t\x7f\xc3\xa9", 11),
           "reader: short escapes, DEL and UTF-8");
    free(scratch);

    w[0].path = "valid";
    w[1].path = "hosted_page.url";
    w[2].path = "hosted_page";
    w[3].path = "hosted_page.id.x";
    w[4].path = "other.url";
    w[5].path = "hosted_page.none";

    err = parse(DOC("{\"other\":{\"url\":\"o\",\"list\":[{\"url\":1}]},"
                    "\"valid\":false,\"hosted_page\":{\"id\":\"x\","
                    "\"deep\":{\"url\":\"no\"},"
                    "\"url\":\"https://h.example.com/p\"}}"),
                w, 6, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_FALSE
           && is_str(&w[1], "https://h.example.com/p", 23)
           && w[2].type == NGX_HTTP_PRECANCEL_JSON_OBJECT
           && w[3].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && is_str(&w[4], "o", 1)
           && w[5].type == NGX_HTTP_PRECANCEL_JSON_ABSENT && w[5].len == 0,
           "reader: nested hosted_page.url, and a string is no object");
    free(scratch);

    w[0].path = "a.url";
    w[1].path = "b.url";
    w[2].path = "c.url";
    w[3].path = "a";
    w[4].path = "b";
    w[5].path = "c";

    err = parse(DOC("{\"a\":[{\"url\":\"x\"}],\"b\":null,\"c\":\"s\"}"),
                w, 6, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[1].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[2].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[3].type == NGX_HTTP_PRECANCEL_JSON_ARRAY
           && w[4].type == NGX_HTTP_PRECANCEL_JSON_NULL
           && is_str(&w[5], "s", 1),
           "reader: a path crossing an array, null or string is absent");
    free(scratch);

    w[0].path = "n";
    w[1].path = "neg";
    w[2].path = "small";
    w[3].path = "big";
    w[4].path = "zero";

    err = parse(DOC("{\"n\": 12.5e3, \"neg\":-0,\"small\":0.5E-2,"
                    "\"big\":1E+20,\"zero\":0}"),
                w, 5, &off, &scratch);
    tap_ok(err == NULL && is_num(&w[0], "12.5e3") && is_num(&w[1], "-0")
           && is_num(&w[2], "0.5E-2") && is_num(&w[3], "1E+20")
           && is_num(&w[4], "0"),
           "reader: number text as in the input (12.5e3, -0, 0.5E-2, ...)");
    free(scratch);

    w[0].path = "valid";
    w[1].path = "a.b";

    err = parse(DOC("{\"x\":1,\"x\":2,\"o\":{\"valid\":1,\"valid\":2},"
                    "\"c\":{\"a\":{\"b\":1,\"b\":1}},\"valid\":true,"
                    "\"a\":{\"b\":2,\"c\":3,\"c\":4}}"),
                w, 2, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_TRUE
           && is_num(&w[1], "2"),
           "reader: duplicates of members nobody wants are allowed");
    free(scratch);

    w[0].path = "valid";

    err = parse(DOC(" \t\r\n{ \"valid\" :\n\ttrue\r\n} \n\t\r"),
                w, 1, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_TRUE,
           "reader: whitespace around and inside");
    free(scratch);

    err = parse(DOC("{\"\\u0076alid\":true}"), w, 1, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_TRUE,
           "reader: member names are compared decoded");
    free(scratch);

    for (i = 0; i < 3; i++) {
        w[i].type = NGX_HTTP_PRECANCEL_JSON_STRING;
        w[i].str = (const unsigned char *) "stale";
        w[i].len = 5;
    }

    w[0].path = "valid";
    w[1].path = "message";
    w[2].path = "url";

    err = parse(DOC("{}"), w, 3, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[1].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[2].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[0].str == NULL && w[2].len == 0,
           "reader: wants are reset to absent");
    free(scratch);

    err = parse(DOC("[{\"valid\":true}]"), w, 3, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_ABSENT,
           "reader: a root array has no members");
    free(scratch);

    err = parse(DOC("\"just a string\""), w, 3, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_ABSENT,
           "reader: a scalar document is accepted");
    free(scratch);

    err = parse(DOC("{\"a\":[],\"b\":{},\"c\":[1,[2,{\"d\":[]}],\"e\"],"
                    "\"f\":\"\"}"), w, 3, &off, &scratch);
    tap_ok(err == NULL, "reader: empty and mixed containers");
    free(scratch);

    w[0].path = "a";
    w[1].path = "a";

    err = parse(DOC("{\"a\":\"same\"}"), w, 2, &off, &scratch);
    tap_ok(err == NULL && is_str(&w[0], "same", 4)
           && is_str(&w[1], "same", 4),
           "reader: two wants of one path");
    free(scratch);

#undef DOC
}


static void
test_reader_errors(void)
{
    char            name[160];
    size_t          i, len, off;
    want_t          w[3];
    const char     *err;
    unsigned char  *scratch;

    static const char  dup[] = "duplicate member";
    static const char  num[] = "invalid number";
    static const char  unexpected[] = "unexpected character";

    static const bad_doc_t  docs[] = {
        { "", 0, "empty input", 0, "empty input" },
        { " \r\n\t", 0, "empty input", 4, "only whitespace" },
        { "{", 0, "unexpected end of input", 1, "truncated {" },
        { "{\"valid\": true", 0, "unexpected end of input", 14,
          "truncated after a member" },
        { "{\"valid\":", 0, "unexpected end of input", 9,
          "truncated after a colon" },
        { "{\"valid\": true}x", 0, "trailing data after JSON value", 15,
          "trailing data" },
        { "{} {}", 0, "trailing data after JSON value", 3,
          "two documents" },
        { "{\"a\":1}\0", 8, "trailing data after JSON value", 7,
          "trailing NUL" },
        { "{\"valid\": true, \"valid\": false}", 0, dup, 16,
          "duplicate wanted member" },
        { "{\"valid\": true, \"\\u0076alid\": false}", 0, dup, 16,
          "duplicate wanted member, spelt with an escape" },
        { "{\"hosted_page\":{},\"hosted_page\":{\"url\":\"x\"}}", 0, dup,
          18, "duplicate object on a wanted path" },
        { "{\"hosted_page\":{\"url\":\"a\"},\"x\":1,\"hosted_page\":1}", 0,
          dup, 33, "duplicate object after its wanted member" },
        { "{\"hosted_page\":1,\"hosted_page\":{\"url\":\"x\"}}", 0, dup, 17,
          "duplicate: a scalar then the wanted object" },
        { "{\"hosted_page\":{\"url\":\"a\",\"url\":\"b\"}}", 0, dup, 26,
          "duplicate wanted nested member" },
        { "{\"a\":01}", 0, num, 6, "leading zero" },
        { "{\"a\":-01}", 0, num, 7, "leading zero after minus" },
        { "{\"a\":.5}", 0, unexpected, 5, ".5" },
        { "{\"a\":1.}", 0, num, 7, "1." },
        { "{\"a\":1.e5}", 0, num, 7, "1.e5" },
        { "{\"a\":1e}", 0, num, 7, "1e" },
        { "{\"a\":1e+}", 0, num, 8, "1e+" },
        { "{\"a\":-}", 0, num, 6, "lone minus" },
        { "{\"a\":+1}", 0, unexpected, 5, "+1" },
        { "{\"a\":0x10}", 0, NULL, -1, "hex number" },
        { "{\"a\":NaN}", 0, NULL, -1, "NaN" },
        { "{\"a\":tru}", 0, "invalid literal", 5, "tru" },
        { "{\"a\":True}", 0, NULL, -1, "True" },
        { "{\"a\":nul", 0, NULL, -1, "truncated null" },
        { "{\"a\":truex}", 0, NULL, -1, "truex" },
        { "{'a':1}", 0, "expected member name", 1, "single quotes" },
        { "{a:1}", 0, "expected member name", 1, "bare member name" },
        { "{\"a\" 1}", 0, "expected ':'", 5, "missing colon" },
        { "{\"a\":1 \"b\":2}", 0, "expected ',' or '}'", 7,
          "missing comma" },
        { "{\"a\":1,}", 0, "expected member name", 7,
          "trailing comma in object" },
        { "[1,]", 0, unexpected, 3, "trailing comma in array" },
        { "[1 2]", 0, "expected ',' or ']'", 3, "missing comma in array" },
        { "{,}", 0, NULL, -1, "lone comma" },
        { "[}", 0, NULL, -1, "mismatched brackets" },
        { "{\"a\":1]", 0, NULL, -1, "object closed by ]" },
        { "{\"a\":\"x\x01y\"}", 0, "control character in string", 7,
          "raw control character in a string" },
        { "{\"a\":\"x\ny\"}", 0, "control character in string", 7,
          "raw newline in a string" },
        { "{\"a\x1f\":1}", 0, "control character in string", 3,
          "raw control character in a name" },
        { "{\"a\":\"x\xc3\"}", 0, "invalid UTF-8 in string", 7,
          "truncated UTF-8 in a string" },
        { "{\"a\":\"\xed\xa0\x80\"}", 0, "invalid UTF-8 in string", 6,
          "encoded surrogate in a string" },
        { "{\"a\":\"\xc0\xaf\"}", 0, "invalid UTF-8 in string", 6,
          "overlong form in a string" },
        { "{\"\xff\":1}", 0, "invalid UTF-8 in string", 2,
          "invalid UTF-8 in a name" },
        { "{\"a\":\"\\ud800\"}", 0, "lone surrogate in \\u escape", 6,
          "lone high surrogate \\ud800" },
        { "{\"a\":\"\\udc00\\ud800\"}", 0, NULL, 6,
          "low surrogate first" },
        { "{\"a\":\"\\ud800\\u0041\"}", 0, NULL, 6,
          "high surrogate then not a low one" },
        { "{\"a\":\"\\ud800\\n\"}", 0, NULL, 6,
          "high surrogate then another escape" },
        { "{\"a\":\"\\udbff\\ue000\"}", 0, NULL, 6,
          "high surrogate then U+E000, just above the low ones" },
        { "{\"a\":\"\\x\"}", 0, "invalid escape in string", 6,
          "bad escape \\x" },
        { "{\"a\":\"\\U00e9\"}", 0, NULL, 6, "bad escape \\U" },
        { "{\"a\":\"\\u12\"}", 0, "invalid \\u escape", 6,
          "short \\u escape" },
        { "{\"a\":\"\\u12g4\"}", 0, "invalid \\u escape", 6,
          "non-hex \\u escape" },
        { "{\"a\":\"abc", 0, "unterminated string", 9,
          "unterminated string" },
        { "{\"a\":\"abc\\", 0, "unterminated string", 10,
          "unterminated string after a backslash" },
        { "\xef\xbb\xbf{}", 0, unexpected, 0, "byte order mark" },
        { "\f{}", 0, unexpected, 0, "form feed is not whitespace" },
        { "{\"a\":\v1}", 0, unexpected, 5, "vertical tab" },
        { "]", 0, unexpected, 0, "lone ]" },
    };

    w[0].path = "valid";
    w[1].path = "hosted_page.url";
    w[2].path = "a";

    for (i = 0; i < NELTS(docs); i++) {
        len = docs[i].len ? docs[i].len : strlen(docs[i].doc);
        off = (size_t) -1;

        err = parse(docs[i].doc, len, w, 3, &off, &scratch);
        free(scratch);

        snprintf(name, sizeof(name), "reader error: %s%s%s%s", docs[i].name,
                 docs[i].err ? " (\"" : "",
                 docs[i].err ? docs[i].err : "",
                 docs[i].err ? "\")" : "");

        if (!tap_ok(err != NULL
                    && (docs[i].err == NULL || strcmp(err, docs[i].err) == 0)
                    && (docs[i].off < 0 || off == (size_t) docs[i].off)
                    && w[0].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
                    && w[2].type == NGX_HTTP_PRECANCEL_JSON_ABSENT,
                    name))
        {
            printf("# got \"%s\" at %zu\n", err ? err : "(success)", off);
        }
    }
}


/*
 * A wanted string without escapes is handed back as the input's own
 * bytes; one with an escape anywhere is decoded in scratch, at the
 * string's own offset there, with what came before the escape.
 */

static void
test_reader_strings(void)
{
    size_t          i, off;
    want_t          w[8];
    const char     *err;
    unsigned char  *scratch;

    static const char  doc[] =
        "{\"plain\":\"https://x.example.com/s?a=1&b=2\","
        "\"empty\":\"\","
        "\"utf8\":\"caf\xc3\xa9 \xe2\x82\xac\","
        "\"first\":\"\\u00e9t\xc3\xa9\","
        "\"last\":\"end\\n\","
        "\"middle\":\"\xc3\xa9t\xc3\xa9\\t\xe2\x82\xac x\\/y\","
        "\"only\":\"\\\"\\\\\","
        "\"pair\":\"a\\ud83d\\ude00b\"}";

    static const struct {
        const char  *path;
        const char  *value;
        size_t       len;
        int          in_input;
    } want[] = {
        { "plain", "https://x.example.com/s?a=1&b=2", 31, 1 },
        { "empty", "", 0, 1 },
        { "utf8", "caf\xc3\xa9 \xe2\x82\xac", 9, 1 },
        { "first", "\xc3\xa9t\xc3\xa9", 5, 0 },
        { "last", "end\n", 4, 0 },
        { "middle", "\xc3\xa9t\xc3\xa9\t\xe2\x82\xac x/y", 13, 0 },
        { "only", "\"\\", 2, 0 },
        { "pair", "a\xf0\x9f\x98\x80" "b", 6, 0 },
    };

    for (i = 0; i < NELTS(want); i++) {
        w[i].path = want[i].path;
    }

    err = parse(doc, sizeof(doc) - 1, w, NELTS(want), &off, &scratch);

    for (i = 0; i < NELTS(want); i++) {
        char  name[96];

        snprintf(name, sizeof(name), "reader: string \"%s\" decoded, in %s",
                 want[i].path, want[i].in_input ? "the input" : "scratch");

        tap_ok(err == NULL && is_str(&w[i], want[i].value, want[i].len)
               && (want[i].in_input
                   ? (w[i].str > (const unsigned char *) doc
                      && w[i].str + w[i].len
                         < (const unsigned char *) doc + sizeof(doc) - 1)
                   : (w[i].str > scratch
                      && w[i].str + w[i].len < scratch + sizeof(doc) - 1)),
               name);
    }

    free(scratch);
}


/*
 * Every byte value at each of the first 20 places of a string 21 bytes
 * long, so in each place of the reader's eight-byte steps and in the
 * bytes after them: what it makes of each is what a byte at a time
 * would.
 */

static void
test_reader_bytes(void)
{
    char            doc[64], name[96];
    size_t          b, k, off, len, failed;
    want_t          w;
    const char     *err, *expect;
    unsigned char  *scratch;

    failed = 0;

    for (k = 0; k < 20; k++) {
        for (b = 0; b < 256; b++) {
            /* {"a":"xxxxxxxxxxxxxxxxxxxxx"}, byte k of the string b */

            memcpy(doc, "{\"a\":\"", 6);
            memset(doc + 6, 'x', 21);
            doc[6 + k] = (char) b;
            memcpy(doc + 27, "\"}", 2);
            len = 29;

            if (b == '"') {
                expect = "expected ',' or '}'";

            } else if (b == '\\') {
                expect = "invalid escape in string";

            } else if (b < 0x20) {
                expect = "control character in string";

            } else if (b >= 0x80) {
                expect = "invalid UTF-8 in string";

            } else {
                expect = NULL;
            }

            w.path = "a";
            off = (size_t) -1;

            err = parse(doc, len, &w, 1, &off, &scratch);

            if (expect == NULL
                ? !(err == NULL && w.type == NGX_HTTP_PRECANCEL_JSON_STRING
                    && w.len == 21 && memcmp(w.str, doc + 6, 21) == 0)
                : !(err != NULL && strcmp(err, expect) == 0
                    && off == 6 + k + (b == '"')))
            {
                if (failed++ < 5) {
                    snprintf(name, sizeof(name), "byte 0x%02zx at %zu: %s",
                             b, k, err ? err : "(success)");
                    tap_diag(name);
                }
            }

            free(scratch);
        }
    }

    tap_ok(failed == 0, "reader: every byte at each of 20 places of a string");
}


/*
 * Paths sharing their first names, names spelt with escapes or holding
 * a dot or a NUL byte, and empty names: each member is compared with the
 * next name of the paths leading into its object, and only with that.
 */

static void
test_reader_paths(void)
{
    size_t          off;
    want_t          w[8];
    const char     *err;
    unsigned char  *scratch;

#define DOC(s)  s, sizeof(s) - 1

    w[0].path = "a.b";
    w[1].path = "a.c";
    w[2].path = "a";
    w[3].path = "a.b.c";
    w[4].path = "ab";
    w[5].path = "a.bc";
    w[6].path = "b";
    w[7].path = "a.b.c.d";

    err = parse(DOC("{\"a\":{\"b\":{\"c\":\"deep\"},\"c\":2,\"bc\":true,"
                    "\"d\":{\"b\":1}},\"ab\":null,\"b\":[\"x\"]}"),
                w, 8, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_OBJECT
           && is_num(&w[1], "2")
           && w[2].type == NGX_HTTP_PRECANCEL_JSON_OBJECT
           && is_str(&w[3], "deep", 4)
           && w[4].type == NGX_HTTP_PRECANCEL_JSON_NULL
           && w[5].type == NGX_HTTP_PRECANCEL_JSON_TRUE
           && w[6].type == NGX_HTTP_PRECANCEL_JSON_ARRAY
           && w[7].type == NGX_HTTP_PRECANCEL_JSON_ABSENT && w[7].len == 0,
           "reader: paths sharing first names (a.b, a.c, a, a.b.c, ab, a.bc)");
    free(scratch);

    w[0].path = "a.b";
    w[1].path = "a\\u0062";
    w[2].path = "\\u0061.b";

    err = parse(DOC("{\"\\u0061\":{\"\\u0062\":\"v\\u00e9\"}}"),
                w, 3, &off, &scratch);
    tap_ok(err == NULL && is_str(&w[0], "v\xc3\xa9", 3)
           && w[1].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[2].type == NGX_HTTP_PRECANCEL_JSON_ABSENT,
           "reader: path members spelt with escapes, paths never decoded");
    free(scratch);

    w[0].path = "a.b";
    w[1].path = "a";

    err = parse(DOC("{\"a.b\":1,\"a\\u002eb\":2,\"a\\u0000\":3,"
                    "\"a\":{\"b\\u0000\":4,\"b.\":5,\"b\":6}}"),
                w, 2, &off, &scratch);
    tap_ok(err == NULL && is_num(&w[0], "6")
           && w[1].type == NGX_HTTP_PRECANCEL_JSON_OBJECT,
           "reader: a name with a dot or a NUL byte is no path member");
    free(scratch);

    w[0].path = "";
    w[1].path = "a.";
    w[2].path = ".b";
    w[3].path = "a..b";
    w[4].path = ".";

    err = parse(DOC("{\"\":{\"b\":true,\"\":1},"
                    "\"a\":{\"\":{\"b\":\"x\"}}}"),
                w, 5, &off, &scratch);
    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_OBJECT
           && w[1].type == NGX_HTTP_PRECANCEL_JSON_OBJECT
           && w[2].type == NGX_HTTP_PRECANCEL_JSON_TRUE
           && is_str(&w[3], "x", 1)
           && is_num(&w[4], "1"),
           "reader: empty names in paths match empty member names");
    free(scratch);

    w[0].path = "hosted_page.url";
    w[1].path = "api_error_code";
    w[2].path = "message";
    w[3].path = "hosted_page.id";
    w[4].path = "hosted_page.embed";
    w[5].path = "hosted_page.expires_at";

    err = parse(DOC("{\"hosted_page\":{\"id\":\"hp_1\",\"type\":\"pre_cancel\","
                    "\"url\":\"https://a.example.com/p/hp_1/\","
                    "\"state\":\"created\",\"embed\":false,"
                    "\"created_at\":1700000000,\"expires_at\":1700003600,"
                    "\"object\":\"hosted_page\"}}"),
                w, 6, &off, &scratch);
    tap_ok(err == NULL && is_str(&w[0], "https://a.example.com/p/hp_1/", 29)
           && w[1].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && w[2].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && is_str(&w[3], "hp_1", 4)
           && w[4].type == NGX_HTTP_PRECANCEL_JSON_FALSE
           && is_num(&w[5], "1700003600"),
           "reader: six wants in a Chargebee hosted page");
    free(scratch);

#undef DOC
}


/* duplicates on wanted paths, at each depth of the path */

static void
test_reader_duplicates(void)
{
    char            name[160];
    size_t          i, n, off;
    want_t          w[4];
    const char     *err;
    unsigned char  *scratch;

    static const char  dup[] = "duplicate member";

    static const dup_doc_t  docs[] = {
        { "{\"a\":{\"b\":{\"c\":1,\"c\":2}}}", { "a.b.c", "x" }, dup, 17,
          "at depth 3, the wanted member" },
        { "{\"a\":{\"b\":{\"c\":1},\"b\":{}}}", { "a.b.c", "x" }, dup, 18,
          "at depth 2, after the wanted member" },
        { "{\"a\":{\"b\":{\"c\":1}},\"a\":1}", { "a.b.c", "x" }, dup, 19,
          "at depth 1, after the wanted member" },
        { "{\"a\":{\"b\":{\"d\":1}},\"a\":{}}", { "a.b.c", "x" }, dup, 19,
          "at depth 1, the wanted member absent" },
        { "{\"a\":{\"b\":1,\"b\":2}}", { "a.b.c", "x" }, dup, 12,
          "at depth 2, a scalar where the path goes on" },
        { "{\"a\":{\"x\":{\"c\":1},\"x\":{\"c\":2}}}", { "a.b.c", "x" }, NULL,
          0, "none: a repeated member off the path" },
        { "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}", { "a.b", "a.c" }, dup, 18,
          "a.b repeated after a.c" },
        { "{\"a\":{\"c\":1},\"a\":{\"b\":2}}", { "a.b", "a.c" }, dup, 13,
          "a repeated: a.c found in the first, a.b in the second" },
        { "{\"a\":{\"b\":{},\"c\":{}},\"b\":{\"a\":1,\"a\":2}}",
          { "a.b", "a.c", "b.a", "c" }, dup, 32, "b.a repeated, four wants" },
        { "{\"a\":{\"b\":{},\"c\":{}},\"b\":{\"a\":1,\"c\":2}}",
          { "a.b", "a.c", "b.a", "b.c" }, NULL, 0,
          "none: four wants, each once" },
        { "{\"a\":1,\"a\":2}", { "a", "a" }, dup, 7,
          "two wants of one path" },
    };

    for (i = 0; i < NELTS(docs); i++) {
        for (n = 0; n < 4 && docs[i].paths[n]; n++) {
            w[n].path = docs[i].paths[n];
        }

        off = (size_t) -1;

        err = parse(docs[i].doc, strlen(docs[i].doc), w, n, &off, &scratch);
        free(scratch);

        snprintf(name, sizeof(name), "reader duplicates: %s", docs[i].name);

        if (!tap_ok(docs[i].err
                    ? (err != NULL && strcmp(err, docs[i].err) == 0
                       && off == docs[i].off)
                    : err == NULL,
                    name))
        {
            printf("# got \"%s\" at %zu\n", err ? err : "(success)", off);
        }
    }
}


/*
 * More wants than a level holds as bits: the wants past the 64th are
 * matched by their paths' first names as the others are.
 */

static void
test_reader_many_wants(void)
{
    char            filler[64][16];
    size_t          i, off;
    want_t          w[70];
    const char     *err;
    unsigned char  *scratch;

#define DOC(s)  s, sizeof(s) - 1

    for (i = 0; i < 64; i++) {
        snprintf(filler[i], sizeof(filler[i]), "f%zu.x", i);
        w[i].path = filler[i];
    }

    w[1].path = "a.b";
    w[64].path = "a.b";
    w[65].path = "a.c";
    w[66].path = "a";
    w[67].path = "a.b.c";
    w[68].path = "f1.x";
    w[69].path = "c";

    err = parse(DOC("{\"f1\":{\"x\":\"f\"},\"a\":{\"b\":1,\"c\":\"s\"},"
                    "\"c\":{\"a\":{\"b\":2}}}"),
                w, 70, &off, &scratch);
    tap_ok(err == NULL && is_num(&w[1], "1") && is_num(&w[64], "1")
           && is_str(&w[65], "s", 1)
           && w[66].type == NGX_HTTP_PRECANCEL_JSON_OBJECT
           && w[67].type == NGX_HTTP_PRECANCEL_JSON_ABSENT
           && is_str(&w[68], "f", 1)
           && w[69].type == NGX_HTTP_PRECANCEL_JSON_OBJECT
           && w[0].type == NGX_HTTP_PRECANCEL_JSON_ABSENT,
           "reader: 70 wants, those past the 64th found as the others");
    free(scratch);

    w[1].path = "f1.x";

    err = parse(DOC("{\"a\":{\"b\":1},\"a\":2}"), w, 70, &off, &scratch);
    tap_ok(err != NULL && strcmp(err, "duplicate member") == 0 && off == 13,
           "reader: 70 wants, a duplicate on the path of the 65th");
    free(scratch);

    err = parse(DOC("{\"a\":{\"c\":1,\"c\":2}}"), w, 70, &off, &scratch);
    tap_ok(err != NULL && strcmp(err, "duplicate member") == 0 && off == 12,
           "reader: 70 wants, a duplicate of the 66th's member");
    free(scratch);

#undef DOC
}


static void
test_nesting(void)
{
    char           *doc;
    size_t          n, off, d;
    want_t          w;
    const char     *err;
    unsigned char  *scratch;

    n = 10000;
    doc = malloc(n);
    memset(doc, '[', n);
    w.path = "a";

    err = parse(doc, n, &w, 1, &off, &scratch);
    tap_ok(err != NULL && strcmp(err, "nesting too deep") == 0
           && off == NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH,
           "reader: 10 000 [ is nesting too deep, at byte 64");
    free(scratch);
    free(doc);

    for (d = NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH;
         d <= NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH + 1;
         d++)
    {
        doc = malloc(2 * d);
        memset(doc, '[', d);
        memset(doc + d, ']', d);

        err = parse(doc, 2 * d, &w, 1, &off, &scratch);
        free(scratch);
        free(doc);

        if (d == NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH) {
            tap_ok(err == NULL, "reader: 64 nested arrays pass");

        } else {
            tap_ok(err != NULL && strcmp(err, "nesting too deep") == 0,
                   "reader: 65 nested arrays fail");
        }

        /* {"a":{"a":...{"a":1}...}} */

        doc = malloc(6 * d + 1);
        for (n = 0; n < d; n++) {
            memcpy(doc + 5 * n, "{\"a\":", 5);
        }

        doc[5 * d] = '1';
        memset(doc + 5 * d + 1, '}', d);

        err = parse(doc, 6 * d + 1, &w, 1, &off, &scratch);
        free(scratch);
        free(doc);

        if (d == NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH) {
            tap_ok(err == NULL && w.type == NGX_HTTP_PRECANCEL_JSON_OBJECT,
                   "reader: 64 nested objects pass");

        } else {
            tap_ok(err != NULL && strcmp(err, "nesting too deep") == 0,
                   "reader: 65 nested objects fail");
        }
    }
}


/* a 1 MB reply with its wanted members after much else */

static void
test_big(void)
{
    char            *doc, *p;
    size_t           size, off;
    want_t           w[2];
    const char      *err;
    unsigned char   *scratch;

    static const char  item[] =
        "{\"id\":12345,\"name\":\"caf\\u00e9 \xe2\x82\xac\",\"ok\":true,"
        "\"list\":[1,2.5,-3e2,null,false,\"x\"],\"url\":\"no\"},\n";

    size = 1024 * 1024;
    doc = malloc(size);
    p = doc;

    p += sprintf(p, "{\"items\":[");

    while ((size_t) (p - doc) < size - sizeof(item) - 64) {
        memcpy(p, item, sizeof(item) - 1);
        p += sizeof(item) - 1;
    }

    p += sprintf(p, "{}],\"valid\":true,\"url\":\"https://x/");

    while ((size_t) (p - doc) < size - 2) {
        *p++ = 'u';
    }

    *p++ = '"';
    *p++ = '}';

    w[0].path = "valid";
    w[1].path = "url";

    err = parse(doc, size, w, 2, &off, &scratch);

    tap_ok(err == NULL && w[0].type == NGX_HTTP_PRECANCEL_JSON_TRUE
           && w[1].type == NGX_HTTP_PRECANCEL_JSON_STRING
           && w[1].len > 10 && memcmp(w[1].str, "https://x/uu", 12) == 0,
           "reader: a 1 MB document parses");

    if (err) {
        printf("# %s at %zu\n", err, off);
    }

    free(scratch);
    free(doc);
}


static void
test_round_trip(void)
{
    size_t         i, failed;
    char           name[96];
    unsigned char  all[128], one;

    static const tricky_t  values[] = {
        { "plain", 5, "plain" },
        { "\"", 1, "a quote" },
        { "\\", 1, "a backslash" },
        { "\\\"\\\\\"", 5, "backslashes and quotes" },
        { "\", \"app_id\": \"x", 16, "an injected member" },
        { "a\0b", 3, "a NUL byte" },
        { "\b\f\n\r\t\x01\x1f\x7f", 8, "control characters and DEL" },
        { "\\u0041\\n", 8, "escape-like text" },
        { "</script>/\\/", 12, "slashes" },
        { "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 13,
          "multi-byte UTF-8 up to U+10FFFF" },
        { "\xef\xbb\xbf\xed\x9f\xbf\xee\x80\x80", 9,
          "BOM and the code points next to surrogates" },
        { " ", 1, "a space" },
    };

    for (i = 0; i < NELTS(values); i++) {
        snprintf(name, sizeof(name), "round trip: %s", values[i].name);
        tap_ok(round_trip((const unsigned char *) values[i].value,
                          values[i].len),
               name);
    }

    for (i = 0; i < 127; i++) {
        all[i] = (unsigned char) (i + 1);
    }

    tap_ok(round_trip(all, 127), "round trip: all bytes 0x01..0x7f");

    failed = 0;

    for (i = 0; i < 128; i++) {
        one = (unsigned char) i;

        if (!round_trip(&one, 1)) {
            failed++;
        }
    }

    tap_ok(failed == 0, "round trip: each byte 0x00..0x7f alone");
}


/* writes a tree with v in every leaf, reads every leaf back */

static int
round_trip(const unsigned char *v, size_t len)
{
    int             ok;
    size_t          i, n, off;
    want_t          w[6];
    node_t          meta[1], account[2], children[5], root;
    const char     *err;
    unsigned char  *buf, *end, *scratch;

    static const char  *paths[] = {
        "app_id", "subscription_id", "account.internal_id",
        "account.meta.x", "k\"ey\\\x01", "account.meta"
    };

    memset(meta, 0, sizeof(meta));
    memset(account, 0, sizeof(account));
    memset(children, 0, sizeof(children));
    memset(&root, 0, sizeof(root));

    meta[0].key = (const unsigned char *) "x";
    meta[0].key_len = 1;

    account[0].key = (const unsigned char *) "internal_id";
    account[0].key_len = 11;
    account[1].key = (const unsigned char *) "meta";
    account[1].key_len = 4;
    account[1].children = meta;
    account[1].nchildren = 1;

    children[0].key = (const unsigned char *) "app_id";
    children[0].key_len = 6;
    children[1].key = (const unsigned char *) "subscription_id";
    children[1].key_len = 15;
    children[2].key = (const unsigned char *) "account";
    children[2].key_len = 7;
    children[2].children = account;
    children[2].nchildren = 2;
    children[3].key = (const unsigned char *) "k\"ey\\\x01";
    children[3].key_len = 6;
    children[4].key = (const unsigned char *) "empty";
    children[4].key_len = 5;

    root.children = children;
    root.nchildren = 5;

    meta[0].value = v;
    meta[0].value_len = len;
    account[0].value = v;
    account[0].value_len = len;
    children[0].value = v;
    children[0].value_len = len;
    children[1].value = v;
    children[1].value_len = len;
    children[3].value = v;
    children[3].value_len = len;

    n = ngx_http_precancel_json_len(&root);
    buf = malloc(n);
    end = ngx_http_precancel_json_write(buf, &root);

    for (i = 0; i < NELTS(paths); i++) {
        w[i].path = paths[i];
    }

    err = parse((char *) buf, n, w, NELTS(paths), &off, &scratch);

    ok = (size_t) (end - buf) == n
         && ngx_http_precancel_utf8_valid(buf, n)
         && err == NULL
         && w[5].type == NGX_HTTP_PRECANCEL_JSON_OBJECT;

    for (i = 0; ok && i < 5; i++) {
        ok = w[i].type == NGX_HTTP_PRECANCEL_JSON_STRING
             && w[i].len == len && memcmp(w[i].str, v, len) == 0;
    }

    if (!ok) {
        show("value", v, len);
        show("json", buf, (size_t) (end - buf));
        printf("# error: %s\n", err ? err : "(none)");
    }

    free(scratch);
    free(buf);

    return ok;
}


static int
path_is(const char *text, ngx_http_precancel_json_path_e expect,
    size_t nnames)
{
    path_t                           path;
    ngx_http_precancel_json_path_e   rc;

    rc = ngx_http_precancel_json_path_parse((const unsigned char *) text,
                                            strlen(text), &path);

    return rc == expect
           && (rc != NGX_HTTP_PRECANCEL_JSON_PATH_OK || path.nnames == nnames);
}


/*
 * Lays out the tree of n paths with value[i] at the leaf of texts[i], in
 * arrays of exactly tree_size() entries, and compares what it writes.
 */

static int
tree_is(const char **texts, const char **values, size_t n,
    const char *expect, size_t nnodes)
{
    int                              ok;
    size_t                           i, j, size, used, len, leaf[16];
    path_t                           paths[16];
    node_t                          *nodes;
    unsigned char                   *buf, *end;
    ngx_http_precancel_json_trie_t  *trie;
    ngx_http_precancel_json_name_t  *last;

    ok = 1;
    memset(paths, 0, sizeof(paths));

    for (i = 0; i < n; i++) {
        if (ngx_http_precancel_json_path_parse((const unsigned char *)
                                               texts[i], strlen(texts[i]),
                                               &paths[i])
            != NGX_HTTP_PRECANCEL_JSON_PATH_OK)
        {
            return 0;
        }
    }

    size = ngx_http_precancel_json_tree_size(paths, n);

    nodes = malloc(size * sizeof(node_t));
    trie = malloc(size * sizeof(ngx_http_precancel_json_trie_t));

    used = ngx_http_precancel_json_tree_build(paths, n, nodes, trie, leaf);

    if (used != nnodes || used > size) {
        printf("# %zu nodes used of %zu, expected %zu\n", used, size, nnodes);
        ok = 0;
    }

    for (i = 0; ok && i < n; i++) {
        last = &paths[i].names[paths[i].nnames - 1];

        ok = leaf[i] > 0 && leaf[i] < used
             && nodes[leaf[i]].children == NULL
             && nodes[leaf[i]].key_len == last->len
             && memcmp(nodes[leaf[i]].key, last->data, last->len) == 0;

        for (j = 0; ok && j < i; j++) {
            ok = leaf[j] != leaf[i];
        }

        nodes[leaf[i]].value = (const unsigned char *) values[i];
        nodes[leaf[i]].value_len = strlen(values[i]);
    }

    if (ok) {
        len = ngx_http_precancel_json_len(nodes);
        buf = malloc(len);
        end = ngx_http_precancel_json_write(buf, nodes);

        ok = (size_t) (end - buf) == len && len == strlen(expect)
             && memcmp(buf, expect, len) == 0;

        if (!ok) {
            show("got", buf, (size_t) (end - buf));
            show("expected", (const unsigned char *) expect, strlen(expect));
        }

        free(buf);
    }

    if (ok) {
        ok = flat_is(nodes, leaf, values, n, expect);
    }

    free(trie);
    free(nodes);

    return ok;
}


/*
 * The same tree as the module flattens it at configuration time: the
 * first path a constant, as the application id is, the others slots.
 * With every slot set the flat text with the values put in is the tree
 * writer's output; with one empty, flat_len() says so with 0.
 */

static int
flat_is(node_t *nodes, const size_t *leaf, const char **values, size_t n,
    const char *expect)
{
    int                              ok, empty;
    size_t                           i, j, len, nslots;
    unsigned char                   *buf, *end;
    ngx_http_precancel_json_flat_t   flat;
    ngx_http_precancel_json_name_t   slot_values[16];

    for (i = 1; i < n; i++) {
        nodes[leaf[i]].value = NULL;
        nodes[leaf[i]].value_len = 0;
    }

    ngx_http_precancel_json_flat_size(nodes, &len, &nslots);

    flat.text = malloc(len ? len : 1);
    flat.at = malloc((nslots ? nslots : 1) * sizeof(size_t));
    flat.node = malloc((nslots ? nslots : 1) * sizeof(size_t));

    ngx_http_precancel_json_flat_build(&flat, nodes);

    ok = flat.len == len && flat.nslots == nslots
         && nslots == (n ? n - 1 : 0);

    empty = 0;

    for (j = 0; ok && j < nslots; j++) {
        for (i = 1; i < n && leaf[i] != flat.node[j]; i++) {
            /* void */
        }

        ok = i < n && (j == 0 || flat.at[j] >= flat.at[j - 1])
             && flat.at[j] <= flat.len;

        if (ok) {
            slot_values[j].data = (const unsigned char *) values[i];
            slot_values[j].len = strlen(values[i]);
            empty |= (slot_values[j].len == 0);
        }
    }

    if (ok) {
        len = ngx_http_precancel_json_flat_len(&flat, slot_values);

        if (empty) {
            ok = (len == 0);

        } else {
            buf = malloc(len);
            end = ngx_http_precancel_json_flat_write(buf, &flat,
                                                     slot_values);

            ok = (size_t) (end - buf) == len && len == strlen(expect)
                 && memcmp(buf, expect, len) == 0;

            if (!ok) {
                show("flat got", buf, (size_t) (end - buf));
                show("expected", (const unsigned char *) expect,
                     strlen(expect));
            }

            free(buf);
        }
    }

    free(flat.text);
    free(flat.at);
    free(flat.node);

    return ok;
}


static int
check_write(const node_t *root, const char *expect, size_t len,
    const char *name)
{
    int             ok;
    size_t          n;
    unsigned char  *buf, *end;

    n = ngx_http_precancel_json_len(root);

    /* exactly n bytes, so that the sanitizers see any overrun */
    buf = malloc(n ? n : 1);
    end = ngx_http_precancel_json_write(buf, root);

    ok = (size_t) (end - buf) == n && n == len && memcmp(buf, expect, n) == 0;

    if (!tap_ok(ok, name)) {
        printf("# _len %zu, written %zu, expected %zu\n", n,
               (size_t) (end - buf), len);
        show("got", buf, (size_t) (end - buf));
        show("expected", (const unsigned char *) expect, len);
    }

    free(buf);

    return ok;
}


/* scratch of exactly len bytes, as the module allocates it */

static const char *
parse(const char *doc, size_t len, want_t *wants, size_t n, size_t *off,
    unsigned char **scratch)
{
    *scratch = malloc(len ? len : 1);

    return ngx_http_precancel_json_lookup((const unsigned char *) doc, len,
                                          wants, n, *scratch, off);
}


static int
is_str(const want_t *w, const char *s, size_t len)
{
    return w->type == NGX_HTTP_PRECANCEL_JSON_STRING && w->len == len
           && memcmp(w->str, s, len) == 0;
}


static int
is_num(const want_t *w, const char *s)
{
    return w->type == NGX_HTTP_PRECANCEL_JSON_NUMBER && w->len == strlen(s)
           && memcmp(w->str, s, w->len) == 0;
}


static void
show(const char *label, const unsigned char *s, size_t len)
{
    size_t  i;

    printf("# %s: ", label);

    for (i = 0; i < len && i < 400; i++) {
        if (s[i] < 0x20 || s[i] >= 0x7f) {
            printf("\\x%02x", s[i]);

        } else {
            putchar(s[i]);
        }
    }

    printf("%s\n", i < len ? "..." : "");
}
