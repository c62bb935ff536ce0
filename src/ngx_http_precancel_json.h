
/*
 * Pure JSON helpers of the precancel module: a writer for request bodies,
 * the field paths and body tree they are written from, and a strict
 * reader for provider replies.  They know nothing of nginx requests and
 * include only the C library, so t/unit and t/fuzz drive them alone.
 */


#ifndef _NGX_HTTP_PRECANCEL_JSON_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_JSON_H_INCLUDED_


#include <stddef.h>


#define NGX_HTTP_PRECANCEL_JSON_MAX_DEPTH  64


/*
 * One node of the body tree.  A leaf has children == NULL and a string
 * value; a leaf whose value is NULL or empty is left out of the output,
 * and so is an object none of whose leaves is written (the root object
 * itself is always written, "{}" at the least).
 */

typedef struct ngx_http_precancel_json_node_s  ngx_http_precancel_json_node_t;

struct ngx_http_precancel_json_node_s {
    const unsigned char             *key;
    size_t                           key_len;
    ngx_http_precancel_json_node_t  *children;
    size_t                           nchildren;
    const unsigned char             *value;
    size_t                           value_len;
};


/* exact number of bytes ngx_http_precancel_json_write() writes for root */
size_t ngx_http_precancel_json_len(const ngx_http_precancel_json_node_t *root);

/* writes root as compact JSON, returns the end of what was written */
unsigned char *ngx_http_precancel_json_write(unsigned char *dst,
    const ngx_http_precancel_json_node_t *root);

/* RFC 8259 string escaping, without the quotes */
size_t ngx_http_precancel_json_escape_len(const unsigned char *s, size_t len);
unsigned char *ngx_http_precancel_json_escape(unsigned char *dst,
    const unsigned char *s, size_t len);

/* 1 when s is well-formed UTF-8 (RFC 3629), 0 otherwise */
int ngx_http_precancel_utf8_valid(const unsigned char *s, size_t len);


typedef enum {
    NGX_HTTP_PRECANCEL_JSON_ABSENT = 0,
    NGX_HTTP_PRECANCEL_JSON_NULL,
    NGX_HTTP_PRECANCEL_JSON_FALSE,
    NGX_HTTP_PRECANCEL_JSON_TRUE,
    NGX_HTTP_PRECANCEL_JSON_NUMBER,
    NGX_HTTP_PRECANCEL_JSON_STRING,
    NGX_HTTP_PRECANCEL_JSON_ARRAY,
    NGX_HTTP_PRECANCEL_JSON_OBJECT
} ngx_http_precancel_json_type_e;


/*
 * A value the caller wants from a document: path is a dotted path of
 * object member names from the root ("valid", "hosted_page.url").
 * The reader fills type, and for a string its decoded bytes, for a
 * number its text as it stands in the input.  A string's bytes are the
 * input's own when it holds no escape, else decoded in the caller's
 * scratch buffer; either way they are not NUL-terminated, live as long
 * as both buffers do, and are only to be read.
 */

typedef struct {
    const char                      *path;
    ngx_http_precancel_json_type_e   type;
    const unsigned char             *str;
    size_t                           len;
} ngx_http_precancel_json_want_t;


/*
 * Parses the whole of in[0..len) as one RFC 8259 document and fills wants.
 * scratch must hold at least len bytes (strings with escapes are decoded
 * there); wanted strings may point into in or into scratch.  Returns NULL
 * on success, else a static description of the first error, with its
 * byte offset in *err_off.
 */
const char *ngx_http_precancel_json_lookup(const unsigned char *in,
    size_t len, ngx_http_precancel_json_want_t *wants, size_t nwants,
    unsigned char *scratch, size_t *err_off);


/*
 * A field path, "account.internal_id": up to PATH_NAMES member names of
 * [A-Za-z0-9_-] joined by single dots.  The names point into the text
 * the path was parsed from.
 */

#define NGX_HTTP_PRECANCEL_JSON_PATH_NAMES  8

