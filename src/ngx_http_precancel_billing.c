
/*
 * The Chargebee Billing providers.  Both POST an
 * application/x-www-form-urlencoded body, authenticated with HTTP Basic
 * (the site API key as the user name, an empty password), with the
 * request-origin, event and idempotency headers the API knows:
 *
 *   chargebee_pre_cancel: POST /api/v2/hosted_pages/pre_cancel with
 *   subscription[id]; the browser goes to the reply's hosted_page.url.
 *
 *   chargebee_remove_scheduled_cancellation: POST
 *   /api/v2/subscriptions/{id}/remove_scheduled_cancellation, the id in
 *   the path through $precancel_subscription_id; the browser goes to
 *   precancel_success.
 *
 * An error reply is {"message", "type", "api_error_code", "param"}.
 *
 * Both are one module (ngx_http_precancel_billing_module, see
 * docs/providers.md) with the directives precancel_api_key_file,
 * precancel_subscription_id, precancel_param, precancel_success,
 * precancel_origin_ip, _user, _device, precancel_business_entity,
 * precancel_idempotency_key and precancel_events_disabled, and the
 * variable $precancel_subscription_id.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_precancel.h"
#include "ngx_http_precancel_request.h"
#include "ngx_http_precancel_form.h"
#include "ngx_edge_codec.h"
#include "ngx_edge_secret.h"


/* precancel_events_disabled */
#define NGX_HTTP_PRECANCEL_EVENTS_OFF      0x0002
#define NGX_HTTP_PRECANCEL_EVENTS_ACTIONS  0x0004
#define NGX_HTTP_PRECANCEL_EVENTS_EMAIL    0x0008
#define NGX_HTTP_PRECANCEL_EVENTS_WEBHOOK  0x0010


typedef struct {
    ngx_str_t                        name;
    ngx_http_complex_value_t         value;
} ngx_http_precancel_param_t;


typedef struct {
    /* "Basic base64(key:)", made once, cleansed with the configuration */
    ngx_str_t                       *authorization;
    ngx_array_t                     *key_secrets;    /* forms, to redact */

    ngx_http_complex_value_t        *subscription_id;
    ngx_array_t                     *params;     /* of the param_t */
    ngx_http_complex_value_t        *success;

    ngx_http_complex_value_t        *origin_ip;
    ngx_http_complex_value_t        *origin_user;
    ngx_http_complex_value_t        *origin_device;
    ngx_http_complex_value_t        *business_entity;
    ngx_http_complex_value_t        *idempotency_key;
    ngx_uint_t                       events;     /* bits of EVENTS_ */
} ngx_http_precancel_billing_conf_t;


/* a request's own, in the engine's ctx->data */
typedef struct {
    /* $precancel_subscription_id: checked, for the provider location */
    ngx_str_t                        subscription_id;
} ngx_http_precancel_billing_ctx_t;


/* the request headers, in the order of ngx_http_precancel_billing_hd */
enum {
    NGX_HTTP_PRECANCEL_H_AUTHORIZATION = 0,
    NGX_HTTP_PRECANCEL_H_IDEMPOTENCY,
    NGX_HTTP_PRECANCEL_H_ORIGIN_IP,
    NGX_HTTP_PRECANCEL_H_ORIGIN_USER,
    NGX_HTTP_PRECANCEL_H_ORIGIN_USER_ENCODED,
    NGX_HTTP_PRECANCEL_H_ORIGIN_DEVICE,
    NGX_HTTP_PRECANCEL_H_BUSINESS_ENTITY,
    NGX_HTTP_PRECANCEL_H_EVENT_ACTIONS,
    NGX_HTTP_PRECANCEL_H_EVENT_EMAIL,
    NGX_HTTP_PRECANCEL_H_EVENT_WEBHOOK,
    NGX_HTTP_PRECANCEL_H_N
};


