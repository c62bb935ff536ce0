
/*
 * libFuzzer harness of the body as the module makes it: field paths, the
 * tree laid out from them, the writer, and the reader as the judge.  The
 * input is records separated by 0xff (a byte no UTF-8 text holds), each a
 * selector byte and the rest.  A selector whose low two bits are 3 takes
 * the rest as "path text 0xfe value": the text goes through the module's
 * path parser, whose verdict must be a slow reference's.  Any other
 * selector gives a path of 1..3 names (the low bits) from a fixed set
 * (the next pairs of bits) with names that need escaping and an empty
 * one, which no text parses to, so that the writer's keys are fuzzed too.
 * Values that are not valid UTF-8 are skipped, as the module refuses
 * them; so are paths that overlap one taken before, as the module refuses
 * them (the overlap test is checked against a reference on the way).
 *
 * The tree is laid out by ngx_http_precancel_json_tree_build() into arrays
 * of exactly tree_size() entries, walked to see every node used is reached
 * once, written into a buffer of exactly the announced length and read
 * back: each leaf byte for byte or, empty, absent; each object holding a
 * written leaf as an object, else absent.  The members written twice
 * over, "{X,X}", must be refused as duplicates at the start of the second
 * copy.  The same tree flattened with some leaves as slots, as the module
 * does at configuration time, must give the same bytes.  The escaper
 * alone is checked on the raw input as well.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_precancel_json.h"


#define MAX_PATHS     32
#define MAX_TEXT      160
#define MAX_DOTTED    256
/* every path and every object on the way to one */
#define MAX_WANTS     (MAX_PATHS * NGX_HTTP_PRECANCEL_JSON_PATH_NAMES)


typedef ngx_http_precancel_json_path_t  path_t;
typedef ngx_http_precancel_json_node_t  node_t;


/* a path the tree is built from, and its value */
typedef struct {
    path_t          path;
    const uint8_t  *value;
    size_t          value_len;
    char            dotted[MAX_DOTTED];
} field_t;


/* a prefix of a path, as the reader is asked for it */
typedef struct {
    char            dotted[MAX_DOTTED];
    size_t          nnames;
    size_t          field;          /* whose prefix */
    unsigned        leaf:1;
    unsigned        written:1;
} prefix_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static int take_text(const uint8_t *rec, const uint8_t *sep, field_t *f);
static void take_fixed(const uint8_t *rec, const uint8_t *sep, field_t *f);
static int ref_valid(const uint8_t *t, size_t len);
static int path_char(uint8_t c);
static void render(const path_t *path, size_t nnames, char *dst);
static int ref_overlap(const char *a, const char *b);
static size_t collect(field_t *fields, size_t n, prefix_t *prefixes);
static size_t walk(const node_t *node, const node_t *nodes, size_t used,
    unsigned char *seen);
static void check_escape(const uint8_t *data, size_t size);
static void check_flat(const node_t *nodes, size_t used, const size_t *leaf,
    const field_t *fields, size_t n, const unsigned char *json, size_t len);
static void check_duplicate(const unsigned char *json, size_t len,
    prefix_t *prefixes, size_t nprefixes);


static const char  *names[] = {
    "a", "url", "", "q\"\\\t\xc3\xa9/\x7f\x01"
};



