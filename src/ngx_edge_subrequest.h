
/*
 * What the module's subrequests to an upstream share: cutting one short
 * when its deadline passes.
 */


#ifndef _NGX_EDGE_SUBREQUEST_H_INCLUDED_
#define _NGX_EDGE_SUBREQUEST_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/*
 * Closes sr's upstream connection and finalizes sr with status, which
 * its post_subrequest handler sees; then runs the connection's posted
 * requests (a timer's handler calls it).  NGX_DECLINED when sr is not in
 * an upstream's hands (limit_req delays it, say): it cannot be cut
 * short cleanly, and its own end is awaited.
 */
ngx_int_t ngx_edge_subrequest_cut(ngx_http_request_t *sr, ngx_uint_t status);


#endif /* _NGX_EDGE_SUBREQUEST_H_INCLUDED_ */
