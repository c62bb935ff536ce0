
/*
 * ngx_http_precancel_metrics_module: the metrics zone
 * (precancel_metrics_zone), the endpoint that prints it
 * (precancel_metrics) and the name a location is counted under
 * (precancel_metrics_name).  The engine and the webhook verifier each
 * register and count their own series (ngx_edge_metrics.h), from their
 * own tables of outcomes.
 */


#ifndef _NGX_HTTP_PRECANCEL_METRICS_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_edge_metrics.h"


/* the module's version, for precancel_build_info */
#define NGX_HTTP_PRECANCEL_VERSION  "0.3.0"


/*
 * At a counting module's merge of a location: the zone, with *name the
 * location's precancel_metrics_name, or NULL where the location is not
 * counted (no name, or no zone: the merge of this module, which comes
 * first, has made the name without a zone an error).
 */
ngx_edge_metrics_t *ngx_http_precancel_metrics_location(ngx_conf_t *cf,
    ngx_str_t **name);


#endif /* _NGX_HTTP_PRECANCEL_METRICS_H_INCLUDED_ */