static ngx_int_t ngx_http_precancel_billing_pre_cancel_body(
    ngx_http_request_t *r, void *conf, ngx_http_precancel_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_precancel_billing_remove_body(
    ngx_http_request_t *r, void *conf, ngx_http_precancel_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_http_precancel_billing_body(ngx_http_request_t *r,
    ngx_http_precancel_billing_conf_t *bcf, ngx_http_precancel_ctx_t *ctx,
    ngx_uint_t id_param, ngx_str_t *body);
static ngx_int_t ngx_http_precancel_billing_headers(ngx_http_request_t *r,
    void *conf, ngx_http_precancel_ctx_t *ctx, ngx_str_t *body,
    ngx_list_t *headers);
static ngx_int_t ngx_http_precancel_billing_header(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_http_complex_value_t *cv,
    ngx_uint_t n, ngx_list_t *headers);
static ngx_int_t ngx_http_precancel_billing_user(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_http_complex_value_t *cv,
    ngx_list_t *headers);
static ngx_int_t ngx_http_precancel_billing_pre_cancel_reply(
    ngx_http_request_t *r, void *conf, ngx_http_precancel_ctx_t *ctx,
    ngx_uint_t status, u_char *data, size_t len, ngx_str_t *url);
static ngx_int_t ngx_http_precancel_billing_remove_reply(
    ngx_http_request_t *r, void *conf, ngx_http_precancel_ctx_t *ctx,
    ngx_uint_t status, u_char *data, size_t len, ngx_str_t *url);
static ngx_int_t ngx_http_precancel_billing_read(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_uint_t status, u_char *data,
    size_t len, const char *path, ngx_http_precancel_json_want_t *want);
static ngx_int_t ngx_http_precancel_billing_preconf(ngx_conf_t *cf);
static ngx_int_t ngx_http_precancel_billing_id_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static void *ngx_http_precancel_billing_create(ngx_conf_t *cf);
static char *ngx_http_precancel_billing_merge(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_precancel_billing_init(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *plcf,
    ngx_http_precancel_billing_conf_t *bcf);
static char *ngx_http_precancel_billing_default(ngx_conf_t *cf,
    ngx_http_complex_value_t **cv, ngx_str_t *value);
static char *ngx_http_precancel_billing_key_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static void ngx_http_precancel_billing_cleanup(void *data);
static char *ngx_http_precancel_billing_param(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_precancel_events_disabled(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_conf_bitmask_t  ngx_http_precancel_billing_event_masks[] = {
    { ngx_string("off"), NGX_HTTP_PRECANCEL_EVENTS_OFF },
    { ngx_string("actions"), NGX_HTTP_PRECANCEL_EVENTS_ACTIONS },
    { ngx_string("email"), NGX_HTTP_PRECANCEL_EVENTS_EMAIL },
    { ngx_string("webhook"), NGX_HTTP_PRECANCEL_EVENTS_WEBHOOK },
    { ngx_null_string, 0 }
};


#define NGX_HTTP_PRECANCEL_BILLING_CV(name, field)                           \
    { ngx_string(name),                                                      \
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,  \
      ngx_http_set_complex_value_slot,                                       \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      offsetof(ngx_http_precancel_billing_conf_t, field),                    \
      NULL }


static ngx_command_t  ngx_http_precancel_billing_commands[] = {

    { ngx_string("precancel_api_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_billing_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    NGX_HTTP_PRECANCEL_BILLING_CV("precancel_subscription_id",
                                  subscription_id),

    { ngx_string("precancel_param"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_precancel_billing_param,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    NGX_HTTP_PRECANCEL_BILLING_CV("precancel_success", success),
    NGX_HTTP_PRECANCEL_BILLING_CV("precancel_origin_ip", origin_ip),
    NGX_HTTP_PRECANCEL_BILLING_CV("precancel_origin_user", origin_user),
    NGX_HTTP_PRECANCEL_BILLING_CV("precancel_origin_device", origin_device),
    NGX_HTTP_PRECANCEL_BILLING_CV("precancel_business_entity",
                                  business_entity),
    NGX_HTTP_PRECANCEL_BILLING_CV("precancel_idempotency_key",
                                  idempotency_key),

    { ngx_string("precancel_events_disabled"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_precancel_events_disabled,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_precancel_billing_conf_t, events),
      &ngx_http_precancel_billing_event_masks },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_precancel_billing_module_ctx = {
    ngx_http_precancel_billing_preconf,    /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_precancel_billing_create,     /* create location configuration */
    ngx_http_precancel_billing_merge       /* merge location configuration */
};


ngx_module_t  ngx_http_precancel_billing_module = {
    NGX_MODULE_V1,
    &ngx_http_precancel_billing_module_ctx, /* module context */
    ngx_http_precancel_billing_commands,   /* module directives */
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


static ngx_http_variable_t  ngx_http_precancel_billing_id_var =
    { ngx_string("precancel_subscription_id"), NULL,
      ngx_http_precancel_billing_id_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 };


static ngx_http_precancel_provider_t  ngx_http_precancel_billing_pre_cancel = {
    .name = ngx_string("chargebee_pre_cancel"),
    .module = &ngx_http_precancel_billing_module,
    .secret_headers = 1,
    .content_type = ngx_string("application/x-www-form-urlencoded"),
    .nheaders = NGX_HTTP_PRECANCEL_H_N,
    .body = ngx_http_precancel_billing_pre_cancel_body,
    .add_headers = ngx_http_precancel_billing_headers,
    .reply = ngx_http_precancel_billing_pre_cancel_reply,
};


static ngx_http_precancel_provider_t  ngx_http_precancel_billing_remove = {
    .name = ngx_string("chargebee_remove_scheduled_cancellation"),
    .module = &ngx_http_precancel_billing_module,
    .secret_headers = 1,
    .content_type = ngx_string("application/x-www-form-urlencoded"),
    .nheaders = NGX_HTTP_PRECANCEL_H_N,
    .body = ngx_http_precancel_billing_remove_body,
    .add_headers = ngx_http_precancel_billing_headers,
    .reply = ngx_http_precancel_billing_remove_reply,
    .changes_subscription = 1,
};


/* hashes are filled in when a location first uses a Billing provider */
static ngx_http_precancel_header_t  ngx_http_precancel_billing_hd[] = {
    { ngx_string("Authorization"), ngx_string("authorization"), 0 },
    { ngx_string("chargebee-idempotency-key"),
      ngx_string("chargebee-idempotency-key"), 0 },
    { ngx_string("chargebee-request-origin-ip"),
      ngx_string("chargebee-request-origin-ip"), 0 },
    { ngx_string("chargebee-request-origin-user"),
      ngx_string("chargebee-request-origin-user"), 0 },
    { ngx_string("chargebee-request-origin-user-encoded"),
      ngx_string("chargebee-request-origin-user-encoded"), 0 },
    { ngx_string("chargebee-request-origin-device"),
      ngx_string("chargebee-request-origin-device"), 0 },
    { ngx_string("chargebee-business-entity-id"),
      ngx_string("chargebee-business-entity-id"), 0 },
    { ngx_string("chargebee-event-actions"),
      ngx_string("chargebee-event-actions"), 0 },
    { ngx_string("chargebee-event-email"),
      ngx_string("chargebee-event-email"), 0 },
    { ngx_string("chargebee-event-webhook"),
      ngx_string("chargebee-event-webhook"), 0 }
};


static ngx_str_t  ngx_http_precancel_billing_subscription_param =
    ngx_string("subscription[id]");
static ngx_str_t  ngx_http_precancel_billing_all_disabled =
    ngx_string("all-disabled");


static ngx_int_t
ngx_http_precancel_billing_pre_cancel_body(ngx_http_request_t *r, void *conf,
    ngx_http_precancel_ctx_t *ctx, ngx_str_t *body)
{
    return ngx_http_precancel_billing_body(r, conf, ctx, 1, body);
}


/* the id goes into the provider location's URI, not into the body */

static ngx_int_t
ngx_http_precancel_billing_remove_body(ngx_http_request_t *r, void *conf,
    ngx_http_precancel_ctx_t *ctx, ngx_str_t *body)
{
    return ngx_http_precancel_billing_body(r, conf, ctx, 0, body);
}


static ngx_int_t
ngx_http_precancel_billing_body(ngx_http_request_t *r,
    ngx_http_precancel_billing_conf_t *bcf, ngx_http_precancel_ctx_t *ctx,
    ngx_uint_t id_param, ngx_str_t *body)
{
    ngx_http_precancel_billing_ctx_t  *bctx;

    u_char                          *p;
    size_t                           len;
    ngx_str_t                        id, value;
    ngx_uint_t                       i, n;
    const char                      *err;
    ngx_http_precancel_param_t      *param;
    ngx_http_precancel_form_pair_t  *pairs;

    /* the id goes into a URI path for one action: checked for both */

    if (ngx_http_complex_value(r, bcf->subscription_id, &id) != NGX_OK) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "precancel_subscription_id could not "
                                       "be evaluated");
    }

    err = ngx_http_precancel_form_id_check(id.data, id.len);

    if (err) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_FIELD,
                                       "subscription id refused: %s", err);
    }

    bctx = ngx_palloc(r->pool, sizeof(ngx_http_precancel_billing_ctx_t));
    if (bctx == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    bctx->subscription_id = id;
    ctx->data = bctx;

    n = bcf->params ? bcf->params->nelts : 0;

    pairs = ngx_palloc(r->pool,
                       (n + 1) * sizeof(ngx_http_precancel_form_pair_t));
    if (pairs == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    n = 0;

    if (id_param) {
        pairs[n].name = ngx_http_precancel_billing_subscription_param.data;
        pairs[n].name_len = ngx_http_precancel_billing_subscription_param.len;
        pairs[n].value = id.data;
        pairs[n].value_len = id.len;
        n++;
    }

    param = bcf->params ? bcf->params->elts : NULL;

    for (i = 0; bcf->params && i < bcf->params->nelts; i++) {

        if (ngx_http_complex_value(r, &param[i].value, &value) != NGX_OK) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "parameter \"%V\" could not be "
                                           "evaluated", &param[i].name);
        }

        if (!ngx_http_precancel_utf8_valid(value.data, value.len)) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_BAD_FIELD,
                                           "parameter \"%V\" is not valid "
                                           "UTF-8", &param[i].name);
        }

        pairs[n].name = param[i].name.data;
        pairs[n].name_len = param[i].name.len;
        pairs[n].value = value.data;
        pairs[n].value_len = value.len;
        n++;
    }

    len = ngx_http_precancel_form_len(pairs, n);

    /* an empty body still needs a buffer of its own */

    body->data = ngx_pnalloc(r->pool, len ? len : 1);
    if (body->data == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    p = ngx_http_precancel_form_write(body->data, pairs, n);

    if ((size_t) (p - body->data) != len) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "body length mismatch %uz != %uz",
                                       (size_t) (p - body->data), len);
    }

    body->len = len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_billing_headers(ngx_http_request_t *r, void *conf,
    ngx_http_precancel_ctx_t *ctx, ngx_str_t *body, ngx_list_t *headers)
{
    ngx_http_precancel_billing_conf_t *bcf = conf;

    ngx_uint_t  i, bit;

    if (ngx_http_precancel_push_header(headers,
                            &ngx_http_precancel_billing_hd[
                                NGX_HTTP_PRECANCEL_H_AUTHORIZATION],
                            bcf->authorization)
        != NGX_OK)
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    if (ngx_http_precancel_billing_header(r, ctx, bcf->idempotency_key,
                                          NGX_HTTP_PRECANCEL_H_IDEMPOTENCY,
                                          headers)
        != NGX_OK
        || ngx_http_precancel_billing_header(r, ctx, bcf->origin_ip,
                                             NGX_HTTP_PRECANCEL_H_ORIGIN_IP,
                                             headers)
           != NGX_OK
        || ngx_http_precancel_billing_user(r, ctx, bcf->origin_user, headers)
           != NGX_OK
        || ngx_http_precancel_billing_header(r, ctx, bcf->origin_device,
                                          NGX_HTTP_PRECANCEL_H_ORIGIN_DEVICE,
                                          headers)
           != NGX_OK
        || ngx_http_precancel_billing_header(r, ctx, bcf->business_entity,
                                        NGX_HTTP_PRECANCEL_H_BUSINESS_ENTITY,
                                        headers)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    bit = NGX_HTTP_PRECANCEL_EVENTS_ACTIONS;

    for (i = NGX_HTTP_PRECANCEL_H_EVENT_ACTIONS;
         i <= NGX_HTTP_PRECANCEL_H_EVENT_WEBHOOK;
         i++, bit <<= 1)
    {
        if (!(bcf->events & bit)) {
            continue;
        }

        if (ngx_http_precancel_push_header(headers,
                                    &ngx_http_precancel_billing_hd[i],
                                    &ngx_http_precancel_billing_all_disabled)
            != NGX_OK)
        {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "out of memory");
        }
    }

    return NGX_OK;
}


/*
 * A header from configuration: left out when empty, refused (before any
 * request is made) when a byte is not printable ASCII, as CR, LF or NUL
 * would break the request.
 */

static ngx_int_t
ngx_http_precancel_billing_header(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_http_complex_value_t *cv,
    ngx_uint_t n, ngx_list_t *headers)
{
    ngx_str_t                     value;
    ngx_http_precancel_header_t  *hd;

    hd = &ngx_http_precancel_billing_hd[n];

    if (cv == NULL) {
        return NGX_OK;
    }

    if (ngx_http_complex_value(r, cv, &value) != NGX_OK) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "header \"%V\" could not be "
                                       "evaluated", &hd->name);
    }

    if (value.len == 0) {
        return NGX_OK;
    }

    if (ngx_edge_printable_len(value.data, value.len) != value.len) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_FIELD,
                                       "header \"%V\" value is not "
                                       "printable ASCII", &hd->name);
    }

    if (ngx_http_precancel_push_header(headers, hd, &value) != NGX_OK) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    return NGX_OK;
}


