
/*
 * libFuzzer harness of the JSON writer against the reader.  The input
 * describes a small body tree: records separated by 0xff (a byte that no
 * UTF-8 text holds), each a selector byte and a value.  The selector's
 * low two bits give a path depth of 1..3, the next pairs of bits its
 * names, taken from a fixed set with names that need escaping and an
 * empty one.  Values that are not valid UTF-8 are skipped, as the module
 * refuses them; so are records that would make a leaf an object or give
 * a leaf a second value.
 *
 * The tree is written into a buffer of exactly the announced length and
 * read back, and each node must read as it was written: non-empty leaves
 * byte for byte, empty leaves and objects with nothing written absent.
 * The members written twice over, "{X,X}", must be refused as duplicates
 * at the start of the second copy.  The escaper alone is checked on the
 * raw input as well.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_precancel_json.h"


#define MAX_NODES     64
#define MAX_DEPTH     3
#define MAX_PATH_LEN  64
#define NONE          ((size_t) -1)


typedef struct {
    const char     *name;
    const uint8_t  *value;
    size_t          value_len;
    size_t          first;          /* first child, or NONE */
    size_t          last;           /* last child, or NONE */
    size_t          next;           /* next sibling, or NONE */
    size_t          out;            /* index in nodes[] */
    unsigned        has_value:1;
    unsigned        written:1;
    char            path[MAX_PATH_LEN];
} tree_node_t;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static size_t child(tree_node_t *t, size_t *n, size_t parent,
    const char *name);
static void layout(tree_node_t *t, size_t i,
    ngx_http_precancel_json_node_t *nodes, size_t *used);
static int mark_written(tree_node_t *t, size_t i);
static void check_escape(const uint8_t *data, size_t size);
static void check_duplicate(const unsigned char *json, size_t len,
    tree_node_t *t, size_t n);


static const char  *names[] = {
    "a", "url", "", "q\"\\\t\xc3\xa9/\x7f\x01"
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                           i, n, k, depth, cur, len, used, err_off;
    const char                      *err;
    unsigned char                   *buf, *end, *scratch;
    const uint8_t                   *rec, *sep, *last;
    tree_node_t                      t[MAX_NODES];
    ngx_http_precancel_json_want_t   wants[MAX_NODES];
    ngx_http_precancel_json_node_t   nodes[MAX_NODES];

    check_escape(data, size);

    memset(t, 0, sizeof(t));
    memset(nodes, 0, sizeof(nodes));

    /* t[0] is the root */

    t[0].first = NONE;
    t[0].last = NONE;
    t[0].next = NONE;
    n = 1;

    last = data + size;

    for (rec = data; rec < last; rec = sep + 1) {
        sep = memchr(rec, 0xff, (size_t) (last - rec));
        if (sep == NULL) {
            sep = last;
        }

        if (rec == sep
            || !ngx_http_precancel_utf8_valid(rec + 1,
                                              (size_t) (sep - rec - 1)))
        {
            continue;
        }

        depth = 1 + (rec[0] & 3) % MAX_DEPTH;
        cur = 0;

        for (k = 0; k < depth; k++) {
            if (t[cur].has_value) {
                /* a leaf cannot become an object */
                cur = NONE;
                break;
            }

            cur = child(t, &n, cur, names[(rec[0] >> (2 + 2 * k)) & 3]);
            if (cur == NONE) {
                break;
            }
        }

        if (cur == NONE || t[cur].first != NONE || t[cur].has_value) {
            continue;
        }

        t[cur].has_value = 1;
        t[cur].value = rec + 1;
        t[cur].value_len = (size_t) (sep - rec - 1);
    }

    used = 1;
    t[0].out = 0;
    layout(t, 0, nodes, &used);

    (void) mark_written(t, 0);

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

    if (!t[0].written && (len != 2 || memcmp(buf, "{}", 2) != 0)) {
        abort();
    }

    for (i = 1; i < n; i++) {
        wants[i - 1].path = t[i].path;
    }

    err = ngx_http_precancel_json_lookup(buf, len, wants, n - 1, scratch,
                                         &err_off);
    if (err != NULL) {
        abort();
    }

    for (i = 1; i < n; i++) {

        if (!t[i].written) {
            if (wants[i - 1].type != NGX_HTTP_PRECANCEL_JSON_ABSENT) {
                abort();
            }

            continue;
        }

        if (t[i].first != NONE) {
            if (wants[i - 1].type != NGX_HTTP_PRECANCEL_JSON_OBJECT) {
                abort();
            }

            continue;
        }

        if (wants[i - 1].type != NGX_HTTP_PRECANCEL_JSON_STRING
            || wants[i - 1].len != t[i].value_len
            || memcmp(wants[i - 1].str, t[i].value, t[i].value_len) != 0)
        {
            abort();
        }
    }

    check_duplicate(buf, len, t, n);

    free(buf);
    free(scratch);

    return 0;
}


