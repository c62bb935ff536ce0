
/*
 * Pure helper of the precancel module: an application/x-www-form-urlencoded
 * body writer (two passes, like the JSON writer: the exact length first,
 * then the bytes), and the check of an id that goes into a URI path.
 */


#ifndef _NGX_HTTP_PRECANCEL_FORM_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_FORM_H_INCLUDED_


#include <stddef.h>


typedef struct {
    const unsigned char  *name;
    size_t                name_len;
    const unsigned char  *value;
    size_t                value_len;
} ngx_http_precancel_form_pair_t;


/*
 * name=value pairs joined by "&"; a pair whose value is empty is left
 * out.  Every byte of names and values outside ALPHA, DIGIT and "-._*" is
 * written %XX (uppercase hex), a space as "+", as HTML forms do.
 */
size_t ngx_http_precancel_form_len(const ngx_http_precancel_form_pair_t *pairs,
    size_t n);
unsigned char *ngx_http_precancel_form_write(unsigned char *dst,
    const ngx_http_precancel_form_pair_t *pairs, size_t n);

/*
 * NULL when id is 1 to 50 bytes of A-Z a-z 0-9 "_" "-" (a Chargebee id,
 * safe in a URI path), else why not.
 */
const char *ngx_http_precancel_form_id_check(const unsigned char *id,
    size_t len);


#endif /* _NGX_HTTP_PRECANCEL_FORM_H_INCLUDED_ */
