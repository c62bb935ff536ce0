
/*
 * Pure JSON helpers of the precancel module: a writer for request bodies,
 * the field paths and body tree it writes from, and a strict RFC 8259
 * reader for provider replies.  None allocates: the tree is laid out in
 * the caller's arrays, the writer sizes its output first, the reader
 * decodes strings with escapes into the caller's scratch buffer and
 * keeps its nesting on a bounded stack of its own.
 */


#include <stdint.h>
#include <string.h>

#include "ngx_http_precancel_json.h"


/* a want whose last path member was just read and waits for its value */
#define NGX_HTTP_PRECANCEL_JSON_PENDING  ((size_t) -1)

/* the wants a level's bit set covers: wants[0] to wants[63] */
#define NGX_HTTP_PRECANCEL_JSON_WANT_BITS  64


/*
 * An open array or object.  For an object on a want's path, the wants
 * whose path leads into it: all of them start with the same names, off
 * bytes of path, so that a member name is compared with one name of
 * each, at off.  wants holds them as bits for the first WANT_BITS wants;
 * any further want is one of them when its path starts as path does.
 * object and onpath are whole bytes, not bit fields: nearly every step
 * reads one, and a bit field costs a mask each time.
 */

typedef struct {
    uint64_t              wants;
    const char           *path;
    size_t                off;
    unsigned char         object;
    unsigned char         onpath;
} ngx_http_precancel_json_level_t;


/* a template being flattened: its root, and its slots found so far */
typedef struct {
    const ngx_http_precancel_json_node_t  *root;
    ngx_http_precancel_json_flat_t        *flat;    /* NULL: only counted */
    size_t                                 n;
} ngx_http_precancel_json_slots_t;


/* what the reader's next step reads */
typedef enum {
    NGX_HTTP_PRECANCEL_JSON_SW_VALUE = 0,
    NGX_HTTP_PRECANCEL_JSON_SW_AFTER_VALUE,
    NGX_HTTP_PRECANCEL_JSON_SW_MEMBER,
    NGX_HTTP_PRECANCEL_JSON_SW_DONE
} ngx_http_precancel_json_state_e;


/* the reader's state between its steps: lookup() keeps it on its stack */
typedef struct {
    const unsigned char              *in;
    const unsigned char              *p;
    const unsigned char              *end;
    unsigned char                    *scratch;
    ngx_http_precancel_json_want_t   *wants;
    size_t                            nwants;

    /* the open arrays and objects, the innermost at depth - 1 */
    ngx_http_precancel_json_level_t   stack[NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH];
    size_t                            depth;

    /* the last member name, decoded in an object on a want's path */
    const unsigned char              *key;
    size_t                            key_len;

    /*
     * how many wants the next value fills; whether it is on a path, and
     * then the wants it leads to, as a level holds them
     */
    size_t                            targeted;
    int                               child_onpath;
    uint64_t                          child_wants;
    const char                       *child_path;
    size_t                            child_off;

    ngx_http_precancel_json_state_e   state;
} ngx_http_precancel_json_parser_t;


static int ngx_http_precancel_json_node_written(
    const ngx_http_precancel_json_node_t *node, size_t level,
    const ngx_http_precancel_json_slots_t *slots);
static size_t ngx_http_precancel_json_object_len(
    const ngx_http_precancel_json_node_t *obj, size_t level,
    ngx_http_precancel_json_slots_t *slots);
static unsigned char *ngx_http_precancel_json_object_write(unsigned char *dst,
    const ngx_http_precancel_json_node_t *obj, size_t level,
    ngx_http_precancel_json_slots_t *slots);
static size_t ngx_http_precancel_json_utf8_sequence(const unsigned char *p,
    const unsigned char *end);
static unsigned char *ngx_http_precancel_json_utf8_encode(unsigned char *dst,
    unsigned long cp);
static const unsigned char *ngx_http_precancel_json_skip_space(
    const unsigned char *p, const unsigned char *end);
static int ngx_http_precancel_json_hex4(const unsigned char *p,
    const unsigned char *end, unsigned long *cp);
static const char *ngx_http_precancel_json_value(
    ngx_http_precancel_json_parser_t *ps);
static const char *ngx_http_precancel_json_open(
    ngx_http_precancel_json_parser_t *ps);
static const char *ngx_http_precancel_json_string(
    ngx_http_precancel_json_parser_t *ps);
static const char *ngx_http_precancel_json_literal(
    ngx_http_precancel_json_parser_t *ps);
static const char *ngx_http_precancel_json_number(
    ngx_http_precancel_json_parser_t *ps);
static const char *ngx_http_precancel_json_after_value(
    ngx_http_precancel_json_parser_t *ps);
static const char *ngx_http_precancel_json_member(
    ngx_http_precancel_json_parser_t *ps);
static inline const char *ngx_http_precancel_json_scan_string(
    ngx_http_precancel_json_parser_t *ps, int decode,
    const unsigned char **str, size_t *len);
static const char *ngx_http_precancel_json_scan_string_rest(
    const unsigned char **pp, const unsigned char *end, unsigned char *dst,
    const unsigned char **str, size_t *len, const unsigned char *p);
static inline const unsigned char *ngx_http_precancel_json_plain_run(
    const unsigned char *p, const unsigned char *end);
static const char *ngx_http_precancel_json_scan_escape(
    const unsigned char **pp, const unsigned char *end, unsigned char **dp);
static const char *ngx_http_precancel_json_scan_unicode(
    const unsigned char *p, const unsigned char *end, unsigned long *cp,
    size_t *len);
