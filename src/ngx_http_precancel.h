
/*
 * What the engine of ngx_http_precancel_module shares with its providers:
 * the status of a precancel, its per-request context, the engine's
 * location configuration and the interface a provider fills in.
 *
 * The engine (ngx_http_precancel_module.c, ngx_http_precancel_request.[ch])
 * knows no provider: it reads the browser's request, asks the location's
 * provider for the body and the request headers, POSTs them as an
 * in-memory subrequest, checks the transport (status, size, completeness,
 * encoding), asks the provider to judge the reply, checks the redirect
 * target and answers.  A provider is one file (see docs/providers.md):
 * an nginx module of its own, in the same .so, that owns its directives,
 * its configuration, its variables, its body, its authentication and its
 * reply rules, and registers with ngx_http_precancel_add_provider().
 */


#ifndef _NGX_HTTP_PRECANCEL_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_edge_hmac.h"
#include "ngx_http_precancel_json.h"
#include "ngx_http_precancel_redact.h"
#include "ngx_edge_metrics.h"


/* what happened to a request, for $precancel_status */
typedef enum {
    NGX_HTTP_PRECANCEL_PENDING = 0,
    NGX_HTTP_PRECANCEL_REDIRECTED,
    NGX_HTTP_PRECANCEL_BAD_FIELD,
    NGX_HTTP_PRECANCEL_UPSTREAM_FAILED,
    NGX_HTTP_PRECANCEL_UPSTREAM_TIMEOUT,
    NGX_HTTP_PRECANCEL_UPSTREAM_STATUS,
    NGX_HTTP_PRECANCEL_REJECTED,
    NGX_HTTP_PRECANCEL_BAD_REPLY,
    NGX_HTTP_PRECANCEL_BAD_URL,
    NGX_HTTP_PRECANCEL_INTERNAL,
    NGX_HTTP_PRECANCEL_DEADLINE,
    NGX_HTTP_PRECANCEL_SUBREQUEST,
    NGX_HTTP_PRECANCEL_CROSS_ORIGIN,
    NGX_HTTP_PRECANCEL_METHOD
} ngx_http_precancel_status_e;


/* the answer the browser was given, for precancel_answers_total */
typedef enum {
    NGX_HTTP_PRECANCEL_ANSWER_REDIRECTED = 0,
    NGX_HTTP_PRECANCEL_ANSWER_FALLBACK,
    NGX_HTTP_PRECANCEL_ANSWER_REFUSED
} ngx_http_precancel_answer_e;


typedef struct ngx_http_precancel_provider_s  ngx_http_precancel_provider_t;


/* a counted location's series (precancel_metrics_name) */
typedef struct {
    ngx_edge_metrics_series_t      **status;    /* by status_e */
    ngx_edge_metrics_series_t      **answer;    /* by answer_e */
    ngx_edge_metrics_series_t      **reply;     /* none, 1xx, ..., 5xx */
    ngx_edge_metrics_histogram_t    *duration;
} ngx_http_precancel_metrics_t;


/* a request header the provider subrequest carries; hash made at init */
typedef struct {
    ngx_str_t                        name;
    ngx_str_t                        lowcase;
    ngx_uint_t                       hash;
} ngx_http_precancel_header_t;


typedef struct {
    ngx_str_t                        uri;
    ngx_http_precancel_provider_t   *provider;

    /*
     * What provider text is cleared of before it is quoted (of
     * ngx_http_precancel_secret_t), set by the provider for the locations
     * that use it
     */
    ngx_array_t                     *secrets;
    ngx_http_complex_value_t        *fallback;
    ngx_regex_t                     *redirect_allow;
    ngx_msec_t                       timeout;

    /* precancel_methods (NGX_HTTP_GET, NGX_HTTP_POST), 0 while unset */
    ngx_uint_t                       methods;

    /* precancel_trusted_origins, of ngx_http_precancel_origin_str_t */
    ngx_array_t                     *trusted_origins;

    /* a provider location's https call without verification was logged */
    unsigned                         tls_warned:1;

    /* where precancel_pass stands, for errors found at merge */
    ngx_str_t                        pass_file;
    ngx_uint_t                       pass_line;

    /* NULL where the location is not counted */
    ngx_http_precancel_metrics_t    *metrics;
} ngx_http_precancel_loc_conf_t;


typedef struct {
    /* every provider, in the order of their modules */
    ngx_array_t                      providers;
} ngx_http_precancel_main_conf_t;


