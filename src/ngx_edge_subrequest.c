
/*
 * Cutting a subrequest short (see ngx_edge_subrequest.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_edge_subrequest.h"


ngx_int_t
ngx_edge_subrequest_cut(ngx_http_request_t *sr, ngx_uint_t status)
{
    ngx_connection_t     *c;
    ngx_http_upstream_t  *u;

    u = sr->upstream;

    if (u == NULL || u->cleanup == NULL) {
        return NGX_DECLINED;
    }

    c = sr->connection;

    /*
     * The cleanup finalizes the subrequest with NGX_DONE, which gives
     * back a reference it does not own here: one is taken for it.
     */

    sr->main->count++;

    (*u->cleanup)(sr);

    ngx_http_finalize_request(sr, status);

    ngx_http_run_posted_requests(c);

    return NGX_OK;
}
