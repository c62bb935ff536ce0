
/*
 * ngx_http_precancel_module: nginx makes the billing provider's call for
 * the browser and answers it with a redirect, so the provider's secret
 * never leaves nginx's configuration.
 *
 * This file holds the engine's module: its directives (precancel_pass,
 * precancel_provider and those of every flow), its variables,
 * create/merge, its series in the metrics zone and their counting (the
 * zone and the endpoint are ngx_http_precancel_metrics.c's), and what
 * the providers' modules call to register and to check a location.
 * The flow is in ngx_http_precancel_request.c; each provider is a
 * module of its own in ngx_http_precancel_<provider>.c
 * (docs/providers.md), and the pieces that know nothing of requests are
 * apart: the JSON body writer and reply reader
 * (ngx_http_precancel_json.c), the signer (ngx_edge_hmac.c),
 * secret files (ngx_edge_secret.c), the redirect URL check
 * (ngx_http_precancel_url.c), the cross-origin policy
 * (ngx_http_precancel_origin.c) and the redaction of provider text
 * (ngx_http_precancel_redact.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/rand.h>

#include "ngx_http_precancel.h"
#include "ngx_http_precancel_request.h"
#include "ngx_edge_codec.h"
#include "ngx_http_precancel_tls.h"
#include "ngx_http_precancel_origin.h"
#include "ngx_http_precancel_metrics.h"


static ngx_int_t ngx_http_precancel_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_precancel_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_precancel_click_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_precancel_duration_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_precancel_metrics_conf(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *conf);
static ngx_int_t ngx_http_precancel_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_precancel_init(ngx_conf_t *cf);
static void *ngx_http_precancel_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_precancel_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_precancel_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_precancel_pass(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_precancel_redirect_allow(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_precancel_provider(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_precancel_timeout_check(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_precancel_methods(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_precancel_trusted_origins(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_conf_post_handler_pt  ngx_http_precancel_timeout_post =
    ngx_http_precancel_timeout_check;


static ngx_command_t  ngx_http_precancel_commands[] = {

    { ngx_string("precancel_pass"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_pass,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_fallback"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_precancel_loc_conf_t, fallback),
      NULL },

    { ngx_string("precancel_redirect_allow"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_redirect_allow,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_provider"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_provider,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_precancel_loc_conf_t, timeout),
      &ngx_http_precancel_timeout_post },

    { ngx_string("precancel_methods"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_precancel_methods,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_trusted_origins"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_precancel_trusted_origins,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_precancel_module_ctx = {
    ngx_http_precancel_add_variables,      /* preconfiguration */
    ngx_http_precancel_init,               /* postconfiguration */

    ngx_http_precancel_create_main_conf,   /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_precancel_create_loc_conf,    /* create location configuration */
    ngx_http_precancel_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_precancel_module = {
    NGX_MODULE_V1,
    &ngx_http_precancel_module_ctx,        /* module context */
    ngx_http_precancel_commands,           /* module directives */
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


static ngx_http_variable_t  ngx_http_precancel_vars[] = {

    { ngx_string("precancel_status"), NULL,
      ngx_http_precancel_status_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("precancel_error"), NULL,
      ngx_http_precancel_str_variable,
      offsetof(ngx_http_precancel_ctx_t, error),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("precancel_duration"), NULL,
      ngx_http_precancel_duration_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    /* cached: one value a request, its subrequests and their retries */

    { ngx_string("precancel_click_id"), NULL,
      ngx_http_precancel_click_id_variable, 0, 0, 0 },

      ngx_http_null_variable
};


/* one name a status, for $precancel_status */
static ngx_str_t  ngx_http_precancel_status_names[] = {
    [NGX_HTTP_PRECANCEL_PENDING] = ngx_null_string,
    [NGX_HTTP_PRECANCEL_REDIRECTED] = ngx_string("redirected"),
    [NGX_HTTP_PRECANCEL_BAD_FIELD] = ngx_string("bad_field"),
    [NGX_HTTP_PRECANCEL_UPSTREAM_FAILED] = ngx_string("upstream_failed"),
    [NGX_HTTP_PRECANCEL_UPSTREAM_TIMEOUT] = ngx_string("upstream_timeout"),
    [NGX_HTTP_PRECANCEL_UPSTREAM_STATUS] = ngx_string("upstream_status"),
    [NGX_HTTP_PRECANCEL_REJECTED] = ngx_string("rejected"),
    [NGX_HTTP_PRECANCEL_BAD_REPLY] = ngx_string("bad_reply"),
    [NGX_HTTP_PRECANCEL_BAD_URL] = ngx_string("bad_url"),
    [NGX_HTTP_PRECANCEL_INTERNAL] = ngx_string("internal"),
    [NGX_HTTP_PRECANCEL_DEADLINE] = ngx_string("deadline"),
    [NGX_HTTP_PRECANCEL_SUBREQUEST] = ngx_string("subrequest"),
    [NGX_HTTP_PRECANCEL_CROSS_ORIGIN] = ngx_string("cross_origin"),
    [NGX_HTTP_PRECANCEL_METHOD] = ngx_string("method_not_allowed")
};


/* one name an answer, for precancel_answers_total */
static ngx_str_t  ngx_http_precancel_answer_names[] = {
    [NGX_HTTP_PRECANCEL_ANSWER_REDIRECTED] = ngx_string("redirected"),
    [NGX_HTTP_PRECANCEL_ANSWER_FALLBACK] = ngx_string("fallback"),
    [NGX_HTTP_PRECANCEL_ANSWER_REFUSED] = ngx_string("refused")
};


/* the provider's status class; "none" where no status came back */
static ngx_str_t  ngx_http_precancel_reply_names[] = {
    ngx_string("none"),
    ngx_string("1xx"),
    ngx_string("2xx"),
    ngx_string("3xx"),
    ngx_string("4xx"),
    ngx_string("5xx")
};


/*
 * For a call that should take 50-500 ms: fine steps there, coarse ones
 * up to precancel_timeout's default (5 s)
 */
static const ngx_msec_t  ngx_http_precancel_duration_bounds[] = {
    25, 50, 100, 200, 300, 500, 750, 1000, 2500, 5000
};


static ngx_edge_metrics_family_t  ngx_http_precancel_requests_family = {
    ngx_string("precancel_requests_total"),
    ngx_string("counter"),
    ngx_string("Precancel requests by location, provider and "
               "$precancel_status.")
};


static ngx_edge_metrics_family_t  ngx_http_precancel_answers_family = {
    ngx_string("precancel_answers_total"),
    ngx_string("counter"),
    ngx_string("Precancel requests by the answer given: redirected (the "
               "provider's session), fallback (precancel_fallback), "
               "refused (an error status).")
};


static ngx_edge_metrics_family_t  ngx_http_precancel_replies_family = {
    ngx_string("precancel_provider_responses_total"),
    ngx_string("counter"),
    ngx_string("Provider calls by the HTTP status class of the reply "
               "(none: no status came back).")
};


static ngx_edge_metrics_family_t  ngx_http_precancel_duration_family = {
    ngx_string("precancel_provider_duration_seconds"),
    ngx_string("histogram"),
    ngx_string("The provider round trip ($precancel_duration).")
};


static ngx_int_t
ngx_http_precancel_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_precancel_ctx_t  *ctx;

    ctx = ngx_http_precancel_var_ctx(r);

    if (ctx == NULL || ctx->status == NGX_HTTP_PRECANCEL_PENDING) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ngx_http_precancel_status_names[ctx->status].len;
    v->data = ngx_http_precancel_status_names[ctx->status].data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * $precancel_error: the ngx_str_t of the ctx at offset data, not found
 * while empty.
 */

static ngx_int_t
ngx_http_precancel_str_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                 *s;
    ngx_http_precancel_ctx_t  *ctx;

    ctx = ngx_http_precancel_var_ctx(r);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->data = s->data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * $precancel_click_id, the default idempotency key: 32 hex digits unique
 * to the request.  Each process draws a random 128-bit start once and
 * counts up from it, so ids do not repeat within a process, and two
 * processes' runs meet only by a chance RAND_bytes() makes negligible.
 * $request_id draws 16 random bytes on every request, which with
 * OpenSSL 3 costs a getpid() system call and about 6,600 instructions,
 * more than half of what the rest of the Billing flow adds to plain
 * proxying; an idempotency key needs uniqueness only, since nobody but
 * nginx can send one with the site's API key.  The start is drawn again
 * in a process that did not draw it (after fork), by ngx_pid.
 */

static ngx_int_t
ngx_http_precancel_click_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char  *id;

    static ngx_pid_t      pid = NGX_INVALID_PID;
    static unsigned char  counter[16];

    if (pid != ngx_pid) {
        if (RAND_bytes(counter, sizeof(counter)) != 1) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "RAND_bytes() failed for $precancel_click_id");
            return NGX_ERROR;
        }

        pid = ngx_pid;
    }

    id = ngx_pnalloc(r->pool, 2 * sizeof(counter));
    if (id == NULL) {
        return NGX_ERROR;
    }

    ngx_edge_next_id(counter, id);

    v->len = 2 * sizeof(counter);
    v->data = id;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * $precancel_duration: the provider round trip in milliseconds, from the
 * subrequest's start to the end of its reply (or the deadline); not found
 * where no call was made (a refusal, a bad field) or it is not over.
 */

