
/*
 * Pure cross-origin policy for the browser requests that start a
 * provider call: from what a request says of where it comes from (Fetch
 * Metadata, Origin, Host), whether it may act for the customer.  No nginx
 * headers, so that the rules are tested by themselves.
 */


#ifndef _NGX_HTTP_PRECANCEL_ORIGIN_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_ORIGIN_H_INCLUDED_


#include <stddef.h>


/* a header's value; data NULL: the request has no such header */
typedef struct {
    const unsigned char  *data;
    size_t                len;
} ngx_http_precancel_origin_str_t;


typedef struct {
    ngx_http_precancel_origin_str_t  site;       /* Sec-Fetch-Site */
    ngx_http_precancel_origin_str_t  mode;       /* Sec-Fetch-Mode */
    ngx_http_precancel_origin_str_t  dest;       /* Sec-Fetch-Dest */
    ngx_http_precancel_origin_str_t  origin;     /* Origin */
    ngx_http_precancel_origin_str_t  host;       /* Host (host[:port]) */
} ngx_http_precancel_origin_req_t;


/*
 * NULL when the request may go on, else a static reason.
 *
 * navigation: a cross-site top-level navigation (a link followed in
 * webmail, say) is allowed too: set for a GET to a flow that only opens
 * a provider's page, never for a POST or for a flow that changes the
 * subscription.  trusted: origins ("https://app.example.com") whose
 * requests are allowed whatever they are.
 */
const char *ngx_http_precancel_origin_check(
    const ngx_http_precancel_origin_req_t *req, int navigation,
    const ngx_http_precancel_origin_str_t *trusted, size_t ntrusted);

/* NULL when s is an origin as browsers send it: scheme://host[:port] */
const char *ngx_http_precancel_origin_valid(const unsigned char *s,
    size_t len);


#endif /* _NGX_HTTP_PRECANCEL_ORIGIN_H_INCLUDED_ */
