
/*
 * ngx_http_precancel_metrics_module (see ngx_http_precancel_metrics.h):
 * the zone's directive, the endpoint in Prometheus' text format, and the
 * name a location is counted under.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_precancel_metrics.h"


typedef struct {
    ngx_edge_metrics_t           *zone;
} ngx_http_precancel_metrics_main_conf_t;


typedef struct {
    ngx_str_t                     name;      /* precancel_metrics_name */
    ngx_flag_t                    endpoint;  /* precancel_metrics */
} ngx_http_precancel_metrics_loc_conf_t;


static ngx_int_t ngx_http_precancel_metrics_handler(ngx_http_request_t *r);
static void *ngx_http_precancel_metrics_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_precancel_metrics_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_precancel_metrics_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_precancel_metrics_zone(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_precancel_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_precancel_metrics_name(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_command_t  ngx_http_precancel_metrics_commands[] = {

    { ngx_string("precancel_metrics_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_metrics_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_precancel_metrics,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_metrics_name"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_metrics_name,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_precancel_metrics_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_precancel_metrics_create_main_conf,
                                           /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_precancel_metrics_create_loc_conf,
                                           /* create location configuration */
    ngx_http_precancel_metrics_merge_loc_conf
                                           /* merge location configuration */
};


ngx_module_t  ngx_http_precancel_metrics_module = {
    NGX_MODULE_V1,
    &ngx_http_precancel_metrics_module_ctx, /* module context */
    ngx_http_precancel_metrics_commands,   /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * Printed before the zone's series: the build is the loaded .so's and
 * the nginx it was built for (a dynamic module loads only into that
 * version), not a counter, so it is not kept in the zone.
 */
static ngx_str_t  ngx_http_precancel_metrics_info = ngx_string(
    "# HELP precancel_build_info The precancel module's version and the "
    "nginx version it was built for.\n"
    "# TYPE precancel_build_info gauge\n"
    "precancel_build_info{version=\"" NGX_HTTP_PRECANCEL_VERSION
    "\",nginx_version=\"" NGINX_VERSION "\"} 1\n");


static ngx_str_t  ngx_http_precancel_metrics_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");


static ngx_int_t
ngx_http_precancel_metrics_handler(ngx_http_request_t *r)
{
    ngx_int_t                                rc;
    ngx_buf_t                               *b;
    ngx_chain_t                              out;
    ngx_http_precancel_metrics_main_conf_t  *mmcf;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "precancel metrics handler");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    mmcf = ngx_http_get_module_main_conf(r, ngx_http_precancel_metrics_module);

    b = ngx_edge_metrics_print(mmcf->zone, r->pool,
                               &ngx_http_precancel_metrics_info);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    r->headers_out.content_type = ngx_http_precancel_metrics_type;
    r->headers_out.content_type_len = ngx_http_precancel_metrics_type.len;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_edge_metrics_t *
ngx_http_precancel_metrics_location(ngx_conf_t *cf, ngx_str_t **name)
{
    ngx_http_precancel_metrics_loc_conf_t   *mlcf;
    ngx_http_precancel_metrics_main_conf_t  *mmcf;

    mmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_precancel_metrics_module);
    mlcf = ngx_http_conf_get_module_loc_conf(cf,
                                            ngx_http_precancel_metrics_module);

    if (mmcf->zone == NULL || mlcf->name.len == 0) {
        return NULL;
    }

    *name = &mlcf->name;

    return mmcf->zone;
}


static void *
ngx_http_precancel_metrics_create_main_conf(ngx_conf_t *cf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     mmcf->zone = NULL;
     */

    return ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_precancel_metrics_main_conf_t));
}


static void *
ngx_http_precancel_metrics_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_precancel_metrics_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool,
                       sizeof(ngx_http_precancel_metrics_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->name = { 0, NULL };
     */

    conf->endpoint = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_precancel_metrics_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_precancel_metrics_loc_conf_t *prev = parent;
    ngx_http_precancel_metrics_loc_conf_t *conf = child;

    ngx_http_precancel_metrics_main_conf_t  *mmcf;

    ngx_conf_merge_str_value(conf->name, prev->name, "");

    /* the endpoint is the location's own, as a content handler is */

    ngx_conf_init_value(conf->endpoint, 0);

    mmcf = ngx_http_conf_get_module_main_conf(cf,
                                            ngx_http_precancel_metrics_module);

    if (mmcf->zone) {
        return NGX_CONF_OK;
    }

    if (conf->endpoint) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"precancel_metrics\" requires "
                      "\"precancel_metrics_zone\" in the http block");
        return NGX_CONF_ERROR;
    }

    if (conf->name.len) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"precancel_metrics_name %V\" requires "
                      "\"precancel_metrics_zone\" in the http block",
                      &conf->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_metrics_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_precancel_metrics_main_conf_t *mmcf = conf;

    ngx_str_t  *value;

    if (mmcf->zone) {
        return "is duplicate";
    }

    value = cf->args->elts;

    mmcf->zone = ngx_edge_metrics_add_zone(cf, cmd, &value[1],
                                           &ngx_http_precancel_metrics_module);
    if (mmcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_precancel_metrics_loc_conf_t *mlcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (mlcf->endpoint != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    mlcf->endpoint = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_precancel_metrics_handler;

    return NGX_CONF_OK;
}


/* a label value: a fixed set of characters, never quoted or escaped */

static char *
ngx_http_precancel_metrics_name(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_precancel_metrics_loc_conf_t *mlcf = conf;

    ngx_str_t   *value;
    const char  *err;

    if (mlcf->name.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    err = ngx_edge_metrics_valid_name(value[1].data, value[1].len);

    if (err) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid \"%V\" \"%V\": it %s", &cmd->name,
                           &value[1], err);
        return NGX_CONF_ERROR;
    }

    mlcf->name = value[1];

    return NGX_CONF_OK;
}