static ngx_int_t
ngx_http_precancel_duration_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *p;
    ngx_http_precancel_ctx_t  *ctx;

    ctx = ngx_http_precancel_var_ctx(r);

    if (ctx == NULL || ctx->sr == NULL || !ctx->done) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_sprintf(p, "%M", ctx->duration) - p;
    v->data = p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_precancel_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_init(ngx_conf_t *cf)
{
    ngx_http_precancel_tls_check(cf);

    return ngx_http_precancel_request_init(cf);
}


static void *
ngx_http_precancel_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_precancel_main_conf_t  *pmcf;

    pmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_precancel_main_conf_t));
    if (pmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&pmcf->providers, cf->pool, 4,
                       sizeof(ngx_http_precancel_provider_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return pmcf;
}


static void *
ngx_http_precancel_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_precancel_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_precancel_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->uri = { 0, NULL };
     *     conf->secrets = NULL;
     *     conf->pass_file = { 0, NULL };
     *     conf->pass_line = 0;
     *     conf->methods = 0;
     *     conf->tls_warned = 0;
     *     conf->metrics = NULL;
     */

    conf->provider = NGX_CONF_UNSET_PTR;
    conf->fallback = NGX_CONF_UNSET_PTR;
    conf->redirect_allow = NGX_CONF_UNSET_PTR;
    conf->timeout = NGX_CONF_UNSET_MSEC;
    conf->trusted_origins = NGX_CONF_UNSET_PTR;

    return conf;
}