/* a user's address that is not ASCII goes Base64-encoded, as UTF-8 */

static ngx_int_t
ngx_http_precancel_billing_user(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_http_complex_value_t *cv,
    ngx_list_t *headers)
{
    ngx_str_t   value, encoded;
    ngx_uint_t  i, ascii;

    if (cv == NULL) {
        return NGX_OK;
    }

    if (ngx_http_complex_value(r, cv, &value) != NGX_OK) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "precancel_origin_user could not be "
                                       "evaluated");
    }

    ascii = 1;

    for (i = 0; i < value.len; i++) {
        if (value.data[i] < 0x20 || value.data[i] == 0x7f) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_BAD_FIELD,
                                           "precancel_origin_user value has "
                                           "a control character");
        }

        if (value.data[i] >= 0x80) {
            ascii = 0;
        }
    }

    if (ascii) {
        return ngx_http_precancel_billing_header(r, ctx, cv,
                                             NGX_HTTP_PRECANCEL_H_ORIGIN_USER,
                                             headers);
    }

    if (!ngx_http_precancel_utf8_valid(value.data, value.len)) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_FIELD,
                                       "precancel_origin_user value is not "
                                       "valid UTF-8");
    }

    encoded.len = ngx_base64_encoded_length(value.len);
    encoded.data = ngx_pnalloc(r->pool, encoded.len);
    if (encoded.data == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    ngx_encode_base64(&encoded, &value);

    if (ngx_http_precancel_push_header(headers,
                        &ngx_http_precancel_billing_hd[
                            NGX_HTTP_PRECANCEL_H_ORIGIN_USER_ENCODED],
                        &encoded)
        != NGX_OK)
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_billing_pre_cancel_reply(ngx_http_request_t *r, void *conf,
    ngx_http_precancel_ctx_t *ctx, ngx_uint_t status, u_char *data,
    size_t len, ngx_str_t *url)
{
    ngx_http_precancel_json_want_t  want;

    if (ngx_http_precancel_billing_read(r, ctx, status, data, len,
                                        "hosted_page.url", &want)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (want.type != NGX_HTTP_PRECANCEL_JSON_STRING) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply has no URL string "
                                       "in \"hosted_page.url\"");
    }

    url->data = (u_char *) want.str;
    url->len = want.len;

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_billing_remove_reply(ngx_http_request_t *r, void *conf,
    ngx_http_precancel_ctx_t *ctx, ngx_uint_t status, u_char *data,
    size_t len, ngx_str_t *url)
{
    ngx_http_precancel_billing_conf_t *bcf = conf;

    ngx_http_precancel_json_want_t  want;

    if (ngx_http_precancel_billing_read(r, ctx, status, data, len,
                                        "subscription", &want)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (want.type != NGX_HTTP_PRECANCEL_JSON_OBJECT) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply has no "
                                       "\"subscription\" object");
    }

    if (ngx_http_complex_value(r, bcf->success, url) != NGX_OK) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "precancel_success could not be "
                                       "evaluated");
    }

    if (url->len == 0) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "precancel_success is empty");
    }

    return NGX_DONE;
}