typedef struct {
    ngx_uint_t                       status;     /* status_e */
    ngx_str_t                        error;
    ngx_str_t                        url;

    ngx_http_request_t              *sr;
    size_t                           reply_size;
    size_t                           reply_max;
    ngx_buf_t                       *reply;

    /* precancel_timeout: the longest the browser waits for the provider */
    ngx_event_t                      deadline;

    /* where the provider's reply sent the subrequest, quoted */
    ngx_str_t                        redirect;

    /* a secret of this request alone (Retention's Signature), redacted */
    ngx_str_t                        request_secret;

    /* the provider's own, for its variables (NULL until it sets one) */
    void                            *data;

    /* $precancel_duration: the provider round trip */
    ngx_msec_t                       started;
    ngx_msec_t                       duration;

    /* the connection's log level while debug logging is paused */
    ngx_uint_t                       log_level;

    unsigned                         done:1;
    unsigned                         too_big:1;
    unsigned                         complete:1;
    unsigned                         expired:1;
    unsigned                         log_paused:1;
    ngx_int_t                        sub_rc;
    ngx_uint_t                       sub_status;
    ngx_str_t                        sub_encoding;
} ngx_http_precancel_ctx_t;


/*
 * A provider.  Each callback either succeeds or records the failure with
 * ngx_http_precancel_fail() (which returns NGX_ERROR), so the answer, the
 * log line and $precancel_error stay in the engine.
 */
struct ngx_http_precancel_provider_s {
    ngx_str_t                        name;

    /* the provider's module: its location configuration is the "conf" */
    ngx_module_t                    *module;

    /* taken where no precancel_provider is given (one provider only) */
    ngx_uint_t                       is_default;

    /*
     * The request headers hold a secret (an API key) or what would let
     * whoever reads them replay the call (a signature): nginx's proxy
     * module writes every upstream request header to the debug log, so
     * debug logging of the connection is paused while the provider
     * subrequest runs.
     */
    ngx_uint_t                       secret_headers;

    /*
     * The call changes the subscription (it is not just a page the
     * customer is sent to): only POST by default, and no cross-origin
     * request at all, navigation or not.
     */
    ngx_uint_t                       changes_subscription;

    /* of the body the provider writes */
    ngx_str_t                        content_type;

    /* the most request headers add_headers() pushes */
    ngx_uint_t                       nheaders;

    /* the body of one precancel; conf is the module's location conf */
    ngx_int_t                      (*body)(ngx_http_request_t *r,
                                       void *conf,
                                       ngx_http_precancel_ctx_t *ctx,
                                       ngx_str_t *body);

    /* authentication and the provider's own headers, for that body */
    ngx_int_t                      (*add_headers)(ngx_http_request_t *r,
                                       void *conf,
                                       ngx_http_precancel_ctx_t *ctx,
                                       ngx_str_t *body, ngx_list_t *headers);

    /*
     * Judges a reply that arrived whole, within the size, unencoded:
     * status and body.  Sets *url to where the browser goes: NGX_OK for a
     * URL from the reply (the engine checks it), NGX_DONE for one of the
     * configuration's own.
     */
    ngx_int_t                      (*reply)(ngx_http_request_t *r,
                                       void *conf,
                                       ngx_http_precancel_ctx_t *ctx,
                                       ngx_uint_t status, u_char *data,
                                       size_t len, ngx_str_t *url);
};


extern ngx_module_t  ngx_http_precancel_module;


/* the engine's module (ngx_http_precancel_module.c), for the providers */

/* at preconfiguration: the provider becomes a precancel_provider value */
ngx_int_t ngx_http_precancel_add_provider(ngx_conf_t *cf,
    ngx_http_precancel_provider_t *provider);

/*
 * At the provider module's merge: the engine's configuration of the same
 * location (merged before, the engine's module coming first), and
 * whether precancel_pass there uses one of module's providers.
 */
ngx_http_precancel_loc_conf_t *ngx_http_precancel_conf_location(
    ngx_conf_t *cf);
ngx_uint_t ngx_http_precancel_conf_uses(ngx_http_precancel_loc_conf_t *plcf,
    ngx_module_t *module);

/*
 * At that merge: the [emerg] for a directive of the module given in a
 * block whose precancel_pass uses another provider.
 */
char *ngx_http_precancel_conf_foreign(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *plcf, const char *directive);

/*
 * The request's verdict is given: counts it, and the provider call if
 * one was made, where the location is counted.
 */
void ngx_http_precancel_count(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_uint_t answer);

char *ngx_http_precancel_conf_string(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_precancel_conf_complex(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_complex_value_t *cv);


#endif /* _NGX_HTTP_PRECANCEL_H_INCLUDED_ */