static const char *ngx_http_precancel_json_scan_number(const unsigned char **pp,
    const unsigned char *end);
static const char *ngx_http_precancel_json_match_member(
    ngx_http_precancel_json_parser_t *ps);
static inline const char *ngx_http_precancel_json_match_want(
    ngx_http_precancel_json_parser_t *ps,
    ngx_http_precancel_json_level_t *lv, size_t i);
static void ngx_http_precancel_json_set_targets(
    ngx_http_precancel_json_parser_t *ps,
    ngx_http_precancel_json_type_e type, const unsigned char *str,
    size_t len);
static void ngx_http_precancel_json_reset_wants(
    ngx_http_precancel_json_want_t *wants, size_t nwants);
static int ngx_http_precancel_json_path_char(unsigned char c);


static const unsigned char  hex[] = "0123456789abcdef";

/*
 * What escaping adds to a byte: 0 (copied), 1 (\n and the like) or 5
 * (\u00XX); both passes of the writer are one table look-up a byte.
 */
static const unsigned char  escape_extra[256] = {
    5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5,   /* 0x00 */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,   /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x20 " */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,   /* 0x50 \ */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,   /* 0x70 DEL */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};

/* bytes a string holds as they are: 0x20..0x7f but for '"' and '\\' */
static const unsigned char  string_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* 0x20 " */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,   /* 0x50 \ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1    /* 0x70 */
    /* 0x80..0xff: 0, read as UTF-8 sequences */
};

/* the letter after the backslash for the bytes escape_extra gives 1 */
static const unsigned char  escape_short[128] = {
    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
    ['"'] = '"', ['\\'] = '\\'
};


size_t
ngx_http_precancel_json_len(const ngx_http_precancel_json_node_t *root)
{
    return ngx_http_precancel_json_object_len(root, 1, NULL);
}


unsigned char *
ngx_http_precancel_json_write(unsigned char *dst,
    const ngx_http_precancel_json_node_t *root)
{
    return ngx_http_precancel_json_object_write(dst, root, 1, NULL);
}


/*
 * A template is flattened by the writer itself, run once with its slots
 * (leaves whose value is NULL) taken as written and empty: what it writes
 * is the text between the slots, and where each slot falls is noted on
 * the way.  So the flat form and the tree agree by construction.
 */

void
ngx_http_precancel_json_flat_size(const ngx_http_precancel_json_node_t *root,
    size_t *len, size_t *nslots)
{
    ngx_http_precancel_json_slots_t  slots;

    slots.root = root;
    slots.flat = NULL;
    slots.n = 0;

    *len = ngx_http_precancel_json_object_len(root, 1, &slots);
    *nslots = slots.n;
}


void
ngx_http_precancel_json_flat_build(ngx_http_precancel_json_flat_t *flat,
    const ngx_http_precancel_json_node_t *root)
{
    ngx_http_precancel_json_slots_t  slots;

    slots.root = root;
    slots.flat = flat;
    slots.n = 0;

    flat->len = (size_t) (ngx_http_precancel_json_object_write(flat->text,
                                                               root, 1,
                                                               &slots)
                          - flat->text);
    flat->nslots = slots.n;
}


size_t
ngx_http_precancel_json_flat_len(const ngx_http_precancel_json_flat_t *flat,
    const ngx_http_precancel_json_name_t *values)
{
    size_t  i, len;

    len = flat->len;

    for (i = 0; i < flat->nslots; i++) {
        if (values[i].len == 0) {
            /* the member is left out: only the tree knows the commas */
            return 0;
        }

        len += ngx_http_precancel_json_escape_len(values[i].data,
                                                  values[i].len);
    }

    return len;
}


unsigned char *
ngx_http_precancel_json_flat_write(unsigned char *dst,
    const ngx_http_precancel_json_flat_t *flat,
    const ngx_http_precancel_json_name_t *values)
{
    size_t  i, from;

    from = 0;

    for (i = 0; i < flat->nslots; i++) {
        memcpy(dst, flat->text + from, flat->at[i] - from);
        dst += flat->at[i] - from;
        from = flat->at[i];

        dst = ngx_http_precancel_json_escape(dst, values[i].data,
                                             values[i].len);
    }

    memcpy(dst, flat->text + from, flat->len - from);

    return dst + (flat->len - from);
}


/*
 * Whether a node produces output.  Objects nested deeper than the reader
 * would accept are left out as if empty, which also bounds the recursion;
 * both passes use this one test, so the sizes always agree.  While a
 * template is flattened, a slot counts as written.
 */

static int
ngx_http_precancel_json_node_written(const ngx_http_precancel_json_node_t *node,
    size_t level, const ngx_http_precancel_json_slots_t *slots)
{
    size_t  i;

    if (node->children == NULL) {
        if (node->value == NULL) {
            return slots != NULL;
        }

        return node->value_len != 0;
    }

    if (level > NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH) {
        return 0;
    }

    for (i = 0; i < node->nchildren; i++) {
        if (ngx_http_precancel_json_node_written(&node->children[i],
                                                 level + 1, slots))
        {
            return 1;
        }
    }

    return 0;
}


static size_t
ngx_http_precancel_json_object_len(const ngx_http_precancel_json_node_t *obj,
    size_t level, ngx_http_precancel_json_slots_t *slots)
{
    size_t                                 i, len, n;
    const ngx_http_precancel_json_node_t  *c;

    /* "{" and "}" */
    len = 2;
    n = 0;

    for (i = 0; obj->children && i < obj->nchildren; i++) {
        c = &obj->children[i];

        if (!ngx_http_precancel_json_node_written(c, level + 1, slots)) {
            continue;
        }

        /* a comma before all but the first, quotes and the colon */
        len += (n++ ? 4 : 3)
               + ngx_http_precancel_json_escape_len(c->key, c->key_len);

        if (c->children) {
            len += ngx_http_precancel_json_object_len(c, level + 1, slots);

        } else {
            len += 2;

            if (c->value == NULL) {
                slots->n++;

            } else {
                len += ngx_http_precancel_json_escape_len(c->value,
                                                          c->value_len);
            }
        }
    }

    return len;
}