/*
 * The reply as JSON, with the value at path in *want.  A status other
 * than 2xx is a failure: "rejected" when the body is the API's error
 * (its api_error_code and message go into the reason), else
 * "upstream_status".
 */

static ngx_int_t
ngx_http_precancel_billing_read(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_uint_t status, u_char *data,
    size_t len, const char *path, ngx_http_precancel_json_want_t *want)
{
    size_t                           err_off;
    ngx_str_t                        code, message;
    const char                      *err;
    ngx_http_precancel_json_want_t   wants[3];

    enum { WANT_PATH = 0, WANT_CODE, WANT_MESSAGE };

    wants[WANT_PATH].path = path;
    wants[WANT_CODE].path = "api_error_code";
    wants[WANT_MESSAGE].path = "message";

    if (ngx_http_precancel_read_json(r, ctx, data, len, wants, 3, &err,
                                     &err_off)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (status >= NGX_HTTP_OK && status < NGX_HTTP_SPECIAL_RESPONSE) {

        if (err) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_BAD_REPLY,
                                           "provider reply is not valid "
                                           "JSON: %s at byte %uz",
                                           err, err_off);
        }

        *want = wants[WANT_PATH];

        return NGX_OK;
    }

    if (err || wants[WANT_CODE].type != NGX_HTTP_PRECANCEL_JSON_STRING) {
        return ngx_http_precancel_fail(r, ctx,
                                       NGX_HTTP_PRECANCEL_UPSTREAM_STATUS,
                                       "provider answered %ui", status);
    }

    ngx_str_null(&message);

    if (ngx_http_precancel_quote_message(r, ctx, &code,
                                         wants[WANT_CODE].str,
                                         wants[WANT_CODE].len)
        != NGX_OK
        || (wants[WANT_MESSAGE].type == NGX_HTTP_PRECANCEL_JSON_STRING
            && ngx_http_precancel_quote_message(r, ctx, &message,
                                                wants[WANT_MESSAGE].str,
                                                wants[WANT_MESSAGE].len)
               != NGX_OK))
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_REJECTED,
                                   "provider answered %ui %V%s%V", status,
                                   &code, message.len ? ": " : "", &message);
}