static char *
ngx_http_precancel_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_precancel_loc_conf_t *prev = parent;
    ngx_http_precancel_loc_conf_t *conf = child;

    ngx_uint_t                       i;
    ngx_http_precancel_provider_t  **p, *dflt;
    ngx_http_precancel_main_conf_t  *pmcf;

    pmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_precancel_module);

    dflt = NULL;
    p = pmcf->providers.elts;

    for (i = 0; i < pmcf->providers.nelts; i++) {
        if (p[i]->is_default) {
            dflt = p[i];
            break;
        }
    }

    ngx_conf_merge_ptr_value(conf->provider, prev->provider, dflt);
    ngx_conf_merge_ptr_value(conf->fallback, prev->fallback, NULL);
    ngx_conf_merge_ptr_value(conf->redirect_allow, prev->redirect_allow,
                             NULL);
    ngx_conf_merge_msec_value(conf->timeout, prev->timeout, 5000);
    ngx_conf_merge_ptr_value(conf->trusted_origins, prev->trusted_origins,
                             NULL);

    if (conf->methods == 0) {
        conf->methods = prev->methods;
    }

    if (conf->uri.len == 0) {
        return NGX_CONF_OK;
    }

    if (conf->provider == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"precancel_pass\" requires \"precancel_provider\" "
                      "(no provider module is the default) in %V:%ui",
                      &conf->pass_file, conf->pass_line);
        return NGX_CONF_ERROR;
    }

    /* a call that changes the subscription is never a link's to make */

    if (conf->methods == 0) {
        conf->methods = conf->provider->changes_subscription
                        ? NGX_HTTP_POST : NGX_HTTP_GET|NGX_HTTP_POST;
    }

    if (ngx_http_precancel_metrics_conf(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /*
     * The provider's own checks and templates for this location are made
     * at its module's merge, which comes after this one.
     */

    return NGX_CONF_OK;
}


/*
 * A location of precancel_pass with a precancel_metrics_name: its
 * series, one for each name of the tables above and of the statuses.
 */

static ngx_int_t
ngx_http_precancel_metrics_conf(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *conf)
{
    ngx_str_t                      *name, labels;
    ngx_edge_metrics_t             *m;
    ngx_http_precancel_metrics_t   *pm;
    u_char                          buf[NGX_MAX_CONF_ERRSTR];

    m = ngx_http_precancel_metrics_location(cf, &name);

    if (m == NULL) {
        return NGX_OK;
    }

    pm = ngx_pcalloc(cf->pool, sizeof(ngx_http_precancel_metrics_t));
    if (pm == NULL) {
        return NGX_ERROR;
    }

    labels.data = buf;
    labels.len = ngx_snprintf(buf, sizeof(buf),
                              "location=\"%V\",provider=\"%V\"",
                              name, &conf->provider->name)
                 - buf;

    pm->status = ngx_edge_metrics_add_each(cf, m,
                     &ngx_http_precancel_requests_family, &labels, "status",
                     ngx_http_precancel_status_names,
                     sizeof(ngx_http_precancel_status_names)
                     / sizeof(ngx_str_t));

    pm->answer = ngx_edge_metrics_add_each(cf, m,
                     &ngx_http_precancel_answers_family, &labels, "answer",
                     ngx_http_precancel_answer_names,
                     sizeof(ngx_http_precancel_answer_names)
                     / sizeof(ngx_str_t));

    pm->reply = ngx_edge_metrics_add_each(cf, m,
                     &ngx_http_precancel_replies_family, &labels, "class",
                     ngx_http_precancel_reply_names,
                     sizeof(ngx_http_precancel_reply_names)
                     / sizeof(ngx_str_t));

    pm->duration = ngx_edge_metrics_add_histogram(cf, m,
                       &ngx_http_precancel_duration_family, &labels,
                       ngx_http_precancel_duration_bounds,
                       sizeof(ngx_http_precancel_duration_bounds)
                       / sizeof(ngx_msec_t));

    if (pm->status == NULL || pm->answer == NULL || pm->reply == NULL
        || pm->duration == NULL)
    {
        return NGX_ERROR;
    }

    conf->metrics = pm;

    return NGX_OK;
}


void
ngx_http_precancel_count(ngx_http_request_t *r, ngx_http_precancel_ctx_t *ctx,
    ngx_uint_t answer)
{
    ngx_uint_t                      reply;
    ngx_http_precancel_metrics_t   *pm;
    ngx_http_precancel_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_precancel_module);
    pm = plcf->metrics;

    if (pm == NULL) {
        return;
    }

    ngx_edge_metrics_inc(pm->answer[answer]);

    if (pm->status[ctx->status]) {
        ngx_edge_metrics_inc(pm->status[ctx->status]);
    }

    if (ctx->sr == NULL || !ctx->done) {
        /* no call was made (a refusal, a bad field) */
        return;
    }

    ngx_edge_metrics_observe(pm->duration, ctx->duration);

    /* the provider's status, not the 502 or 504 of nginx's proxy */

    reply = 0;

    if (!ctx->expired
        && ctx->sub_rc != NGX_ERROR
        && ctx->sub_rc < NGX_HTTP_SPECIAL_RESPONSE
        && ctx->sub_status >= 100 && ctx->sub_status < 600)
    {
        reply = ctx->sub_status / 100;
    }

    ngx_edge_metrics_inc(pm->reply[reply]);
}