static unsigned char *
ngx_http_precancel_json_object_write(unsigned char *dst,
    const ngx_http_precancel_json_node_t *obj, size_t level,
    ngx_http_precancel_json_slots_t *slots)
{
    size_t                                 i, n;
    const ngx_http_precancel_json_node_t  *c;

    *dst++ = '{';
    n = 0;

    for (i = 0; obj->children && i < obj->nchildren; i++) {
        c = &obj->children[i];

        if (!ngx_http_precancel_json_node_written(c, level + 1, slots)) {
            continue;
        }

        if (n++) {
            *dst++ = ',';
        }

        *dst++ = '"';
        dst = ngx_http_precancel_json_escape(dst, c->key, c->key_len);
        *dst++ = '"';
        *dst++ = ':';

        if (c->children) {
            dst = ngx_http_precancel_json_object_write(dst, c, level + 1,
                                                       slots);

        } else if (c->value == NULL) {
            /* a slot: its value goes between the quotes */
            *dst++ = '"';
            slots->flat->at[slots->n] = (size_t) (dst - slots->flat->text);
            slots->flat->node[slots->n] = (size_t) (c - slots->root);
            slots->n++;
            *dst++ = '"';

        } else {
            *dst++ = '"';
            dst = ngx_http_precancel_json_escape(dst, c->value, c->value_len);
            *dst++ = '"';
        }
    }

    *dst++ = '}';

    return dst;
}


size_t
ngx_http_precancel_json_escape_len(const unsigned char *s, size_t len)
{
    size_t  n;

    n = len;

    /* four bytes a step while four are left, as the loop costs more */

    while (len >= 4) {
        n += escape_extra[s[0]] + escape_extra[s[1]] + escape_extra[s[2]]
             + escape_extra[s[3]];
        s += 4;
        len -= 4;
    }

    while (len--) {
        n += escape_extra[*s++];
    }

    return n;
}


unsigned char *
ngx_http_precancel_json_escape(unsigned char *dst, const unsigned char *s,
    size_t len)
{
    size_t         n;
    unsigned char  c;

    for ( ;; ) {

        /*
         * Most values need no escaping: copy the run up to the next one,
         * found four bytes a step while four are left.
         */

        n = 0;

        while (len - n >= 4
               && (escape_extra[s[n]] | escape_extra[s[n + 1]]
                   | escape_extra[s[n + 2]] | escape_extra[s[n + 3]])
                  == 0)
        {
            n += 4;
        }

        while (n < len && escape_extra[s[n]] == 0) {
            n++;
        }

        memcpy(dst, s, n);
        dst += n;
        s += n;
        len -= n;

        if (len == 0) {
            return dst;
        }

        c = *s++;
        len--;

        switch (escape_extra[c]) {

        case 1:
            *dst++ = '\\';
            *dst++ = escape_short[c];
            break;

        default: /* 5: \u00XX */
            *dst++ = '\\';
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0xf];
        }
    }
}


int
ngx_http_precancel_utf8_valid(const unsigned char *s, size_t len)
{
    size_t                n;
    uint64_t              w;
    const unsigned char  *end;

    end = s + len;

    while (s < end) {

        /* most values are ASCII: eight bytes a step while eight are left */

        while (end - s >= 8) {
            memcpy(&w, s, 8);

            if (w & 0x8080808080808080ULL) {
                break;
            }

            s += 8;
        }

        if (s == end) {
            break;
        }

        n = ngx_http_precancel_json_utf8_sequence(s, end);
        if (n == 0) {
            return 0;
        }

        s += n;
    }

    return 1;
}


/*
 * The length of the well-formed sequence at p, 0 if there is none.  The
 * allowed second bytes follow RFC 3629 (Unicode table 3-7), which rules
 * out overlong forms, surrogates and code points above U+10FFFF.
 */

