
/*
 * Pure JSON helpers of the precancel module: a writer for request bodies
 * and a strict reader for provider replies.  They know nothing of nginx
 * requests and include only the C library, so t/unit drives them alone.
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
 * The reader fills type, and for a string the decoded bytes (in the
 * caller's scratch buffer), for a number its text as it stands in the input.
 */

typedef struct {
    const char                      *path;
    ngx_http_precancel_json_type_e   type;
    const unsigned char             *str;
    size_t                           len;
} ngx_http_precancel_json_want_t;


/*
 * Parses the whole of in[0..len) as one RFC 8259 document and fills wants.
 * scratch must hold at least len bytes.  Returns NULL on success, else a
 * static description of the first error, with its byte offset in *err_off.
 */
const char *ngx_http_precancel_json_lookup(const unsigned char *in,
    size_t len, ngx_http_precancel_json_want_t *wants, size_t nwants,
    unsigned char *scratch, size_t *err_off);


#endif /* _NGX_HTTP_PRECANCEL_JSON_H_INCLUDED_ */