int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                               written;
    size_t                            i, j, n, nprefixes, tsize, used, len;
    size_t                            err_off, leaf[MAX_PATHS];
    path_t                            paths[MAX_PATHS];
    field_t                          *f;
    node_t                           *nodes;
    prefix_t                         *pf;
    const char                       *err;
    unsigned char                    *buf, *end, *scratch, *seen;
    const uint8_t                    *rec, *sep, *last;
    ngx_http_precancel_json_trie_t   *trie;
    ngx_http_precancel_json_want_t    wants[MAX_WANTS];

    static field_t   fields[MAX_PATHS];
    static prefix_t  prefixes[MAX_WANTS];

    check_escape(data, size);

    n = 0;
    last = data + size;

    for (rec = data; rec < last && n < MAX_PATHS; rec = sep + 1) {
        sep = memchr(rec, 0xff, (size_t) (last - rec));
        if (sep == NULL) {
            sep = last;
        }

        if (rec == sep) {
            continue;
        }

        f = &fields[n];

        if ((rec[0] & 3) == 3) {
            if (!take_text(rec, sep, f)) {
                continue;
            }

        } else {
            take_fixed(rec, sep, f);
        }

        if (!ngx_http_precancel_utf8_valid(f->value, f->value_len)) {
            continue;
        }

        render(&f->path, f->path.nnames, f->dotted);

        for (i = 0; i < n; i++) {
            if (ngx_http_precancel_json_path_overlap(&fields[i].path,
                                                     &f->path)
                != ref_overlap(fields[i].dotted, f->dotted))
            {
                abort();
            }

            if (ref_overlap(fields[i].dotted, f->dotted)) {
                break;
            }
        }

        if (i == n) {
            n++;
        }
    }

    for (i = 0; i < n; i++) {
        paths[i] = fields[i].path;
    }

    /* arrays of exactly the announced size, for the sanitizers */

    tsize = ngx_http_precancel_json_tree_size(paths, n);

    nodes = malloc(tsize * sizeof(node_t));
    trie = malloc(tsize * sizeof(ngx_http_precancel_json_trie_t));
    seen = calloc(tsize, 1);

    if (nodes == NULL || trie == NULL || seen == NULL) {
        abort();
    }

    used = ngx_http_precancel_json_tree_build(paths, n, nodes, trie, leaf);

    nprefixes = collect(fields, n, prefixes);

    /* a node for the root and for every distinct prefix, each reached once */

    if (used != 1 + nprefixes || used > tsize
        || walk(&nodes[0], nodes, used, seen) != used)
    {
        abort();
    }

    for (i = 0; i < n; i++) {
        f = &fields[i];

        if (leaf[i] == 0 || leaf[i] >= used
            || nodes[leaf[i]].children != NULL
            || nodes[leaf[i]].key_len
               != f->path.names[f->path.nnames - 1].len
            || memcmp(nodes[leaf[i]].key,
                      f->path.names[f->path.nnames - 1].data,
                      nodes[leaf[i]].key_len) != 0)
        {
            abort();
        }

        nodes[leaf[i]].value = f->value;
        nodes[leaf[i]].value_len = f->value_len;
    }

    len = ngx_http_precancel_json_len(&nodes[0]);

    buf = malloc(len);
    scratch = malloc(len);

    if (buf == NULL || scratch == NULL) {
        abort();
    }

    end = ngx_http_precancel_json_write(buf, &nodes[0]);

    if (end != buf + len) {
        abort();
    }

    check_flat(nodes, used, leaf, fields, n, buf, len);

    written = 0;

    for (j = 0; j < nprefixes; j++) {
        written |= prefixes[j].written;
    }

    if (!written && (len != 2 || memcmp(buf, "{}", 2) != 0)) {
        abort();
    }

    for (j = 0; j < nprefixes; j++) {
        wants[j].path = prefixes[j].dotted;
    }

    err = ngx_http_precancel_json_lookup(buf, len, wants, nprefixes, scratch,
                                         &err_off);
    if (err != NULL) {
        abort();
    }

    for (j = 0; j < nprefixes; j++) {
        pf = &prefixes[j];

        if (!pf->written) {
            if (wants[j].type != NGX_HTTP_PRECANCEL_JSON_ABSENT) {
                abort();
            }

            continue;
        }

        if (!pf->leaf) {
            if (wants[j].type != NGX_HTTP_PRECANCEL_JSON_OBJECT) {
                abort();
            }

            continue;
        }

        f = &fields[pf->field];

        if (wants[j].type != NGX_HTTP_PRECANCEL_JSON_STRING
            || wants[j].len != f->value_len
            || memcmp(wants[j].str, f->value, f->value_len) != 0)
        {
            abort();
        }
    }

    check_duplicate(buf, len, prefixes, nprefixes);

    free(buf);
    free(scratch);
    free(seen);
    free(trie);
    free(nodes);

    return 0;
}