ngx_int_t
ngx_http_precancel_add_provider(ngx_conf_t *cf,
    ngx_http_precancel_provider_t *provider)
{
    ngx_http_precancel_provider_t   **p;
    ngx_http_precancel_main_conf_t   *pmcf;

    pmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_precancel_module);

    p = ngx_array_push(&pmcf->providers);
    if (p == NULL) {
        return NGX_ERROR;
    }

    *p = provider;

    return NGX_OK;
}


ngx_http_precancel_loc_conf_t *
ngx_http_precancel_conf_location(ngx_conf_t *cf)
{
    return ngx_http_conf_get_module_loc_conf(cf, ngx_http_precancel_module);
}


ngx_uint_t
ngx_http_precancel_conf_uses(ngx_http_precancel_loc_conf_t *plcf,
    ngx_module_t *module)
{
    return plcf->uri.len && plcf->provider
           && plcf->provider->module == module;
}


char *
ngx_http_precancel_conf_foreign(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *plcf, const char *directive)
{
    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"%s\" cannot be used with \"precancel_provider %V\" "
                  "in %V:%ui", directive, &plcf->provider->name,
                  &plcf->pass_file, plcf->pass_line);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_precancel_pass(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_precancel_loc_conf_t *plcf = conf;

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (plcf->uri.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "precancel_pass \"%V\" is not a URI starting "
                           "with \"/\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    plcf->uri = value[1];
    plcf->pass_file = cf->conf_file->file.name;
    plcf->pass_line = cf->conf_file->line;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_precancel_handler;

    return NGX_CONF_OK;
}


/* a string that goes into the body or a header: no control characters */

char *
ngx_http_precancel_conf_string(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char       *p = conf;

    ngx_str_t  *field, *value;
    ngx_uint_t  i;

    field = (ngx_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V\" is empty",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] < 0x20 || value[1].data[i] == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" contains a control character",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    if (!ngx_http_precancel_utf8_valid(value[1].data, value[1].len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" is not valid UTF-8", &cmd->name);
        return NGX_CONF_ERROR;
    }

    *field = value[1];

    return NGX_CONF_OK;
}


/* compiles value (it may hold variables) into cv */

ngx_int_t
ngx_http_precancel_conf_complex(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_complex_value_t *cv)
{
    ngx_http_compile_complex_value_t  ccv;

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = cv;

    return ngx_http_compile_complex_value(&ccv);
}


static char *
ngx_http_precancel_redirect_allow(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_precancel_loc_conf_t *plcf = conf;

    ngx_str_t            *value;
    ngx_regex_compile_t   rc;
    u_char                errstr[NGX_MAX_CONF_ERRSTR];

    if (plcf->redirect_allow != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern = value[1];
    rc.pool = cf->pool;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (ngx_regex_compile(&rc) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid precancel_redirect_allow: %V", &rc.err);
        return NGX_CONF_ERROR;
    }

    plcf->redirect_allow = rc.regex;

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_timeout_check(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *timeout = data;

    if (*timeout == 0) {
        return "must be more than 0";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_provider(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_precancel_loc_conf_t *plcf = conf;

    u_char                          *p, *last;
    ngx_str_t                       *value;
    ngx_uint_t                       i, n;
    ngx_http_precancel_provider_t  **pv;
    ngx_http_precancel_main_conf_t  *pmcf;
    u_char                           names[NGX_MAX_CONF_ERRSTR];

    if (plcf->provider != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    pmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_precancel_module);
    pv = pmcf->providers.elts;
    n = pmcf->providers.nelts;

    for (i = 0; i < n; i++) {
        if (pv[i]->name.len == value[1].len
            && ngx_strncmp(pv[i]->name.data, value[1].data, value[1].len)
               == 0)
        {
            plcf->provider = pv[i];
            return NGX_CONF_OK;
        }
    }

    /* "expected a, b or c", from the providers the modules registered */

    p = names;
    last = names + sizeof(names);

    for (i = 0; i < n; i++) {
        p = ngx_slprintf(p, last, "%s%V",
                         i == 0 ? "" : (i + 1 == n ? " or " : ", "),
                         &pv[i]->name);
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "unknown precancel_provider \"%V\": expected %*s",
                       &value[1], (size_t) (p - names), names);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_precancel_methods(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_precancel_loc_conf_t *plcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i, m;

    if (plcf->methods) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 3 && ngx_strncmp(value[i].data, "GET", 3) == 0) {
            m = NGX_HTTP_GET;

        } else if (value[i].len == 4
                   && ngx_strncmp(value[i].data, "POST", 4) == 0)
        {
            m = NGX_HTTP_POST;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid method \"%V\" in \"%V\": "
                               "expected GET or POST", &value[i],
                               &cmd->name);
            return NGX_CONF_ERROR;
        }

        if (plcf->methods & m) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "method \"%V\" is repeated in \"%V\"",
                               &value[i], &cmd->name);
            return NGX_CONF_ERROR;
        }

        plcf->methods |= m;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_trusted_origins(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_precancel_loc_conf_t *plcf = conf;

    ngx_str_t                        *value;
    ngx_uint_t                        i;
    const char                       *err;
    ngx_http_precancel_origin_str_t  *o;

    if (plcf->trusted_origins != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    plcf->trusted_origins = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                       sizeof(ngx_http_precancel_origin_str_t));
    if (plcf->trusted_origins == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        err = ngx_http_precancel_origin_valid(value[i].data, value[i].len);

        if (err) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" in \"%V\" is not an origin: it %s",
                               &value[i], &cmd->name, err);
            return NGX_CONF_ERROR;
        }

        o = ngx_array_push(plcf->trusted_origins);
        if (o == NULL) {
            return NGX_CONF_ERROR;
        }

        o->data = value[i].data;
        o->len = value[i].len;
    }

    return NGX_CONF_OK;
}