static size_t
ngx_http_precancel_json_utf8_sequence(const unsigned char *p,
    const unsigned char *end)
{
    size_t         n, i;
    unsigned char  c, lo, hi;

    c = p[0];

    if (c < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (c < 0xc2) {
        /* a stray continuation byte or an overlong two-byte form */
        return 0;

    } else if (c < 0xe0) {
        n = 2;

    } else if (c < 0xf0) {
        n = 3;

        if (c == 0xe0) {
            lo = 0xa0;

        } else if (c == 0xed) {
            hi = 0x9f;
        }

    } else if (c < 0xf5) {
        n = 4;

        if (c == 0xf0) {
            lo = 0x90;

        } else if (c == 0xf4) {
            hi = 0x8f;
        }

    } else {
        return 0;
    }

    if ((size_t) (end - p) < n || p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


static unsigned char *
ngx_http_precancel_json_utf8_encode(unsigned char *dst, unsigned long cp)
{
    if (cp < 0x80) {
        *dst++ = (unsigned char) cp;

    } else if (cp < 0x800) {
        *dst++ = (unsigned char) (0xc0 | (cp >> 6));
        *dst++ = (unsigned char) (0x80 | (cp & 0x3f));

    } else if (cp < 0x10000) {
        *dst++ = (unsigned char) (0xe0 | (cp >> 12));
        *dst++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        *dst++ = (unsigned char) (0x80 | (cp & 0x3f));

    } else {
        *dst++ = (unsigned char) (0xf0 | (cp >> 18));
        *dst++ = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
        *dst++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        *dst++ = (unsigned char) (0x80 | (cp & 0x3f));
    }

    return dst;
}


/*
 * The parser walks the input once, with the open arrays and objects on
 * stack[]; so depth is bounded by the stack and time is linear in len.
 * Each turn of its loop reads one step, in the state the last one left:
 * a value, what follows a value, or a member name.
 *
 * Wants are matched only inside objects on "onpath" levels, those reached
 * from the root through members that some want's path names; each such
 * level holds the wants whose path leads into it, so that a member name
 * is compared with none of the names of a path but the next.  While the
 * document is read, a want still ABSENT keeps in len the depth of the
 * deepest member of its path seen so far: as each of those members is
 * unique in its object (a second one is an error), the objects of a path
 * occur at most once in the document, and a path member seen again at a
 * depth not below that count is a duplicate.
 */

const char *
ngx_http_precancel_json_lookup(const unsigned char *in, size_t len,
    ngx_http_precancel_json_want_t *wants, size_t nwants,
    unsigned char *scratch, size_t *err_off)
{
    size_t                            i;
    const char                       *err;
    ngx_http_precancel_json_parser_t  ps;

    ngx_http_precancel_json_reset_wants(wants, nwants);

    ps.in = in;
    ps.end = in + len;
    ps.scratch = scratch;
    ps.wants = wants;
    ps.nwants = nwants;
    ps.depth = 0;
    ps.key = NULL;
    ps.key_len = 0;
    ps.targeted = 0;
    ps.child_onpath = 1;
    ps.child_wants = (nwants < NGX_HTTP_PRECANCEL_JSON_WANT_BITS)
                     ? ((uint64_t) 1 << nwants) - 1 : ~(uint64_t) 0;
    ps.child_path = "";
    ps.child_off = 0;
    ps.state = NGX_HTTP_PRECANCEL_JSON_SW_VALUE;

    ps.p = ngx_http_precancel_json_skip_space(in, ps.end);

    if (ps.p == ps.end) {
        err = "empty input";
        goto failed;
    }

    do {
        ps.p = ngx_http_precancel_json_skip_space(ps.p, ps.end);

        switch (ps.state) {

        case NGX_HTTP_PRECANCEL_JSON_SW_VALUE:
            err = ngx_http_precancel_json_value(&ps);
            break;

        case NGX_HTTP_PRECANCEL_JSON_SW_AFTER_VALUE:
            err = ngx_http_precancel_json_after_value(&ps);
            break;

        default: /* NGX_HTTP_PRECANCEL_JSON_SW_MEMBER */
            err = ngx_http_precancel_json_member(&ps);
        }

        if (err) {
            goto failed;
        }

    } while (ps.state != NGX_HTTP_PRECANCEL_JSON_SW_DONE);

    /* wants never reached hold no counters any more */

    for (i = 0; i < nwants; i++) {
        if (wants[i].type == NGX_HTTP_PRECANCEL_JSON_ABSENT) {
            wants[i].len = 0;
        }
    }

    return NULL;

failed:

    ngx_http_precancel_json_reset_wants(wants, nwants);

    *err_off = (size_t) (ps.p - in);

    return err;
}


/* a value: its first byte tells its kind */

static const char *
ngx_http_precancel_json_value(ngx_http_precancel_json_parser_t *ps)
{
    const char  *err;

    if (ps->p == ps->end) {
        return "unexpected end of input";
    }

    switch (*ps->p) {

    case '{':
    case '[':
        return ngx_http_precancel_json_open(ps);

    case '"':
        err = ngx_http_precancel_json_string(ps);
        break;

    case 't':
    case 'f':
    case 'n':
        err = ngx_http_precancel_json_literal(ps);
        break;

    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        err = ngx_http_precancel_json_number(ps);
        break;

    default:
        return "unexpected character";
    }

    ps->state = NGX_HTTP_PRECANCEL_JSON_SW_AFTER_VALUE;

    return err;
}


/*
 * An object or an array: a level more on the stack, then its first
 * member or element, or at once its end.
 */

static const char *
ngx_http_precancel_json_open(ngx_http_precancel_json_parser_t *ps)
{
    ngx_http_precancel_json_level_t  *lv;

    if (ps->depth == NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH) {
        return "nesting too deep";
    }

    lv = &ps->stack[ps->depth++];

    lv->object = (*ps->p == '{');
    lv->onpath = lv->object && ps->child_onpath && ps->nwants;

    if (lv->onpath) {
        lv->wants = ps->child_wants;
        lv->path = ps->child_path;
        lv->off = ps->child_off;
    }

    if (ps->targeted) {
        ngx_http_precancel_json_set_targets(ps,
                                    lv->object ? NGX_HTTP_PRECANCEL_JSON_OBJECT
                                               : NGX_HTTP_PRECANCEL_JSON_ARRAY,
                                    NULL, 0);
    }

    ps->p = ngx_http_precancel_json_skip_space(ps->p + 1, ps->end);

    if (ps->p != ps->end && *ps->p == (lv->object ? '}' : ']')) {
        ps->p++;
        ps->depth--;
        ps->state = NGX_HTTP_PRECANCEL_JSON_SW_AFTER_VALUE;
        return NULL;
    }

    if (lv->object) {
        /* targeted and child_onpath are the member name's to set */
        ps->state = NGX_HTTP_PRECANCEL_JSON_SW_MEMBER;
        return NULL;
    }

    /* no want's path goes through an array */

    ps->targeted = 0;
    ps->child_onpath = 0;
    ps->state = NGX_HTTP_PRECANCEL_JSON_SW_VALUE;

    return NULL;
}


/* a string value, decoded when a want takes it */

static const char *
ngx_http_precancel_json_string(ngx_http_precancel_json_parser_t *ps)
{
    size_t                n;
    const char           *err;
    const unsigned char  *str;

    err = ngx_http_precancel_json_scan_string(ps, ps->targeted != 0, &str,
                                              &n);
    if (err) {
        return err;
    }

    if (ps->targeted) {
        ngx_http_precancel_json_set_targets(ps, NGX_HTTP_PRECANCEL_JSON_STRING,
                                            str, n);
    }

    return NULL;
}


/*
 * true, false or null; each compared in one memcmp() of a constant
 * length, which the compiler makes a load or two
 */

static const char *
ngx_http_precancel_json_literal(ngx_http_precancel_json_parser_t *ps)
{
    int                             ok;
    size_t                          n, left;
    ngx_http_precancel_json_type_e  type;

    left = (size_t) (ps->end - ps->p);

    if (*ps->p == 't') {
        n = 4;
        ok = left >= n && memcmp(ps->p, "true", 4) == 0;
        type = NGX_HTTP_PRECANCEL_JSON_TRUE;

    } else if (*ps->p == 'f') {
        n = 5;
        ok = left >= n && memcmp(ps->p, "false", 5) == 0;
        type = NGX_HTTP_PRECANCEL_JSON_FALSE;

    } else {
        n = 4;
        ok = left >= n && memcmp(ps->p, "null", 4) == 0;
        type = NGX_HTTP_PRECANCEL_JSON_NULL;
    }

    if (!ok) {
        return "invalid literal";
    }

    if (ps->targeted) {
        ngx_http_precancel_json_set_targets(ps, type, NULL, 0);
    }

    ps->p += n;

    return NULL;
}


/* a number, which a want takes as the text it is */

static const char *
ngx_http_precancel_json_number(ngx_http_precancel_json_parser_t *ps)
{
    const char           *err;
    const unsigned char  *start;

    start = ps->p;

    err = ngx_http_precancel_json_scan_number(&ps->p, ps->end);
    if (err) {
        return err;
    }

    if (ps->targeted) {
        ngx_http_precancel_json_set_targets(ps, NGX_HTTP_PRECANCEL_JSON_NUMBER,
                                            start, (size_t) (ps->p - start));
    }

    return NULL;
}


/*
 * What follows a value: the end of the input after the document, else a
 * comma before the next member or element, or the end of the container.
 */

static const char *
ngx_http_precancel_json_after_value(ngx_http_precancel_json_parser_t *ps)
{
    ngx_http_precancel_json_level_t  *lv;

    if (ps->depth == 0) {
        if (ps->p != ps->end) {
            return "trailing data after JSON value";
        }

        ps->state = NGX_HTTP_PRECANCEL_JSON_SW_DONE;
        return NULL;
    }

    if (ps->p == ps->end) {
        return "unexpected end of input";
    }

    lv = &ps->stack[ps->depth - 1];

    if (*ps->p == ',') {
        ps->p++;
        ps->targeted = 0;
        ps->child_onpath = 0;
        ps->state = lv->object ? NGX_HTTP_PRECANCEL_JSON_SW_MEMBER
                               : NGX_HTTP_PRECANCEL_JSON_SW_VALUE;
        return NULL;
    }

    if (*ps->p == (lv->object ? '}' : ']')) {
        /* the container was a value: what follows it comes next */
        ps->p++;
        ps->depth--;
        return NULL;
    }

    return lv->object ? "expected ',' or '}'" : "expected ',' or ']'";
}


/*
 * A member name and its colon.  Names in an object on a want's path are
 * decoded, to be compared with the paths; an error in matching them (a
 * duplicate) is reported at the name.
 */

static const char *
ngx_http_precancel_json_member(ngx_http_precancel_json_parser_t *ps)
{
    const char                       *err;
    const unsigned char              *start;
    ngx_http_precancel_json_level_t  *lv;

    if (ps->p == ps->end) {
        return "unexpected end of input";
    }

    if (*ps->p != '"') {
        return "expected member name";
    }

    start = ps->p;
    lv = &ps->stack[ps->depth - 1];

    err = ngx_http_precancel_json_scan_string(ps, lv->onpath, &ps->key,
                                              &ps->key_len);
    if (err) {
        return err;
    }

    ps->p = ngx_http_precancel_json_skip_space(ps->p, ps->end);

    if (ps->p == ps->end) {
        return "unexpected end of input";
    }

    if (*ps->p != ':') {
        return "expected ':'";
    }

    ps->p++;
    ps->targeted = 0;
    ps->child_onpath = 0;
    ps->child_wants = 0;

    if (lv->onpath) {
        err = ngx_http_precancel_json_match_member(ps);
        if (err) {
            ps->p = start;
            return err;
        }
    }

    ps->state = NGX_HTTP_PRECANCEL_JSON_SW_VALUE;

    return NULL;
}


static const unsigned char *
ngx_http_precancel_json_skip_space(const unsigned char *p,
    const unsigned char *end)
{
    while (p < end
           && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    {
        p++;
    }

    return p;
}


static int
ngx_http_precancel_json_hex4(const unsigned char *p, const unsigned char *end,
    unsigned long *cp)
{
    size_t         i;
    unsigned char  c;

    if (end - p < 4) {
        return 0;
    }

    *cp = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            c -= '0';

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            c = (c | 0x20) - 'a' + 10;

        } else {
            return 0;
        }

        *cp = (*cp << 4) | c;
    }

    return 1;
}


/*
 * Validates the string at ps->p (its opening quote) and, when decode is
 * set, gives its decoded bytes in *str and *len: the input's own while
 * no escape is met, as most strings hold none; from the first escape
 * on, what came before it is copied to the string's offset in scratch
 * and the rest decoded after it.  On return ps->p is past the closing
 * quote, or at the error.
 *
 * Most strings are one plain run, which is read inline where a string
 * is; what else a string holds (escapes, UTF-8, errors) is read by a
 * function of its own, and only then is the place in scratch worked out.
 */

static inline const char *
ngx_http_precancel_json_scan_string(ngx_http_precancel_json_parser_t *ps,
    int decode, const unsigned char **str, size_t *len)
{
    unsigned char        *dst;
    const unsigned char  *p, *start;

    start = ps->p + 1;
    p = ngx_http_precancel_json_plain_run(start, ps->end);

    if (p == ps->end || *p != '"') {
        dst = decode ? ps->scratch + (start - ps->in) : NULL;

        return ngx_http_precancel_json_scan_string_rest(&ps->p, ps->end, dst,
                                                        str, len, p);
    }

    ps->p = p + 1;
    *str = start;
    *len = (size_t) (p - start);

    return NULL;
}


/*
 * scan_string() on from p, where the string's first plain run ends; it
 * decodes at dst when dst is not NULL.  Decoding never writes more bytes
 * than it reads, so dst may be the input's own offset in scratch.  On
 * return *pp is past the closing quote, or at the error.
 */

static const char *
ngx_http_precancel_json_scan_string_rest(const unsigned char **pp,
    const unsigned char *end, unsigned char *dst, const unsigned char **str,
    size_t *len, const unsigned char *p)
{
    size_t                n;
    unsigned char        *d;
    const char           *err;
    const unsigned char  *start;

    start = *pp + 1;

    /* where decoded bytes go, once an escape is met */
    d = NULL;

    for ( ;; ) {
        n = (size_t) (ngx_http_precancel_json_plain_run(p, end) - p);

        if (d && n) {
            memcpy(d, p, n);
            d += n;
        }

        p += n;

        if (p == end) {
            *pp = p;
            return "unterminated string";
        }

        if (*p == '"') {
            break;
        }

        if (*p < 0x20) {
            *pp = p;
            return "control character in string";
        }

        if (*p >= 0x80) {
            n = ngx_http_precancel_json_utf8_sequence(p, end);
            if (n == 0) {
                *pp = p;
                return "invalid UTF-8 in string";
            }

            if (d) {
                memcpy(d, p, n);
                d += n;
            }

            p += n;
            continue;
        }

        /* what is left of the bytes string_plain refuses: a backslash */

        if (dst && d == NULL) {
            n = (size_t) (p - start);
            memcpy(dst, start, n);
            d = dst + n;
        }

        err = ngx_http_precancel_json_scan_escape(&p, end, d ? &d : NULL);
        if (err) {
            *pp = p;
            return err;
        }
    }

    *pp = p + 1;

    if (dst == NULL) {
        return NULL;
    }

    if (d) {
        *str = dst;
        *len = (size_t) (d - dst);

    } else {
        *str = start;
        *len = (size_t) (p - start);
    }

    return NULL;
}


/*
 * The end of the run of printable ASCII other than quote and backslash
 * at p: most of a reply is such runs.  While eight bytes are left they
 * are tested at once, as one 64-bit word; in each byte of stop the top
 * bit is set when the byte is 0x80 or above (x), below 0x20 (x - 0x20
 * wraps to 0xe0 or above), a quote or a backslash (x ^ 0x22 or x ^ 0x5c
 * is 0, so less 1 wraps).  A wrap borrows from the next byte up, and so
 * may set a bit there too, but never without a byte below it that sets
 * its own: stop is 0 exactly when all eight bytes are plain, and its
 * lowest set bit, on a little-endian machine, is in the first byte that
 * is not.
 */

static inline const unsigned char *
ngx_http_precancel_json_plain_run(const unsigned char *p,
    const unsigned char *end)
{
    uint64_t  x, stop;

    while (end - p >= 8) {
        memcpy(&x, p, 8);

        stop = (x | (x - 0x2020202020202020)
                | ((x ^ 0x2222222222222222) - 0x0101010101010101)
                | ((x ^ 0x5c5c5c5c5c5c5c5c) - 0x0101010101010101))
               & 0x8080808080808080;

        if (stop) {
#if (defined __GNUC__ && defined __BYTE_ORDER__                              \
     && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
            return p + (__builtin_ctzll(stop) >> 3);
#else
            break;
#endif
        }

        p += 8;
    }

    while (p < end && string_plain[*p]) {
        p++;
    }

    return p;
}


/*
 * The escape at *pp (its backslash), decoded at *dp and *dp moved past
 * it when dp is not NULL.  On return *pp is past the escape, or at the
 * error: at the backslash, or at the end of the input for a string that
 * ends inside the escape.
 */

static const char *
ngx_http_precancel_json_scan_escape(const unsigned char **pp,
    const unsigned char *end, unsigned char **dp)
{
    size_t                n;
    unsigned char         c;
    unsigned long         cp;
    const char           *err;
    const unsigned char  *p;

    p = *pp;

    if (end - p < 2) {
        *pp = end;
        return "unterminated string";
    }

    switch (p[1]) {
    case '"':  c = '"'; break;
    case '\\': c = '\\'; break;
    case '/':  c = '/'; break;
    case 'b':  c = '\b'; break;
    case 'f':  c = '\f'; break;
    case 'n':  c = '\n'; break;
    case 'r':  c = '\r'; break;
    case 't':  c = '\t'; break;

    case 'u':
        err = ngx_http_precancel_json_scan_unicode(p, end, &cp, &n);
        if (err) {
            return err;
        }

        if (dp) {
            *dp = ngx_http_precancel_json_utf8_encode(*dp, cp);
        }

        *pp = p + n;
        return NULL;

    default:
        return "invalid escape in string";
    }

    if (dp) {
        *(*dp)++ = c;
    }

    *pp = p + 2;

    return NULL;
}


/*
 * The \uXXXX escape at p, or the two of a surrogate pair: the code point
 * they stand for, and their length.
 */

static const char *
ngx_http_precancel_json_scan_unicode(const unsigned char *p,
    const unsigned char *end, unsigned long *cp, size_t *len)
{
    unsigned long  lo;

    if (!ngx_http_precancel_json_hex4(p + 2, end, cp)) {
        return "invalid \\u escape";
    }

    if (*cp >= 0xdc00 && *cp <= 0xdfff) {
        return "lone surrogate in \\u escape";
    }

    if (*cp < 0xd800 || *cp > 0xdbff) {
        *len = 6;
        return NULL;
    }

    if (end - p < 12 || p[6] != '\\' || p[7] != 'u'
        || !ngx_http_precancel_json_hex4(p + 8, end, &lo)
        || lo < 0xdc00 || lo > 0xdfff)
    {
        return "lone surrogate in \\u escape";
    }

    *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
    *len = 12;

    return NULL;
}


/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */

static const char *
ngx_http_precancel_json_scan_number(const unsigned char **pp,
    const unsigned char *end)
{
    const unsigned char  *p;

    p = *pp;

    if (*p == '-') {
        p++;
    }

    if (p == end || *p < '0' || *p > '9') {
        goto invalid;
    }

    if (*p++ == '0') {
        if (p < end && *p >= '0' && *p <= '9') {
            goto invalid;
        }

    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < end && *p == '.') {
        p++;

        if (p == end || *p < '0' || *p > '9') {
            goto invalid;
        }

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;

        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == end || *p < '0' || *p > '9') {
            goto invalid;
        }

        while (p < end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    *pp = p;

    return NULL;

invalid:

    *pp = p;

    return "invalid number";
}


/*
 * A member named ps->key was read in the object stack[depth - 1], which
 * is on some want's path.  Counts the wants whose value this member is,
 * and tells whether its value, if an object, is on a want's path too.
 * Only the wants whose path leads into this object are compared.
 */

static const char *
ngx_http_precancel_json_match_member(ngx_http_precancel_json_parser_t *ps)
{
    size_t                            i;
    uint64_t                          m;
    const char                       *err;
    ngx_http_precancel_json_level_t  *lv;

    lv = &ps->stack[ps->depth - 1];

    for (m = lv->wants, i = 0; m; m >>= 1, i++) {
        if (m & 1) {
            err = ngx_http_precancel_json_match_want(ps, lv, i);
            if (err) {
                return err;
            }
        }
    }

    /* the wants past the bits: by the names their paths start with */

    for (i = NGX_HTTP_PRECANCEL_JSON_WANT_BITS; i < ps->nwants; i++) {
        if (strncmp(ps->wants[i].path, lv->path, lv->off) == 0) {
            err = ngx_http_precancel_json_match_want(ps, lv, i);
            if (err) {
                return err;
            }
        }
    }

    /* the next names of the paths that lead on, past this one and a dot */
    ps->child_off = lv->off + ps->key_len + 1;

    return NULL;
}


/*
 * Compares the member name with the one name of wants[i]'s path at this
 * depth, which starts at lv->off and ends at a dot or at the end of the
 * path; a key with a dot or a NUL byte in it is no name of a path.
 */

static inline const char *
ngx_http_precancel_json_match_want(ngx_http_precancel_json_parser_t *ps,
    ngx_http_precancel_json_level_t *lv, size_t i)
{
    size_t                           j, seen, key_len;
    const char                      *name;
    unsigned char                    c;
    const unsigned char             *key;
    ngx_http_precancel_json_want_t  *want;

    want = &ps->wants[i];
    name = want->path + lv->off;
    key = ps->key;
    key_len = ps->key_len;

    for (j = 0; j < key_len; j++) {
        c = (unsigned char) name[j];

        if (c != key[j] || c == '.' || c == '\0') {
            return NULL;
        }
    }

    if (name[j] != '.' && name[j] != '\0') {
        return NULL;
    }

    seen = (want->type == NGX_HTTP_PRECANCEL_JSON_ABSENT)
           ? want->len : (size_t) -1;

    if (seen >= ps->depth) {
        return "duplicate member";
    }

    if (name[j] == '\0') {
        /* provisionally not ABSENT, so that a repeat is caught */
        want->type = NGX_HTTP_PRECANCEL_JSON_NULL;
        want->len = NGX_HTTP_PRECANCEL_JSON_PENDING;
        ps->targeted++;

    } else {
        want->len = ps->depth;
        ps->child_onpath = 1;
        ps->child_path = want->path;

        if (i < NGX_HTTP_PRECANCEL_JSON_WANT_BITS) {
            ps->child_wants |= (uint64_t) 1 << i;
        }
    }

    return NULL;
}


/*
 * The value just read is that of the wants match_member() left pending:
 * ps->targeted of them, so the search ends at the last.
 */

static void
ngx_http_precancel_json_set_targets(ngx_http_precancel_json_parser_t *ps,
    ngx_http_precancel_json_type_e type, const unsigned char *str,
    size_t len)
{
    size_t                           i, n;
    ngx_http_precancel_json_want_t  *wants;

    wants = ps->wants;
    n = ps->targeted;

    for (i = 0; n && i < ps->nwants; i++) {
        if (wants[i].type != NGX_HTTP_PRECANCEL_JSON_ABSENT
            && wants[i].len == NGX_HTTP_PRECANCEL_JSON_PENDING)
        {
            wants[i].type = type;
            wants[i].str = str;
            wants[i].len = len;
            n--;
        }
    }
}


static void
ngx_http_precancel_json_reset_wants(ngx_http_precancel_json_want_t *wants,
    size_t nwants)
{
    size_t  i;

    for (i = 0; i < nwants; i++) {
        wants[i].type = NGX_HTTP_PRECANCEL_JSON_ABSENT;
        wants[i].str = NULL;
        wants[i].len = 0;
    }
}


/*
 * The names of a precancel_field path.  The order of the checks gives
 * each text one verdict however it is scanned: a name ends at the first
 * byte that is not a name's, which must be a dot; a dot must be followed
 * by a name.
 */

ngx_http_precancel_json_path_e
ngx_http_precancel_json_path_parse(const unsigned char *text, size_t len,
    ngx_http_precancel_json_path_t *path)
{
    const unsigned char             *p, *end, *start;
    ngx_http_precancel_json_name_t  *name;

    p = text;
    end = text + len;
    path->nnames = 0;

    for ( ;; ) {
        start = p;

        while (p < end && ngx_http_precancel_json_path_char(*p)) {
            p++;
        }

        if (p == start || (p < end && *p != '.')
            || path->nnames == NGX_HTTP_PRECANCEL_JSON_PATH_NAMES)
        {
            return NGX_HTTP_PRECANCEL_JSON_PATH_INVALID;
        }

        name = &path->names[path->nnames++];
        name->data = start;
        name->len = (size_t) (p - start);

        if (p == end) {
            return NGX_HTTP_PRECANCEL_JSON_PATH_OK;
        }

        p++;

        if (p == end) {
            return NGX_HTTP_PRECANCEL_JSON_PATH_TRAILING_DOT;
        }
    }
}


static int
ngx_http_precancel_json_path_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
}


int
ngx_http_precancel_json_path_overlap(const ngx_http_precancel_json_path_t *a,
    const ngx_http_precancel_json_path_t *b)
{
    size_t  i, n;

    n = a->nnames < b->nnames ? a->nnames : b->nnames;

    for (i = 0; i < n; i++) {
        if (a->names[i].len != b->names[i].len
            || memcmp(a->names[i].data, b->names[i].data, a->names[i].len)
               != 0)
        {
            return 0;
        }
    }

    return 1;
}


size_t
ngx_http_precancel_json_tree_size(const ngx_http_precancel_json_path_t *paths,
    size_t npaths)
{
    size_t  i, n;

    /* the root, and a node for every name of every path at most */

    n = 1;

    for (i = 0; i < npaths; i++) {
        n += paths[i].nnames;
    }

    return n;
}


/*
 * A linked trie is made first; it is then laid out breadth first, so that
 * the children of every object are one run of nodes.  trie[0] is the
 * root, so 0 also means "no child" and "no sibling"; trie[k].order is the
 * trie entry laid out as nodes[k].
 */

size_t
ngx_http_precancel_json_tree_build(const ngx_http_precancel_json_path_t *paths,
    size_t npaths, ngx_http_precancel_json_node_t *nodes,
    ngx_http_precancel_json_trie_t *trie, size_t *leaf)
{
    size_t                                 i, k, cur, c, head, tail, n;
    ngx_http_precancel_json_node_t        *node;
    const ngx_http_precancel_json_name_t  *name;

    memset(trie, 0, ngx_http_precancel_json_tree_size(paths, npaths)
                    * sizeof(ngx_http_precancel_json_trie_t));

    tail = 1;

    for (i = 0; i < npaths; i++) {
        cur = 0;

        for (k = 0; k < paths[i].nnames; k++) {
            name = &paths[i].names[k];

            for (c = trie[cur].first; c; c = trie[c].next) {
                if (trie[c].key->len == name->len
                    && memcmp(trie[c].key->data, name->data, name->len) == 0)
                {
                    break;
                }
            }

            if (c == 0) {
                c = tail++;
                trie[c].key = name;

                if (trie[cur].last) {
                    trie[trie[cur].last].next = c;

                } else {
                    trie[cur].first = c;
                }

                trie[cur].last = c;
            }

            cur = c;
        }

        leaf[i] = cur;
    }

    memset(nodes, 0, tail * sizeof(ngx_http_precancel_json_node_t));

    trie[0].order = 0;
    head = 0;
    n = 1;

    while (head < n) {
        cur = trie[head].order;
        trie[cur].pos = head;
        node = &nodes[head++];

        if (trie[cur].key) {
            node->key = trie[cur].key->data;
            node->key_len = trie[cur].key->len;
        }

        if (trie[cur].first == 0) {
            continue;
        }

        node->children = &nodes[n];

        for (c = trie[cur].first; c; c = trie[c].next) {
            trie[n++].order = c;
            node->nchildren++;
        }
    }

    for (i = 0; i < npaths; i++) {
        leaf[i] = trie[leaf[i]].pos;
    }

    return tail;
}