/* "text 0xfe value": the module's parser, checked against the reference */

static int
take_text(const uint8_t *rec, const uint8_t *sep, field_t *f)
{
    size_t                           len;
    const uint8_t                   *mid;
    ngx_http_precancel_json_path_e   rc, ref;

    mid = memchr(rec + 1, 0xfe, (size_t) (sep - rec - 1));
    if (mid == NULL) {
        return 0;
    }

    len = (size_t) (mid - rec - 1);

    if (len > MAX_TEXT) {
        return 0;
    }

    rc = ngx_http_precancel_json_path_parse(rec + 1, len, &f->path);

    if (len && rec[len] == '.' && ref_valid(rec + 1, len - 1)) {
        ref = NGX_HTTP_PRECANCEL_JSON_PATH_TRAILING_DOT;

    } else if (ref_valid(rec + 1, len)) {
        ref = NGX_HTTP_PRECANCEL_JSON_PATH_OK;

    } else {
        ref = NGX_HTTP_PRECANCEL_JSON_PATH_INVALID;
    }

    if (rc != ref) {
        abort();
    }

    if (rc != NGX_HTTP_PRECANCEL_JSON_PATH_OK) {
        return 0;
    }

    /* the names, joined again, are the text */

    render(&f->path, f->path.nnames, f->dotted);

    if (strlen(f->dotted) != len || memcmp(f->dotted, rec + 1, len) != 0) {
        abort();
    }

    f->value = mid + 1;
    f->value_len = (size_t) (sep - mid - 1);

    return 1;
}


static void
take_fixed(const uint8_t *rec, const uint8_t *sep, field_t *f)
{
    size_t       k;
    const char  *name;

    f->path.nnames = 1 + (rec[0] & 3);

    for (k = 0; k < f->path.nnames; k++) {
        name = names[(rec[0] >> (2 + 2 * k)) & 3];
        f->path.names[k].data = (const unsigned char *) name;
        f->path.names[k].len = strlen(name);
    }

    f->value = rec + 1;
    f->value_len = (size_t) (sep - rec - 1);
}


/* 1..8 non-empty names of [A-Za-z0-9_-] split by dots, the slow way */

static int
ref_valid(const uint8_t *t, size_t len)
{
    size_t  i, nnames, name_len;

    nnames = 1;
    name_len = 0;

    for (i = 0; i < len; i++) {
        if (t[i] == '.') {
            if (name_len == 0) {
                return 0;
            }

            nnames++;
            name_len = 0;

        } else if (path_char(t[i])) {
            name_len++;

        } else {
            return 0;
        }
    }

    return name_len != 0 && nnames <= NGX_HTTP_PRECANCEL_JSON_PATH_NAMES;
}


static int
path_char(uint8_t c)
{
    return c != '\0'
           && strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_-", c) != NULL;
}


/* the first nnames names joined by dots, as the reader's wants name them */

static void
render(const path_t *path, size_t nnames, char *dst)
{
    size_t  k;

    for (k = 0; k < nnames; k++) {
        if (k) {
            *dst++ = '.';
        }

        memcpy(dst, path->names[k].data, path->names[k].len);
        dst += path->names[k].len;
    }

    *dst = '\0';
}


/* names hold no dots: a path holds another its text and a dot start */

static int
ref_overlap(const char *a, const char *b)
{
    size_t  la, lb;

    la = strlen(a);
    lb = strlen(b);

    if (la > lb) {
        return ref_overlap(b, a);
    }

    return memcmp(a, b, la) == 0 && (la == lb || b[la] == '.');
}


