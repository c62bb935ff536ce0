
/*
 * Pure check of a provider-supplied redirect target; no nginx headers.
 */


#ifndef _NGX_HTTP_PRECANCEL_URL_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_URL_H_INCLUDED_


#include <stddef.h>


#define NGX_HTTP_PRECANCEL_URL_MAX  8192


/*
 * Returns NULL when url is an absolute https URL that is safe to send as
 * a Location header, else a static reason such as "not an https URL".
 */
const char *ngx_http_precancel_url_check(const unsigned char *url,
    size_t len);


#endif /* _NGX_HTTP_PRECANCEL_URL_H_INCLUDED_ */
