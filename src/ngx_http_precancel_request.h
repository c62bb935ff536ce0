
/*
 * The engine's request side (ngx_http_precancel_request.c): the content
 * handler and filters it installs, and what a provider's callbacks use to
 * fail, quote provider text, read a JSON reply and push headers.
 */


#ifndef _NGX_HTTP_PRECANCEL_REQUEST_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_REQUEST_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_precancel.h"


ngx_int_t ngx_http_precancel_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_precancel_request_init(ngx_conf_t *cf);
ngx_http_precancel_ctx_t *ngx_http_precancel_var_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_precancel_fail(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_uint_t status, const char *fmt, ...);
ngx_int_t ngx_http_precancel_quote_message(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_str_t *dst, const u_char *src,
    size_t len);
ngx_int_t ngx_http_precancel_add_secret(ngx_conf_t *cf,
    ngx_array_t **secrets, const u_char *secret, size_t len);
ngx_int_t ngx_http_precancel_read_json(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, u_char *data, size_t len,
    ngx_http_precancel_json_want_t *wants, size_t nwants, const char **err,
    size_t *err_off);
ngx_int_t ngx_http_precancel_push_header(ngx_list_t *headers,
    ngx_http_precancel_header_t *hd, ngx_str_t *value);
void ngx_http_precancel_hash_headers(ngx_http_precancel_header_t *hd,
    ngx_uint_t n);


#endif /* _NGX_HTTP_PRECANCEL_REQUEST_H_INCLUDED_ */