typedef struct {
    const unsigned char             *data;
    size_t                           len;
} ngx_http_precancel_json_name_t;

typedef struct {
    ngx_http_precancel_json_name_t   names[NGX_HTTP_PRECANCEL_JSON_PATH_NAMES];
    size_t                           nnames;
} ngx_http_precancel_json_path_t;

typedef enum {
    NGX_HTTP_PRECANCEL_JSON_PATH_OK = 0,
    NGX_HTTP_PRECANCEL_JSON_PATH_INVALID,
    NGX_HTTP_PRECANCEL_JSON_PATH_TRAILING_DOT
} ngx_http_precancel_json_path_e;

/* TRAILING_DOT: all but a final "." is a valid path; path is then unset */
ngx_http_precancel_json_path_e ngx_http_precancel_json_path_parse(
    const unsigned char *text, size_t len,
    ngx_http_precancel_json_path_t *path);

/* 1 when a and b are one path, or one names an object holding the other */
int ngx_http_precancel_json_path_overlap(
    const ngx_http_precancel_json_path_t *a,
    const ngx_http_precancel_json_path_t *b);


/* the tree builder's scratch, one entry a node */
typedef struct {
    const ngx_http_precancel_json_name_t  *key;
    size_t                                 first;
    size_t                                 last;
    size_t                                 next;
    size_t                                 pos;
    size_t                                 order;
} ngx_http_precancel_json_trie_t;

/* the entries tree_build() needs in nodes and in trie: an upper bound */
size_t ngx_http_precancel_json_tree_size(
    const ngx_http_precancel_json_path_t *paths, size_t npaths);

/*
 * Lays out the body tree of npaths paths in nodes[0] (the root) onwards:
 * paths sharing a prefix share its objects, an object's members are in
 * the order their paths first name them, and the children of every
 * object are one run of nodes, as the writer wants them.  leaf[i] gets
 * the index in nodes of paths[i]'s last name; values are the caller's to
 * set.  Overlapping paths share nodes (a leaf that is also an object is
 * written as the object): the module refuses them before.  Returns the
 * number of nodes used.
 */
size_t ngx_http_precancel_json_tree_build(
    const ngx_http_precancel_json_path_t *paths, size_t npaths,
    ngx_http_precancel_json_node_t *nodes,
    ngx_http_precancel_json_trie_t *trie, size_t *leaf);


/*
 * A body template flattened once, at configuration time: its slots are
 * the leaves whose value is NULL in the template, set by each request.
 * text holds what the writer writes around them (keys, constant values,
 * punctuation), at[i] where slot i's escaped value goes in it, node[i]
 * the slot's index in the template's node array (counted from root).
 * When a request sets every slot, its body is text with the values put
 * in, byte for byte what ngx_http_precancel_json_write() writes for the
 * tree with those values; a slot left empty leaves its member out, which
 * only the tree writer does.
 */

typedef struct {
    unsigned char                   *text;
    size_t                           len;
    size_t                          *at;
    size_t                          *node;
    size_t                           nslots;
} ngx_http_precancel_json_flat_t;

/* the bytes of text and the number of slots the template needs */
void ngx_http_precancel_json_flat_size(
    const ngx_http_precancel_json_node_t *root, size_t *len, size_t *nslots);

/* fills flat; its text, at and node are the caller's, sized as above */
void ngx_http_precancel_json_flat_build(ngx_http_precancel_json_flat_t *flat,
    const ngx_http_precancel_json_node_t *root);

/* the body's exact length for values[0..nslots), 0 if one is empty */
size_t ngx_http_precancel_json_flat_len(
    const ngx_http_precancel_json_flat_t *flat,
    const ngx_http_precancel_json_name_t *values);

/* writes it, when flat_len() was not 0; returns the end */
unsigned char *ngx_http_precancel_json_flat_write(unsigned char *dst,
    const ngx_http_precancel_json_flat_t *flat,
    const ngx_http_precancel_json_name_t *values);


#endif /* _NGX_HTTP_PRECANCEL_JSON_H_INCLUDED_ */