/*
 * Every distinct prefix of the fields' paths, the paths themselves
 * included, in no particular order: whether it is a leaf, and whether it
 * is written (a leaf with a value, an object holding one).
 */

static size_t
collect(field_t *fields, size_t n, prefix_t *prefixes)
{
    size_t     i, k, j, np;
    prefix_t  *pf;

    np = 0;

    for (i = 0; i < n; i++) {
        for (k = 1; k <= fields[i].path.nnames; k++) {
            pf = &prefixes[np];

            render(&fields[i].path, k, pf->dotted);

            for (j = 0; j < np; j++) {
                if (strcmp(prefixes[j].dotted, pf->dotted) == 0) {
                    break;
                }
            }

            if (j == np) {
                pf->nnames = k;
                pf->field = i;
                pf->leaf = 0;
                pf->written = 0;
                np++;
            }

            pf = &prefixes[j];

            if (k == fields[i].path.nnames) {
                pf->leaf = 1;
                pf->field = i;
            }

            if (fields[i].value_len) {
                pf->written = 1;
            }
        }
    }

    return np;
}


/* the nodes reached from node, each once, all within nodes[0..used) */

static size_t
walk(const node_t *node, const node_t *nodes, size_t used,
    unsigned char *seen)
{
    size_t  i, k, count;

    k = (size_t) (node - nodes);

    if (k >= used || seen[k]) {
        abort();
    }

    seen[k] = 1;
    count = 1;

    if (node->children == NULL) {
        if (node->nchildren != 0) {
            abort();
        }

        return count;
    }

    if (node->nchildren == 0
        || node->children < nodes + 1
        || node->children + node->nchildren > nodes + used)
    {
        abort();
    }

    for (i = 0; i < node->nchildren; i++) {
        count += walk(&node->children[i], nodes, used, seen);
    }

    return count;
}


/* the escaper on any bytes: the announced length, and nothing unescaped */

static void
check_escape(const uint8_t *data, size_t size)
{
    size_t          len, i;
    unsigned char  *buf, *end;

    len = ngx_http_precancel_json_escape_len(data, size);

    buf = malloc(len);
    if (buf == NULL && len != 0) {
        abort();
    }

    end = ngx_http_precancel_json_escape(buf, data, size);

    if (end != buf + len) {
        abort();
    }

    for (i = 0; i < len; i++) {
        if (buf[i] < 0x20 || buf[i] == 0x7f) {
            abort();
        }

        if (buf[i] == '"' && (i == 0 || buf[i - 1] != '\\')) {
            abort();
        }
    }

    free(buf);
}


/*
 * "{X}" made "{X,X}" must be refused as a duplicate in the second copy,
 * read once with wants for the leaves, once with wants only for a child
 * "zz" that no object has, so that the objects are counted on the way to
 * wants never found.  With the leaves the first member of the second copy
 * is the duplicate; with the "zz" wants the first object in it, if any.
 */

static void
check_duplicate(const unsigned char *json, size_t len, prefix_t *prefixes,
    size_t nprefixes)
{
    int                              objects;
    size_t                           i, inner, dlen, nwants, err_off;
    const char                      *err;
    unsigned char                   *dup, *scratch;
    ngx_http_precancel_json_want_t   wants[MAX_WANTS];

    static char  paths[MAX_WANTS][MAX_DOTTED + 3];

    if (len == 2) {
        return;
    }

    inner = len - 2;
    dlen = 2 * inner + 3;

    dup = malloc(dlen);
    scratch = malloc(dlen);

    if (dup == NULL || scratch == NULL) {
        abort();
    }

    dup[0] = '{';
    memcpy(dup + 1, json + 1, inner);
    dup[1 + inner] = ',';
    memcpy(dup + 2 + inner, json + 1, inner);
    dup[dlen - 1] = '}';

    nwants = 0;

    for (i = 0; i < nprefixes; i++) {
        if (prefixes[i].leaf) {
            wants[nwants++].path = prefixes[i].dotted;
        }
    }

    err = ngx_http_precancel_json_lookup(dup, dlen, wants, nwants, scratch,
                                         &err_off);

    if (err == NULL || strcmp(err, "duplicate member") != 0
        || err_off != inner + 2)
    {
        abort();
    }

    nwants = 0;
    objects = 0;

    for (i = 0; i < nprefixes; i++) {
        if (prefixes[i].leaf) {
            continue;
        }

        strcpy(paths[nwants], prefixes[i].dotted);
        strcat(paths[nwants], ".zz");
        wants[nwants].path = paths[nwants];
        nwants++;

        if (prefixes[i].written && prefixes[i].nnames == 1) {
            objects = 1;
        }
    }

    err = ngx_http_precancel_json_lookup(dup, dlen, wants, nwants, scratch,
                                         &err_off);

    if (objects) {
        if (err == NULL || strcmp(err, "duplicate member") != 0
            || err_off < inner + 2 || err_off >= dlen)
        {
            abort();
        }

    } else if (err != NULL) {
        abort();
    }

    free(dup);
    free(scratch);
}


