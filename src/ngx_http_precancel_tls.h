
/*
 * TLS to the provider: "nginx -t" warns when the location a
 * precancel_pass names proxies over https without checking the
 * provider's certificate (no "proxy_ssl_verify on"), since the signed
 * call (and the browser, through the session URL it brings back) would
 * then go to whoever answers on the provider's address.
 */


#ifndef _NGX_HTTP_PRECANCEL_TLS_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_TLS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * At postconfiguration, when the location trees are built: one [warn]
 * per precancel_pass whose provider location proxies over https without
 * "proxy_ssl_verify on", naming the precancel_pass's file and line.
 * Warnings only: the configuration is accepted either way.
 */
void ngx_http_precancel_tls_check(ngx_conf_t *cf);

/*
 * When a provider subrequest is done: a [warn], once per worker and
 * provider location, when a proxy_pass with variables (whose scheme is
 * known only at run time) went over https without proxy_ssl_verify.
 */
void ngx_http_precancel_tls_check_request(ngx_http_request_t *sr);


#endif /* _NGX_HTTP_PRECANCEL_TLS_H_INCLUDED_ */