static ngx_int_t
ngx_http_precancel_billing_preconf(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var;

    var = ngx_http_add_variable(cf, &ngx_http_precancel_billing_id_var.name,
                                ngx_http_precancel_billing_id_var.flags);
    if (var == NULL) {
        return NGX_ERROR;
    }

    var->get_handler = ngx_http_precancel_billing_id_var.get_handler;

    if (ngx_http_precancel_add_provider(cf,
                                        &ngx_http_precancel_billing_pre_cancel)
        != NGX_OK
        || ngx_http_precancel_add_provider(cf,
                                           &ngx_http_precancel_billing_remove)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * $precancel_subscription_id: the checked id, in the browser's request
 * and its provider subrequest (they share the engine's ctx).
 */

static ngx_int_t
ngx_http_precancel_billing_id_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_precancel_ctx_t          *ctx;
    ngx_http_precancel_loc_conf_t     *plcf;
    ngx_http_precancel_billing_ctx_t  *bctx;

    ctx = ngx_http_precancel_var_ctx(r);

    if (ctx == NULL || ctx->data == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    /* ctx->data is a Billing ctx only where a Billing provider made it */

    plcf = ngx_http_get_module_loc_conf(r->main, ngx_http_precancel_module);

    if (plcf->provider == NULL
        || plcf->provider->module != &ngx_http_precancel_billing_module)
    {
        v->not_found = 1;
        return NGX_OK;
    }

    bctx = ctx->data;

    v->len = bctx->subscription_id.len;
    v->data = bctx->subscription_id.data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static void *
ngx_http_precancel_billing_create(ngx_conf_t *cf)
{
    ngx_http_precancel_billing_conf_t  *bcf;

    bcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_precancel_billing_conf_t));
    if (bcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     bcf->events = 0;
     *     bcf->key_secrets = NULL;
     */

    bcf->authorization = NGX_CONF_UNSET_PTR;
    bcf->subscription_id = NGX_CONF_UNSET_PTR;
    bcf->params = NGX_CONF_UNSET_PTR;
    bcf->success = NGX_CONF_UNSET_PTR;
    bcf->origin_ip = NGX_CONF_UNSET_PTR;
    bcf->origin_user = NGX_CONF_UNSET_PTR;
    bcf->origin_device = NGX_CONF_UNSET_PTR;
    bcf->business_entity = NGX_CONF_UNSET_PTR;
    bcf->idempotency_key = NGX_CONF_UNSET_PTR;

    return bcf;
}


static char *
ngx_http_precancel_billing_merge(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_precancel_billing_conf_t *p = parent;
    ngx_http_precancel_billing_conf_t *b = child;

    const char                     *here;
    ngx_http_precancel_loc_conf_t  *plcf;

    /* a directive of this module given in this very block, for errors */

    here = NULL;

    if (b->authorization != NGX_CONF_UNSET_PTR) {
        here = "precancel_api_key_file";

    } else if (b->subscription_id != NGX_CONF_UNSET_PTR) {
        here = "precancel_subscription_id";

    } else if (b->params != NGX_CONF_UNSET_PTR) {
        here = "precancel_param";

    } else if (b->success != NGX_CONF_UNSET_PTR) {
        here = "precancel_success";

    } else if (b->origin_ip != NGX_CONF_UNSET_PTR
               || b->origin_user != NGX_CONF_UNSET_PTR
               || b->origin_device != NGX_CONF_UNSET_PTR)
    {
        here = "precancel_origin_*";

    } else if (b->business_entity != NGX_CONF_UNSET_PTR) {
        here = "precancel_business_entity";

    } else if (b->idempotency_key != NGX_CONF_UNSET_PTR) {
        here = "precancel_idempotency_key";

    } else if (b->events) {
        here = "precancel_events_disabled";
    }

    /* the key's forms go with the key */

    if (b->authorization == NGX_CONF_UNSET_PTR) {
        b->key_secrets = p->key_secrets;
    }

    ngx_conf_merge_ptr_value(b->authorization, p->authorization, NULL);
    ngx_conf_merge_ptr_value(b->subscription_id, p->subscription_id, NULL);
    ngx_conf_merge_ptr_value(b->params, p->params, NULL);
    ngx_conf_merge_ptr_value(b->success, p->success, NULL);
    ngx_conf_merge_ptr_value(b->origin_ip, p->origin_ip, NULL);
    ngx_conf_merge_ptr_value(b->origin_user, p->origin_user, NULL);
    ngx_conf_merge_ptr_value(b->origin_device, p->origin_device, NULL);
    ngx_conf_merge_ptr_value(b->business_entity, p->business_entity, NULL);
    ngx_conf_merge_ptr_value(b->idempotency_key, p->idempotency_key, NULL);
    ngx_conf_merge_bitmask_value(b->events, p->events,
                                 (NGX_CONF_BITMASK_SET
                                  |NGX_HTTP_PRECANCEL_EVENTS_OFF));

    plcf = ngx_http_precancel_conf_location(cf);

    if (plcf->uri.len == 0) {
        return NGX_CONF_OK;
    }

    if (!ngx_http_precancel_conf_uses(plcf,
                                      &ngx_http_precancel_billing_module))
    {
        /* inherited ones serve the locations of their own provider */

        return here ? ngx_http_precancel_conf_foreign(cf, plcf, here)
                    : NGX_CONF_OK;
    }

    return ngx_http_precancel_billing_init(cf, plcf, b);
}


static char *
ngx_http_precancel_billing_init(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *plcf,
    ngx_http_precancel_billing_conf_t *bcf)
{
    const char  *missing;

    static ngx_str_t  remote_addr = ngx_string("$remote_addr");
    static ngx_str_t  click_id = ngx_string("$precancel_click_id");

    ngx_http_precancel_hash_headers(ngx_http_precancel_billing_hd,
                                    NGX_HTTP_PRECANCEL_H_N);

    if (bcf->authorization == NULL) {
        missing = "precancel_api_key_file";

    } else if (bcf->subscription_id == NULL) {
        missing = "precancel_subscription_id";

    } else if (bcf->success == NULL
               && plcf->provider == &ngx_http_precancel_billing_remove)
    {
        missing = "precancel_success";

    } else {
        missing = NULL;
    }

    if (missing) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"precancel_provider %V\" requires \"%s\" in %V:%ui",
                      &plcf->provider->name, missing, &plcf->pass_file,
                      plcf->pass_line);
        return NGX_CONF_ERROR;
    }

    /* what a reply that echoes the credential must not show */

    plcf->secrets = bcf->key_secrets;

    if (ngx_http_precancel_billing_default(cf, &bcf->origin_ip, &remote_addr)
        != NGX_CONF_OK
        || ngx_http_precancel_billing_default(cf, &bcf->idempotency_key,
                                              &click_id)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_billing_default(ngx_conf_t *cf,
    ngx_http_complex_value_t **cv, ngx_str_t *value)
{
    if (*cv) {
        return NGX_CONF_OK;
    }

    *cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
    if (*cv == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_precancel_conf_complex(cf, value, *cv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The key becomes the Basic credential at once; the file's bytes and the
 * credential are cleansed, the latter when the configuration is freed.
 */

static char *
ngx_http_precancel_billing_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_precancel_billing_conf_t *bcf = conf;

    size_t               len;
    ngx_str_t           *value, file, plain, encoded, *auth;
    ngx_pool_cleanup_t  *cln;
    u_char               buf[NGX_EDGE_SECRET_MAX + 2];

    static const char    what[] = "precancel API key";

    if (bcf->authorization != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];

    auth = ngx_palloc(cf->pool, sizeof(ngx_str_t));
    cln = ngx_pool_cleanup_add(cf->pool, 0);

    if (auth == NULL || cln == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_edge_secret_read(cf, &file, what, buf, &len) != NGX_OK) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    /* "key:", the user name and an empty password */

    buf[len++] = ':';

    plain.data = buf;
    plain.len = len;

    auth->len = sizeof("Basic ") - 1 + ngx_base64_encoded_length(len);
    auth->data = ngx_pnalloc(cf->pool, auth->len);

    if (auth->data == NULL) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_precancel_billing_cleanup;
    cln->data = auth;

    ngx_memcpy(auth->data, "Basic ", sizeof("Basic ") - 1);

    encoded.data = auth->data + sizeof("Basic ") - 1;
    ngx_encode_base64(&encoded, &plain);

    /*
     * A provider may echo the credential in its error: the key, "key:"
     * and the whole header value are redacted in every form it may take
     */

    if (ngx_http_precancel_add_secret(cf, &bcf->key_secrets, buf,
                                      len - 1)
        != NGX_OK
        || ngx_http_precancel_add_secret(cf, &bcf->key_secrets, buf,
                                         len)
           != NGX_OK
        || ngx_http_precancel_add_secret(cf, &bcf->key_secrets,
                                         auth->data, auth->len)
           != NGX_OK)
    {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    OPENSSL_cleanse(buf, sizeof(buf));

    bcf->authorization = auth;

    return NGX_CONF_OK;
}


static void
ngx_http_precancel_billing_cleanup(void *data)
{
    ngx_str_t  *auth = data;

    OPENSSL_cleanse(auth->data, auth->len);
}


static char *
ngx_http_precancel_billing_param(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_precancel_billing_conf_t *bcf = conf;

    ngx_str_t                   *value;
    ngx_uint_t                   i;
    ngx_http_precancel_param_t  *param, *other;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > 256) {
        return "takes a name of 1 to 256 bytes";
    }

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] <= 0x20 || value[1].data[i] >= 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "precancel_param name \"%V\" is not "
                               "printable ASCII", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    if (value[1].len == ngx_http_precancel_billing_subscription_param.len
        && ngx_strncmp(value[1].data,
                       ngx_http_precancel_billing_subscription_param.data,
                       value[1].len)
           == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "precancel_param \"%V\" is set by "
                           "precancel_subscription_id", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (bcf->params == NGX_CONF_UNSET_PTR) {
        bcf->params = ngx_array_create(cf->pool, 4,
                                           sizeof(ngx_http_precancel_param_t));
        if (bcf->params == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    other = bcf->params->elts;

    for (i = 0; i < bcf->params->nelts; i++) {
        if (other[i].name.len == value[1].len
            && ngx_strncmp(other[i].name.data, value[1].data,
                           value[1].len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "precancel_param \"%V\" is duplicate",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    param = ngx_array_push(bcf->params);
    if (param == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(param, sizeof(ngx_http_precancel_param_t));

    param->name = value[1];

    if (ngx_http_precancel_conf_complex(cf, &value[2], &param->value)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * ngx_conf_set_bitmask_slot, after a check of every value: its own
 * "invalid value" does not name the directive or the values it knows.
 */

static char *
ngx_http_precancel_events_disabled(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    u_char              *p, *last;
    ngx_str_t           *value;
    ngx_uint_t           i, m;
    ngx_conf_bitmask_t  *mask;
    u_char               known[NGX_MAX_CONF_ERRSTR];

    value = cf->args->elts;
    mask = cmd->post;

    for (i = 1; i < cf->args->nelts; i++) {

        for (m = 0; mask[m].name.len; m++) {
            if (mask[m].name.len == value[i].len
                && ngx_strcasecmp(mask[m].name.data, value[i].data) == 0)
            {
                break;
            }
        }

        if (mask[m].name.len == 0) {
            p = known;
            last = known + sizeof(known);

            for (m = 0; mask[m].name.len; m++) {
                p = ngx_slprintf(p, last, "%s%V", m ? ", " : "",
                                 &mask[m].name);
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\" in \"%V\" (known: "
                               "%*s)", &value[i], &cmd->name,
                               (size_t) (p - known), known);
            return NGX_CONF_ERROR;
        }
    }

    return ngx_conf_set_bitmask_slot(cf, cmd, conf);
}