/* the child of parent named name, made if need be; NONE when out of room */

static size_t
child(tree_node_t *t, size_t *n, size_t parent, const char *name)
{
    size_t  i, plen;

    for (i = t[parent].first; i != NONE; i = t[i].next) {
        if (strcmp(t[i].name, name) == 0) {
            return i;
        }
    }

    if (*n == MAX_NODES) {
        return NONE;
    }

    i = (*n)++;

    t[i].name = name;
    t[i].first = NONE;
    t[i].last = NONE;
    t[i].next = NONE;

    if (t[parent].first == NONE) {
        t[parent].first = i;

    } else {
        t[t[parent].last].next = i;
    }

    t[parent].last = i;

    /* the want's dotted path; names hold no dots */

    if (parent == 0) {
        strcpy(t[i].path, name);

    } else {
        plen = strlen(t[parent].path);
        memcpy(t[i].path, t[parent].path, plen);
        t[i].path[plen] = '.';
        strcpy(t[i].path + plen + 1, name);
    }

    return i;
}


/* places the children of t[i] side by side in nodes[], as the writer wants */

static void
layout(tree_node_t *t, size_t i, ngx_http_precancel_json_node_t *nodes,
    size_t *used)
{
    size_t                           c, start;
    ngx_http_precancel_json_node_t  *node;

    node = &nodes[t[i].out];

    if (t[i].first == NONE) {
        node->children = NULL;
        node->nchildren = 0;
        node->value = t[i].has_value ? t[i].value : NULL;
        node->value_len = t[i].has_value ? t[i].value_len : 0;

        if (i == 0) {
            /* an empty root: an object with no children all the same */
            node->children = &nodes[1];
        }

        return;
    }

    start = *used;

    for (c = t[i].first; c != NONE; c = t[c].next) {
        t[c].out = (*used)++;
        nodes[t[c].out].key = (const unsigned char *) t[c].name;
        nodes[t[c].out].key_len = strlen(t[c].name);
    }

    node->children = &nodes[start];
    node->nchildren = *used - start;

    for (c = t[i].first; c != NONE; c = t[c].next) {
        layout(t, c, nodes, used);
    }
}


static int
mark_written(tree_node_t *t, size_t i)
{
    size_t  c;

    if (t[i].first == NONE) {
        t[i].written = t[i].has_value && t[i].value_len != 0;
        return t[i].written;
    }

    for (c = t[i].first; c != NONE; c = t[c].next) {
        if (mark_written(t, c)) {
            t[i].written = 1;
        }
    }

    return t[i].written;
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
check_duplicate(const unsigned char *json, size_t len, tree_node_t *t,
    size_t n)
{
    int                              objects;
    size_t                           i, inner, dlen, nwants, err_off, c;
    const char                      *err;
    unsigned char                   *dup, *scratch;
    ngx_http_precancel_json_want_t   wants[MAX_NODES];
    char                             paths[MAX_NODES][MAX_PATH_LEN + 3];

    if (!t[0].written) {
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

    for (i = 1; i < n; i++) {
        if (t[i].first == NONE) {
            wants[nwants++].path = t[i].path;
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

    for (i = 1; i < n; i++) {
        if (t[i].first != NONE) {
            strcpy(paths[nwants], t[i].path);
            strcat(paths[nwants], ".zz");
            wants[nwants].path = paths[nwants];
            nwants++;
        }
    }

    objects = 0;

    for (c = t[0].first; c != NONE; c = t[c].next) {
        if (t[c].written && t[c].first != NONE) {
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