/*
 * The tree flattened as the module does at configuration time, with the
 * leaves of odd fields as slots and the others constants: when every
 * slot's value is set, the flat text with the values put in must be the
 * tree writer's output byte for byte; with one empty, flat_len() is 0.
 * Arrays of exactly the announced sizes, for the sanitizers.
 */

static void
check_flat(const node_t *nodes, size_t used, const size_t *leaf,
    const field_t *fields, size_t n, const unsigned char *json, size_t len)
{
    int                              empty;
    size_t                           i, j, k, text_len, nslots, flat_len;
    node_t                          *tmpl;
    unsigned char                   *buf, *end;
    ngx_http_precancel_json_flat_t   flat;
    ngx_http_precancel_json_name_t   values[MAX_PATHS];

    tmpl = malloc(used * sizeof(node_t));
    if (tmpl == NULL) {
        abort();
    }

    memcpy(tmpl, nodes, used * sizeof(node_t));

    for (k = 0; k < used; k++) {
        if (tmpl[k].children) {
            tmpl[k].children = tmpl + (tmpl[k].children - nodes);
        }
    }

    for (i = 1; i < n; i += 2) {
        tmpl[leaf[i]].value = NULL;
        tmpl[leaf[i]].value_len = 0;
    }

    ngx_http_precancel_json_flat_size(tmpl, &text_len, &nslots);

    flat.text = malloc(text_len);
    flat.at = malloc(nslots * sizeof(size_t) + 1);
    flat.node = malloc(nslots * sizeof(size_t) + 1);

    if (flat.text == NULL || flat.at == NULL || flat.node == NULL) {
        abort();
    }

    ngx_http_precancel_json_flat_build(&flat, tmpl);

    if (flat.len != text_len || flat.nslots != nslots || nslots != n / 2) {
        abort();
    }

    empty = 0;

    for (j = 0; j < nslots; j++) {
        for (i = 1; i < n && leaf[i] != flat.node[j]; i += 2) {
            /* void */
        }

        if (i >= n || flat.at[j] > flat.len
            || (j > 0 && flat.at[j] < flat.at[j - 1]))
        {
            abort();
        }

        values[j].data = fields[i].value;
        values[j].len = fields[i].value_len;
        empty |= (values[j].len == 0);
    }

    flat_len = ngx_http_precancel_json_flat_len(&flat, values);

    if (empty) {
        if (flat_len != 0) {
            abort();
        }

    } else {
        if (flat_len != len) {
            abort();
        }

        buf = malloc(flat_len);
        if (buf == NULL) {
            abort();
        }

        end = ngx_http_precancel_json_flat_write(buf, &flat, values);

        if (end != buf + flat_len || memcmp(buf, json, len) != 0) {
            abort();
        }

        free(buf);
    }

    free(flat.text);
    free(flat.at);
    free(flat.node);
    free(tmpl);
}
