
/*
 * ngx_http_webhook_verify_module: refuses inbound webhooks (billing
 * providers' callbacks) whose HMAC signature does not match, before the
 * content phase (proxy_pass, fastcgi_pass, ...) sends them on.
 *
 * An access phase handler checks the signature headers, then reads the
 * request body with ngx_http_read_client_request_body().  The body is
 * hashed as it arrives, by a request body filter that every buffer passes
 * before nginx keeps it in memory or writes it to client_body_temp_path,
 * so the body is never read twice and the per-request state does not
 * grow with it.  When the body is complete the MAC is compared and the
 * phases run on; the content handler then finds the body read and sends
 * it unchanged.
 *
 * Standard Webhooks' v1a (Ed25519) is the exception: pure Ed25519 signs
 * the whole message at once, so it is checked when the body is complete,
 * read back from where nginx keeps it (see ngx_http_webhook_verify_body).
 *
 * What each provider signs and how its headers are written lives in
 * ngx_http_webhook_verify_scheme.c; secret files are read by
 * ngx_edge_secret.c, shared with the precancel module.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ngx_edge_codec.h"
#include "ngx_edge_hmac.h"
#include "ngx_edge_secret.h"
#include "ngx_http_webhook_verify_scheme.h"
#include "ngx_http_webhook_verify_replay.h"
#include "ngx_http_webhook_verify_store.h"
#include "ngx_http_precancel_metrics.h"


#define NGX_HTTP_WEBHOOK_VERIFY_LABEL_MAX  64


/* the outcome of a request, for $webhook_verify_status */
typedef enum {
    NGX_HTTP_WEBHOOK_VERIFY_NONE = 0,
    NGX_HTTP_WEBHOOK_VERIFY_READING,
    NGX_HTTP_WEBHOOK_VERIFY_OK,
    NGX_HTTP_WEBHOOK_VERIFY_MISSING,
    NGX_HTTP_WEBHOOK_VERIFY_MALFORMED,
    NGX_HTTP_WEBHOOK_VERIFY_STALE,
    NGX_HTTP_WEBHOOK_VERIFY_MISMATCH,
    NGX_HTTP_WEBHOOK_VERIFY_ERROR,
    NGX_HTTP_WEBHOOK_VERIFY_TOO_LARGE,
    NGX_HTTP_WEBHOOK_VERIFY_INCOMPLETE,
    NGX_HTTP_WEBHOOK_VERIFY_METHOD,
    NGX_HTTP_WEBHOOK_VERIFY_REDIRECTED,
    NGX_HTTP_WEBHOOK_VERIFY_REPLAYED,
    NGX_HTTP_WEBHOOK_VERIFY_IN_FLIGHT,
    NGX_HTTP_WEBHOOK_VERIFY_ZONE_FULL,
    /* asking webhook_verify_replay_store */
    NGX_HTTP_WEBHOOK_VERIFY_STORING,
    /* the store failed: refused (fail=closed), delivered (fail=open) */
    NGX_HTTP_WEBHOOK_VERIFY_STORE_ERROR,
    NGX_HTTP_WEBHOOK_VERIFY_STORE_BYPASSED
} ngx_http_webhook_verify_status_e;


/*
 * A secret file, shared by every location that inherits it.  Its bytes
 * stay in raw only until postconfiguration: the locations are merged by
 * then, and each has keyed the HMAC contexts its scheme needs.
 */
typedef struct {
    ngx_str_t                   file;
    ngx_str_t                   label;
    u_char                     *raw;
    size_t                      len;

    /* its HMAC keys: [whsec][mac_e], the bytes as written or decoded */
    ngx_edge_hmac_t            *hmac[2][NGX_HTTP_WEBHOOK_VERIFY_MACS];

    /* or, for a "whpk_" file, its Ed25519 public key (v1a) */
    EVP_PKEY                   *pkey;
} ngx_http_webhook_verify_secret_t;


typedef struct {
    ngx_array_t                              secrets;   /* secret_t * */

    /* prepared digests of the body, shared by the locations: digest_e */
    ngx_edge_digest_t             *digests[NGX_HTTP_WEBHOOK_VERIFY_DIGESTS];
} ngx_http_webhook_verify_main_conf_t;


typedef struct {
    ngx_str_t                                name;      /* lowercase */
    const char                              *display;
} ngx_http_webhook_verify_header_t;


/* a NAME= of webhook_verify_custom: sets the scheme from the value */
typedef ngx_int_t (*ngx_http_webhook_verify_custom_pt)(
    ngx_http_webhook_verify_scheme_t *s, u_char *value);

typedef struct {
    ngx_str_t                                name;
    ngx_http_webhook_verify_custom_pt        set;
} ngx_http_webhook_verify_custom_t;


typedef struct {
    const ngx_http_webhook_verify_scheme_t  *scheme;    /* NULL: off */
    ngx_http_webhook_verify_scheme_t        *custom;
    ngx_array_t                             *secrets;   /* secret_t * */
    time_t                                   tolerance;
    ngx_uint_t                               status;
    ngx_uint_t                               methods;   /* NGX_HTTP_POST... */

    /* where webhook_verify stands, for errors found at merge */
    ngx_str_t                                file;
    ngx_uint_t                               line;

    /* made at merge for a location that verifies */
    const ngx_http_webhook_verify_scheme_t  *use;
    ngx_edge_hmac_t              **hmacs;     /* one a secret; NULL: whpk_ */
    ngx_edge_digest_t             *digest;
    ngx_http_webhook_verify_header_t         header;
    ngx_http_webhook_verify_header_t         id_header;
    ngx_http_webhook_verify_header_t         time_header;
    ngx_str_t                                allow;     /* "POST, PUT" */

    /* webhook_verify_replay: the zone, NULL when off */
    ngx_shm_zone_t                          *replay;
    ngx_msec_t                               lifetime;  /* delivered */
    ngx_msec_t                               hold;      /* in flight */
    ngx_uint_t                               replayed;  /* the answer */
    ngx_http_webhook_verify_store_conf_t     store;

    /* precancel_metrics_name: by status_e, and the bytes; NULL: off */
    ngx_edge_metrics_series_t              **outcomes;
    ngx_edge_metrics_series_t               *bytes;
} ngx_http_webhook_verify_loc_conf_t;


typedef struct {
    ngx_uint_t                               status;    /* status_e */
    ngx_http_webhook_verify_loc_conf_t      *conf;
    ngx_http_webhook_verify_sig_t           *sig;
    ngx_str_t                                prefix;
    ngx_str_t                                id;        /* signed id */

    /* the body's MAC for each secret, or the digest the MAC is made of */
    ngx_edge_hmac_t              **macs;
    ngx_edge_digest_t             *digest;
    ngx_uint_t                               nmacs;

    ngx_str_t                                secret;    /* its label */
    ngx_str_t                                message;   /* for v1a */
    const char                              *failed;
    unsigned                                 in_file:1;
    unsigned                                 header:1;  /* Allow, ... */

    /* the replay guard: the message's key, reserved until the log phase */
    unsigned                                 reserved:1;
    ngx_str_t                                key;
    ngx_msec_t                               left;      /* in flight */
    ngx_http_webhook_verify_store_t          store;

    /* the body's bytes that passed the filter, for the metrics */
    off_t                                    size;
} ngx_http_webhook_verify_ctx_t;


static ngx_int_t ngx_http_webhook_verify_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_webhook_verify_again(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx,
    ngx_http_webhook_verify_loc_conf_t *wlcf);
static ngx_uint_t ngx_http_webhook_verify_same(
    ngx_http_webhook_verify_loc_conf_t *one,
    ngx_http_webhook_verify_loc_conf_t *two);
static ngx_int_t ngx_http_webhook_verify_start(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_signature(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_prefix(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_contexts(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_find_header(ngx_http_request_t *r,
    ngx_http_webhook_verify_header_t *header, ngx_str_t *value,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_check_time(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx, ngx_str_t *value);
static void ngx_http_webhook_verify_body_handler(ngx_http_request_t *r);
static void ngx_http_webhook_verify_hash(ngx_http_webhook_verify_ctx_t *ctx,
    u_char *data, size_t len);
static void ngx_http_webhook_verify_finish(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_mac(
    ngx_http_webhook_verify_ctx_t *ctx, ngx_uint_t i, u_char *hex,
    size_t hex_len, u_char *md);
static ngx_int_t ngx_http_webhook_verify_ed25519(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx, EVP_PKEY *pkey, u_char **sig);
static ngx_int_t ngx_http_webhook_verify_body(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_verdict(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx,
    ngx_http_webhook_verify_loc_conf_t *wlcf);
static ngx_int_t ngx_http_webhook_verify_fail(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx, ngx_uint_t status,
    const char *fmt, ...);
static ngx_http_webhook_verify_ctx_t *ngx_http_webhook_verify_get_ctx(
    ngx_http_request_t *r);
static void ngx_http_webhook_verify_cleanup(void *data);
static ngx_int_t ngx_http_webhook_verify_replay_key(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx, u_char *md, size_t size);
static void ngx_http_webhook_verify_replay_check(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_store_verdict(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx);
static ngx_int_t ngx_http_webhook_verify_log_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_webhook_verify_header_filter(ngx_http_request_t *r);
static void ngx_http_webhook_verify_count(ngx_http_request_t *r);
static ngx_uint_t ngx_http_webhook_verify_outcome(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx,
    ngx_http_webhook_verify_loc_conf_t **conf);
static ngx_int_t ngx_http_webhook_verify_metrics(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf);
static ngx_int_t ngx_http_webhook_verify_add_header(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx, char *name, ngx_str_t *value);
static char *ngx_http_webhook_verify_replay(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

static ngx_int_t ngx_http_webhook_verify_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);

static ngx_int_t ngx_http_webhook_verify_status_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_webhook_verify_secret_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_webhook_verify_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_webhook_verify_init(ngx_conf_t *cf);
static void *ngx_http_webhook_verify_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_webhook_verify_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_webhook_verify_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_webhook_verify_keys(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf);
static ngx_edge_hmac_t *ngx_http_webhook_verify_key_hmac(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf,
    ngx_http_webhook_verify_secret_t *s);
static ngx_int_t ngx_http_webhook_verify_key_public(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf,
    ngx_http_webhook_verify_secret_t *s);
static char *ngx_http_webhook_verify_body_digest(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf);
static ngx_int_t ngx_http_webhook_verify_header_name(ngx_conf_t *cf,
    ngx_http_webhook_verify_header_t *header, const char *name);
static char *ngx_http_webhook_verify(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_webhook_verify_known(ngx_conf_t *cf,
    ngx_str_t *known);
static char *ngx_http_webhook_verify_secret_file(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_webhook_verify_label(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *wlcf, ngx_str_t *label);
static ngx_int_t ngx_http_webhook_verify_read_secret(ngx_conf_t *cf,
    ngx_http_webhook_verify_secret_t *s);
static char *ngx_http_webhook_verify_custom(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_webhook_verify_custom_param(
    ngx_http_webhook_verify_scheme_t *s, ngx_str_t *param);
static ngx_int_t ngx_http_webhook_verify_custom_set_header(
    ngx_http_webhook_verify_scheme_t *s, u_char *v);
static ngx_int_t ngx_http_webhook_verify_custom_set_timestamp(
    ngx_http_webhook_verify_scheme_t *s, u_char *v);
static ngx_int_t ngx_http_webhook_verify_custom_set_prefix(
    ngx_http_webhook_verify_scheme_t *s, u_char *v);
static ngx_int_t ngx_http_webhook_verify_custom_set_mac(
    ngx_http_webhook_verify_scheme_t *s, u_char *v);
static ngx_int_t ngx_http_webhook_verify_custom_set_encoding(
    ngx_http_webhook_verify_scheme_t *s, u_char *v);
static ngx_int_t ngx_http_webhook_verify_custom_set_signed(
    ngx_http_webhook_verify_scheme_t *s, u_char *v);
static ngx_int_t ngx_http_webhook_verify_custom_header(ngx_conf_t *cf,
    const char *name);
static char *ngx_http_webhook_verify_methods(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_webhook_verify_allow(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf);
static char *ngx_http_webhook_verify_positive(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_webhook_verify_status_check(ngx_conf_t *cf, void *post,
    void *data);
static void ngx_http_webhook_verify_secret_cleanup(void *data);
static void ngx_http_webhook_verify_digest_cleanup(void *data);
static void ngx_http_webhook_verify_pkey_cleanup(void *data);
static void ngx_http_webhook_verify_forget(
    ngx_http_webhook_verify_secret_t *secret);


static ngx_conf_post_t  ngx_http_webhook_verify_positive_post =
    { ngx_http_webhook_verify_positive };

/*
 * Not ngx_conf_check_num_bounds, whose message does not name the
 * directive: a string returned by a post handler is logged after it.
 */

static ngx_conf_post_t  ngx_http_webhook_verify_status_post =
    { ngx_http_webhook_verify_status_check };


static ngx_command_t  ngx_http_webhook_verify_commands[] = {

    { ngx_string("webhook_verify"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_webhook_verify,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_verify_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_webhook_verify_secret_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_verify_tolerance"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_verify_loc_conf_t, tolerance),
      &ngx_http_webhook_verify_positive_post },

    { ngx_string("webhook_verify_status"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_verify_loc_conf_t, status),
      &ngx_http_webhook_verify_status_post },

    { ngx_string("webhook_verify_custom"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webhook_verify_custom,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_verify_methods"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webhook_verify_methods,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_verify_replay_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_webhook_verify_replay_zone,
      0,
      0,
      NULL },

    { ngx_string("webhook_verify_replay"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webhook_verify_replay,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("webhook_verify_replay_store"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_webhook_verify_store_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_webhook_verify_loc_conf_t, store),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_webhook_verify_module_ctx = {
    ngx_http_webhook_verify_add_variables,  /* preconfiguration */
    ngx_http_webhook_verify_init,           /* postconfiguration */

    ngx_http_webhook_verify_create_main_conf, /* create main configuration */
    NULL,                                   /* init main configuration */

    NULL,                                   /* create server configuration */
    NULL,                                   /* merge server configuration */

    ngx_http_webhook_verify_create_loc_conf, /* create location configuration */
    ngx_http_webhook_verify_merge_loc_conf  /* merge location configuration */
};


ngx_module_t  ngx_http_webhook_verify_module = {
    NGX_MODULE_V1,
    &ngx_http_webhook_verify_module_ctx,    /* module context */
    ngx_http_webhook_verify_commands,       /* module directives */
    NGX_HTTP_MODULE,                        /* module type */
    NULL,                                   /* init master */
    NULL,                                   /* init module */
    NULL,                                   /* init process */
    NULL,                                   /* init thread */
    NULL,                                   /* exit thread */
    NULL,                                   /* exit process */
    NULL,                                   /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_http_webhook_verify_vars[] = {

    { ngx_string("webhook_verify_status"), NULL,
      ngx_http_webhook_verify_status_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webhook_verify_secret"), NULL,
      ngx_http_webhook_verify_secret_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_webhook_verify_status_names[] = {
    ngx_null_string,
    ngx_string("reading"),
    ngx_string("ok"),
    ngx_string("missing"),
    ngx_string("malformed"),
    ngx_string("stale"),
    ngx_string("mismatch"),
    ngx_string("error"),
    ngx_string("too_large"),
    ngx_string("incomplete"),
    ngx_string("method"),
    ngx_string("redirected"),
    ngx_string("replayed"),
    ngx_string("in_flight"),
    ngx_string("replay_full"),
    ngx_string("storing"),
    ngx_string("store_error"),
    ngx_string("store_bypassed")
};


static ngx_edge_metrics_family_t  ngx_http_webhook_verify_requests_family = {
    ngx_string("precancel_webhook_requests_total"),
    ngx_string("counter"),
    ngx_string("Webhooks by location, scheme and $webhook_verify_status "
               "(ok: verified, the others refused).")
};


static ngx_edge_metrics_family_t  ngx_http_webhook_verify_bytes_family = {
    ngx_string("precancel_webhook_verified_bytes_total"),
    ngx_string("counter"),
    ngx_string("Body bytes of the webhooks verified.")
};


/*
 * What webhook_verify_methods accepts, in the order of the Allow header.
 * Providers sign the body only, so a method outside the list is refused
 * before the signature is looked at: a captured webhook cannot be
 * replayed as a PUT or DELETE to an application that routes by method.
 */

static ngx_conf_bitmask_t  ngx_http_webhook_verify_method_names[] = {
    { ngx_string("GET"), NGX_HTTP_GET },
    { ngx_string("HEAD"), NGX_HTTP_HEAD },
    { ngx_string("POST"), NGX_HTTP_POST },
    { ngx_string("PUT"), NGX_HTTP_PUT },
    { ngx_string("PATCH"), NGX_HTTP_PATCH },
    { ngx_string("DELETE"), NGX_HTTP_DELETE },
    { ngx_string("OPTIONS"), NGX_HTTP_OPTIONS },
    { ngx_null_string, 0 }
};


/* "webhook_verify custom": the scheme comes from webhook_verify_custom */
static const ngx_http_webhook_verify_scheme_t
    ngx_http_webhook_verify_custom_scheme = { .name = "custom" };


/*
 * The parameters of webhook_verify_custom; the words of their values are
 * in the tables of ngx_http_webhook_verify_scheme.c.
 */

static ngx_http_webhook_verify_custom_t
    ngx_http_webhook_verify_custom_params[] =
{
    { ngx_string("header"), ngx_http_webhook_verify_custom_set_header },
    { ngx_string("timestamp"), ngx_http_webhook_verify_custom_set_timestamp },
    { ngx_string("prefix"), ngx_http_webhook_verify_custom_set_prefix },
    { ngx_string("mac"), ngx_http_webhook_verify_custom_set_mac },
    { ngx_string("encoding"), ngx_http_webhook_verify_custom_set_encoding },
    { ngx_string("signed"), ngx_http_webhook_verify_custom_set_signed },
    { ngx_null_string, NULL }
};


static ngx_http_request_body_filter_pt  ngx_http_next_request_body_filter;
static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


static ngx_int_t
ngx_http_webhook_verify_handler(ngx_http_request_t *r)
{
    ngx_int_t                            rc;
    ngx_pool_cleanup_t                  *cln;
    ngx_http_webhook_verify_ctx_t       *ctx;
    ngx_http_webhook_verify_loc_conf_t  *wlcf;

    wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webhook_verify_module);

    if (wlcf->use == NULL) {
        return NGX_DECLINED;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook verify handler");

    ctx = ngx_http_webhook_verify_get_ctx(r);

    if (ctx) {
        return ngx_http_webhook_verify_again(r, ctx, wlcf);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_webhook_verify_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the cleanup frees the hashing contexts and finds ctx after redirects */

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_webhook_verify_cleanup;
    cln->data = ctx;

    ctx->conf = wlcf;

    ngx_http_set_ctx(r, ctx, ngx_http_webhook_verify_module);

    /* before the headers and the body: nothing of it is read for this */

    if (!(r->method & wlcf->methods)) {
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_METHOD,
                                            "the method %V is not in "
                                            "\"webhook_verify_methods\"",
                                            &r->method_name);

        return ngx_http_webhook_verify_verdict(r, ctx, wlcf);
    }

    /*
     * A body that another module read or discarded before the access
     * phase has passed the filter unhashed.
     */

    if (r->request_body || r->discard_body) {
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_ERROR,
                                            "the request body was read "
                                            "before the access phase");

        return ngx_http_webhook_verify_verdict(r, ctx, wlcf);
    }

    if (ngx_http_webhook_verify_start(r, wlcf, ctx) != NGX_OK) {
        return ngx_http_webhook_verify_verdict(r, ctx, wlcf);
    }

    ctx->status = NGX_HTTP_WEBHOOK_VERIFY_READING;

    rc = ngx_http_read_client_request_body(r,
                                        ngx_http_webhook_verify_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    /* the body handler runs the phases again, maybe already done so */

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


/*
 * The access phase again for a request that has a verdict: after the
 * body was read, or after an internal redirect (try_files, error_page,
 * a named location, and rewrite ... last from there).  The body has
 * passed the filter once and is not read again, so the verdict stands
 * as it is: a verified body goes on byte for byte, a refused one is
 * refused again.  It is only good for the configuration that made it:
 * a location that verifies otherwise (another scheme, other secrets)
 * would take a body it never checked, and refuses it.
 */

static ngx_int_t
ngx_http_webhook_verify_again(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx,
    ngx_http_webhook_verify_loc_conf_t *wlcf)
{
    ngx_http_webhook_verify_loc_conf_t  *prev;

    if (ctx->status == NGX_HTTP_WEBHOOK_VERIFY_READING) {
        /*
         * The body handler ends the reading before it runs the phases:
         * here the body never arrived whole (nginx's 413 or 400 has an
         * error_page), and nginx has logged why.
         */

        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webhook verify: redirected with the body unread");

        ctx->status = NGX_HTTP_WEBHOOK_VERIFY_INCOMPLETE;
    }

    if (ctx->conf != wlcf && !ngx_http_webhook_verify_same(ctx->conf, wlcf)) {

        if (ctx->status == NGX_HTTP_WEBHOOK_VERIFY_OK) {
            prev = ctx->conf;

            ctx->conf = wlcf;
            ngx_str_null(&ctx->secret);

            (void) ngx_http_webhook_verify_fail(r, ctx,
                                         NGX_HTTP_WEBHOOK_VERIFY_REDIRECTED,
                                         "the request body was verified for "
                                         "\"webhook_verify %s\" in %V:%ui, "
                                         "not for this location",
                                         prev->use->name, &prev->file,
                                         prev->line);
        }

        /* a refusal stands wherever the request goes */
    }

    return ngx_http_webhook_verify_verdict(r, ctx, wlcf);
}


/*
 * Whether a verdict made with one location's configuration holds for
 * another: the same scheme (an inherited webhook_verify_custom is the
 * same), the same secrets in the same order (inherited, or the same
 * files with the same labels), tolerance and methods.  The status is the
 * answer, not the check: each location answers with its own.
 */

static ngx_uint_t
ngx_http_webhook_verify_same(ngx_http_webhook_verify_loc_conf_t *one,
    ngx_http_webhook_verify_loc_conf_t *two)
{
    ngx_uint_t                          i;
    ngx_http_webhook_verify_secret_t  **a, **b;

    if (one->use != two->use
        || one->tolerance != two->tolerance
        || one->methods != two->methods
        || one->secrets->nelts != two->secrets->nelts)
    {
        return 0;
    }

    a = one->secrets->elts;
    b = two->secrets->elts;

    for (i = 0; i < one->secrets->nelts; i++) {

        if (a[i] == b[i]) {
            continue;
        }

        if (a[i]->file.len != b[i]->file.len
            || a[i]->label.len != b[i]->label.len
            || ngx_strncmp(a[i]->file.data, b[i]->file.data, a[i]->file.len)
               != 0
            || ngx_strncmp(a[i]->label.data, b[i]->label.data,
                           a[i]->label.len)
               != 0)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * Everything that can be checked before the body: the headers, the
 * timestamp; then the hashing contexts, fed with what the scheme signs
 * before the body.  A forged or replayed request with a stale timestamp
 * is refused without its body being read.
 */

static ngx_int_t
ngx_http_webhook_verify_start(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    if (ngx_http_webhook_verify_signature(r, wlcf, ctx) != NGX_OK
        || ngx_http_webhook_verify_prefix(r, wlcf, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_webhook_verify_contexts(r, wlcf, ctx);
}


/* the signature header, parsed into ctx->sig */

static ngx_int_t
ngx_http_webhook_verify_signature(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    ngx_str_t    value;
    const char  *err;

    if (ngx_http_webhook_verify_find_header(r, &wlcf->header, &value, ctx)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->sig = ngx_palloc(r->pool, sizeof(ngx_http_webhook_verify_sig_t));
    if (ctx->sig == NULL) {
        return ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_ERROR,
                                            "out of memory");
    }

    err = ngx_http_webhook_verify_parse(wlcf->use, value.data, value.len,
                                        ctx->sig);
    if (err) {
        return ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_MALFORMED,
                                            "malformed \"%s\" header: %s",
                                            wlcf->header.display, err);
    }

    return NGX_OK;
}


/*
 * The message id and the timestamp (checked against the tolerance), and
 * what the scheme signs of them before the body, into ctx->prefix.
 */

static ngx_int_t
ngx_http_webhook_verify_prefix(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    size_t                                   len;
    ngx_str_t                                id, time;
    const ngx_http_webhook_verify_scheme_t  *scheme;

    scheme = wlcf->use;

    ngx_str_null(&id);
    ngx_str_null(&time);

    if (wlcf->id_header.name.len
        && ngx_http_webhook_verify_find_header(r, &wlcf->id_header, &id, ctx)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ctx->sig->time) {
        time.data = (u_char *) ctx->sig->time;
        time.len = ctx->sig->time_len;

    } else if (wlcf->time_header.name.len
               && ngx_http_webhook_verify_find_header(r, &wlcf->time_header,
                                                      &time, ctx)
                  != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (scheme->timed
        && ngx_http_webhook_verify_check_time(r, wlcf, ctx, &time) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the signed id identifies the message for the replay guard too */

    ctx->id = id;

    len = ngx_http_webhook_verify_signed_prefix(scheme, NULL, id.data, id.len,
                                                time.data, time.len);
    if (len == 0) {
        return NGX_OK;
    }

    ctx->prefix.data = ngx_pnalloc(r->pool, len);
    if (ctx->prefix.data == NULL) {
        return ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_ERROR,
                                            "out of memory");
    }

    ctx->prefix.len = ngx_http_webhook_verify_signed_prefix(scheme,
                              ctx->prefix.data, id.data, id.len,
                              time.data, time.len);

    return NGX_OK;
}


/*
 * The request's own hashing contexts, copied from the location's keyed
 * ones (or given back to them by an earlier request): one digest of the
 * body, or an HMAC for each secret, fed with the prefix.  They are
 * OpenSSL's memory: given back or freed by the pool cleanup.
 */

static ngx_int_t
ngx_http_webhook_verify_contexts(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    ngx_uint_t  i, n;

    n = wlcf->secrets->nelts;

    ctx->macs = ngx_pcalloc(r->pool, n * sizeof(ngx_edge_hmac_t *));
    if (ctx->macs == NULL) {
        return ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_ERROR,
                                            "out of memory");
    }

    if (wlcf->digest) {
        /* one digest of the body; the MACs of it are made at the end */

        ctx->digest = ngx_edge_digest_dup(wlcf->digest, &ctx->failed);
        if (ctx->digest == NULL) {
            goto failed;
        }

        return NGX_OK;
    }

    for (i = 0; i < n; i++) {
        if (wlcf->hmacs[i] == NULL) {
            /* a public key: v1a is checked on the whole body at the end */
            continue;
        }

        ctx->macs[i] = ngx_edge_hmac_dup(wlcf->hmacs[i], &ctx->failed);
        if (ctx->macs[i] == NULL) {
            goto failed;
        }

        /* the cleanup frees up to here; the NULLs of public keys too */
        ctx->nmacs = i + 1;

        if (ngx_edge_hmac_update(ctx->macs[i], ctx->prefix.data,
                                 ctx->prefix.len, &ctx->failed)
            != 0)
        {
            goto failed;
        }
    }

    return NGX_OK;

failed:

    return ngx_http_webhook_verify_fail(r, ctx, NGX_HTTP_WEBHOOK_VERIFY_ERROR,
                                        "%s failed", ctx->failed);
}

/* exactly one header of that name: none is missing, two are ambiguous */

static ngx_int_t
ngx_http_webhook_verify_find_header(ngx_http_request_t *r,
    ngx_http_webhook_verify_header_t *header, ngx_str_t *value,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *found;

    found = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != header->name.len
            || ngx_strncmp(h[i].lowcase_key, header->name.data,
                           header->name.len) != 0)
        {
            continue;
        }

        if (found) {
            return ngx_http_webhook_verify_fail(r, ctx,
                                           NGX_HTTP_WEBHOOK_VERIFY_MALFORMED,
                                           "more than one \"%s\" header",
                                           header->display);
        }

        found = &h[i];
    }

    if (found == NULL) {
        return ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_MISSING,
                                            "no \"%s\" header",
                                            header->display);
    }

    *value = found->value;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_verify_check_time(ngx_http_request_t *r,
    ngx_http_webhook_verify_loc_conf_t *wlcf,
    ngx_http_webhook_verify_ctx_t *ctx, ngx_str_t *value)
{
    time_t       t, now;
    const char  *err;

    err = ngx_http_webhook_verify_parse_time(value->data, value->len, &t);
    if (err) {
        return ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_MALFORMED,
                                            "the timestamp is %s", err);
    }

    now = ngx_time();

    if (t < now - wlcf->tolerance) {
        return ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_STALE,
                                            "the timestamp is %T s in the "
                                            "past, beyond the tolerance of "
                                            "%T s", now - t, wlcf->tolerance);
    }

    if (t > now + wlcf->tolerance) {
        return ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_STALE,
                                            "the timestamp is %T s in the "
                                            "future, beyond the tolerance "
                                            "of %T s", t - now,
                                            wlcf->tolerance);
    }

    return NGX_OK;
}


static void
ngx_http_webhook_verify_body_handler(ngx_http_request_t *r)
{
    ngx_http_webhook_verify_ctx_t  *ctx;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook verify body handler");

    ctx = ngx_http_get_module_ctx(r, ngx_http_webhook_verify_module);

    /* every byte of the body has passed the filter by now */

    ngx_http_webhook_verify_finish(r, ctx);

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);
}


static ngx_int_t
ngx_http_webhook_verify_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t                      *b;
    ngx_chain_t                    *cl;
    ngx_http_webhook_verify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_webhook_verify_module);

    if (ctx == NULL || ctx->status != NGX_HTTP_WEBHOOK_VERIFY_READING) {
        return ngx_http_next_request_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "webhook verify body filter: %uz bytes",
                       (size_t) (b->last - b->pos));

        if (!ngx_buf_in_memory(b)) {
            /* before this filter nginx only passes memory buffers */
            ctx->in_file |= (ngx_buf_size(b) != 0);
            continue;
        }

        ctx->size += b->last - b->pos;

        ngx_http_webhook_verify_hash(ctx, b->pos, b->last - b->pos);
    }

    return ngx_http_next_request_body_filter(r, in);
}


static void
ngx_http_webhook_verify_hash(ngx_http_webhook_verify_ctx_t *ctx,
    u_char *data, size_t len)
{
    ngx_uint_t  i;

    if (len == 0 || ctx->failed) {
        return;
    }

    if (ctx->digest) {
        (void) ngx_edge_digest_update(ctx->digest, data, len,
                                      &ctx->failed);
        return;
    }

    for (i = 0; i < ctx->nmacs; i++) {
        if (ctx->macs[i]
            && ngx_edge_hmac_update(ctx->macs[i], data, len, &ctx->failed)
               != 0)
        {
            return;
        }
    }
}


static void
ngx_http_webhook_verify_finish(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    size_t                               n, size;
    u_char                              *sig;
    ngx_int_t                            rc;
    ngx_uint_t                           i;
    ngx_http_webhook_verify_secret_t   **secret;
    ngx_http_webhook_verify_loc_conf_t  *wlcf;
    u_char                               md[NGX_HTTP_PRECANCEL_HMAC_MAX];
    u_char                               hex[NGX_HTTP_PRECANCEL_HMAC_MAX_HEX];

    wlcf = ctx->conf;
    size = ngx_http_webhook_verify_macs[wlcf->use->mac].size;

    if (ctx->in_file) {
        ngx_http_webhook_verify_cleanup(ctx);

        (void) ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_ERROR,
                                            "a body buffer reached the "
                                            "filter in a file");
        return;
    }

    if (ctx->failed) {
        goto failed;
    }

    n = 0;

    if (ctx->digest) {
        if (ngx_edge_digest_final(ctx->digest, md, &ctx->failed)
            != 0)
        {
            goto failed;
        }

        n = ngx_edge_digest_size(ctx->digest);
        ngx_edge_hex_encode(hex, md, n);
    }

    secret = wlcf->secrets->elts;

    for (i = 0; i < wlcf->secrets->nelts; i++) {

        if (secret[i]->pkey) {
            rc = ngx_http_webhook_verify_ed25519(r, ctx, secret[i]->pkey,
                                                 &sig);
            if (rc == NGX_ERROR) {
                goto failed;
            }

            if (rc == NGX_OK) {
                /* the replay key of v1a: the signature, for want of a MAC */
                ngx_memcpy(md, sig, ngx_min(size, sizeof(md)));
                break;
            }

            continue;
        }

        if (ngx_http_webhook_verify_mac(ctx, i, hex, 2 * n, md) != NGX_OK) {
            goto failed;
        }

        if (ngx_http_webhook_verify_match(ctx->sig, md, size)) {
            break;
        }
    }

    if (i < wlcf->secrets->nelts) {
        ctx->status = NGX_HTTP_WEBHOOK_VERIFY_OK;
        ctx->secret = secret[i]->label;

        if (wlcf->replay
            && ngx_http_webhook_verify_replay_key(r, ctx, md, size) != NGX_OK)
        {
            ctx->failed = "the replay key";
            goto failed;
        }
    }

    OPENSSL_cleanse(md, sizeof(md));
    ngx_http_webhook_verify_cleanup(ctx);

    if (i == wlcf->secrets->nelts) {
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                        NGX_HTTP_WEBHOOK_VERIFY_MISMATCH,
                                        "no secret matched the \"%s\" header",
                                        wlcf->header.display);
        return;
    }

    if (wlcf->replay) {
        ngx_http_webhook_verify_replay_check(r, ctx);
    }

    /* new on this node: and in the cluster? */

    if (ctx->reserved && wlcf->store.uri.len) {
        if (ngx_http_webhook_verify_store_start(r, &ctx->store, &wlcf->store,
                                                &ctx->key, wlcf->hold)
            != NGX_OK)
        {
            ctx->failed = "the store key";
            goto failed;
        }

        ctx->status = NGX_HTTP_WEBHOOK_VERIFY_STORING;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook verify: secret \"%V\" matched", &ctx->secret);
    return;

failed:

    OPENSSL_cleanse(md, sizeof(md));
    ngx_http_webhook_verify_cleanup(ctx);

    (void) ngx_http_webhook_verify_fail(r, ctx, NGX_HTTP_WEBHOOK_VERIFY_ERROR,
                                        "%s failed", ctx->failed);
}


/*
 * The MAC of secret i into md: from the context fed as the body came, or,
 * for a scheme that signs a digest of the body, from the configured
 * context over the prefix and the digest's hex (within one event).
 */

static ngx_int_t
ngx_http_webhook_verify_mac(ngx_http_webhook_verify_ctx_t *ctx, ngx_uint_t i,
    u_char *hex, size_t hex_len, u_char *md)
{
    ngx_edge_hmac_t  *mac;

    if (ctx->digest) {
        mac = ctx->conf->hmacs[i];

        if (ngx_edge_hmac_init(mac, &ctx->failed) != 0
            || ngx_edge_hmac_update(mac, ctx->prefix.data, ctx->prefix.len,
                                    &ctx->failed) != 0
            || ngx_edge_hmac_update(mac, hex, hex_len, &ctx->failed) != 0)
        {
            return NGX_ERROR;
        }

    } else {
        mac = ctx->macs[i];
    }

    if (ngx_edge_hmac_final(mac, md, &ctx->failed) != 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * NGX_OK when one of the header's v1a signatures is pkey's over the
 * signed prefix and the body (and *sig points to it), NGX_DECLINED when
 * none is, NGX_ERROR with ctx->failed set.  The signatures are public:
 * no constant time is needed, and the first match ends the search.
 */

static ngx_int_t
ngx_http_webhook_verify_ed25519(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx, EVP_PKEY *pkey, u_char **sig)
{
    int          rc;
    size_t       i;
    EVP_MD_CTX  *md;

    if (ctx->sig->ned25519 == 0) {
        return NGX_DECLINED;
    }

    if (ctx->message.data == NULL
        && ngx_http_webhook_verify_body(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        ctx->failed = "EVP_MD_CTX_new()";
        return NGX_ERROR;
    }

    for (i = 0; i < ctx->sig->ned25519; i++) {

        /* pure Ed25519: no digest, and a context for one message only */

        if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pkey) != 1) {
            EVP_MD_CTX_free(md);
            ctx->failed = "EVP_DigestVerifyInit()";
            return NGX_ERROR;
        }

        rc = EVP_DigestVerify(md, ctx->sig->ed25519[i],
                              NGX_HTTP_WEBHOOK_VERIFY_ED25519_SIG,
                              ctx->message.data, ctx->message.len);

        if (rc == 1) {
            EVP_MD_CTX_free(md);
            *sig = ctx->sig->ed25519[i];
            return NGX_OK;
        }

        /* a wrong signature leaves an error on OpenSSL's queue */
        ERR_clear_error();
    }

    EVP_MD_CTX_free(md);

    return NGX_DECLINED;
}


/*
 * The signed message of v1a, the prefix and the whole body, in one piece
 * of the request's pool: the body from its buffers in memory and, when
 * it was larger than client_body_buffer_size, read back from its
 * temporary file.  nginx has read it whole, so client_max_body_size
 * bounds it; the check here only guards that bound.
 */

static ngx_int_t
ngx_http_webhook_verify_body(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    off_t                      size;
    u_char                    *p;
    ssize_t                    n;
    ngx_buf_t                 *b;
    ngx_chain_t               *cl, *bufs;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    bufs = r->request_body ? r->request_body->bufs : NULL;
    size = 0;

    for (cl = bufs; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);
    }

    if (clcf->client_max_body_size && size > clcf->client_max_body_size) {
        ctx->failed = "keeping the body for v1a within "
                      "client_max_body_size";
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook verify: %O bytes of body for v1a", size);

    ctx->message.data = ngx_pnalloc(r->pool,
                                    ctx->prefix.len + (size_t) size + 1);
    if (ctx->message.data == NULL) {
        ctx->failed = "allocating the signed message";
        return NGX_ERROR;
    }

    p = ngx_cpymem(ctx->message.data, ctx->prefix.data, ctx->prefix.len);

    for (cl = bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
            continue;
        }

        if (!b->in_file || b->file_last == b->file_pos) {
            continue;
        }

        n = ngx_read_file(b->file, p, (size_t) (b->file_last - b->file_pos),
                          b->file_pos);

        if (n != b->file_last - b->file_pos) {
            ctx->message.data = NULL;
            ctx->failed = "reading the body back from its temporary file";
            return NGX_ERROR;
        }

        p += n;
    }

    ctx->message.len = p - ctx->message.data;

    return NGX_OK;
}


/* what the access phase is told */

static ngx_int_t
ngx_http_webhook_verify_verdict(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx,
    ngx_http_webhook_verify_loc_conf_t *wlcf)
{
    u_char     *p;
    ngx_str_t   value;

    switch (ctx->status) {

    case NGX_HTTP_WEBHOOK_VERIFY_OK:
    case NGX_HTTP_WEBHOOK_VERIFY_STORE_BYPASSED:
        return NGX_OK;

    case NGX_HTTP_WEBHOOK_VERIFY_STORING:
        return ngx_http_webhook_verify_store_verdict(r, ctx);

    case NGX_HTTP_WEBHOOK_VERIFY_READING:
        /* the body handler runs the phases again */
        return NGX_AGAIN;

    case NGX_HTTP_WEBHOOK_VERIFY_ERROR:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;

    case NGX_HTTP_WEBHOOK_VERIFY_REPLAYED:
        return ctx->conf->replayed;

    case NGX_HTTP_WEBHOOK_VERIFY_IN_FLIGHT:
        p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        value.data = p;
        value.len = ngx_sprintf(p, "%M", (ctx->left + 999) / 1000) - p;

        if (ngx_http_webhook_verify_add_header(r, ctx, "Retry-After", &value)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_CONFLICT;

    case NGX_HTTP_WEBHOOK_VERIFY_ZONE_FULL:
    case NGX_HTTP_WEBHOOK_VERIFY_STORE_ERROR:
        return NGX_HTTP_SERVICE_UNAVAILABLE;

    case NGX_HTTP_WEBHOOK_VERIFY_METHOD:

        if (ngx_http_webhook_verify_add_header(r, ctx, "Allow",
                                               &ctx->conf->allow)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;

    default:
        return wlcf->status;
    }
}


/*
 * The one place a failure is recorded and logged: which check failed,
 * never a secret, a computed MAC or the body.
 */

static ngx_int_t
ngx_http_webhook_verify_fail(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx, ngx_uint_t status,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    reason[NGX_MAX_ERROR_STR];

    va_start(args, fmt);
    p = ngx_vslprintf(reason, reason + sizeof(reason), fmt, args);
    va_end(args);

    ctx->status = status;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "webhook verification failed (%V, scheme %s): %*s",
                  &ngx_http_webhook_verify_status_names[status],
                  ctx->conf->use->name, (size_t) (p - reason), reason);

    return NGX_ERROR;
}


/*
 * An internal redirect clears the module contexts; the pool cleanup of
 * the hashing contexts still holds this one (as ngx_http_realip_module
 * finds its own).
 */

static ngx_http_webhook_verify_ctx_t *
ngx_http_webhook_verify_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t             *cln;
    ngx_http_webhook_verify_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_webhook_verify_module);

    if (ctx || !r->internal) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_webhook_verify_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_webhook_verify_module);
            return ctx;
        }
    }

    return NULL;
}


static void
ngx_http_webhook_verify_cleanup(void *data)
{
    ngx_http_webhook_verify_ctx_t  *ctx = data;

    ngx_uint_t  i;

    /* the location's keyed contexts keep them for the next requests */

    for (i = 0; i < ctx->nmacs; i++) {
        ngx_edge_hmac_release(ctx->macs[i]);
        ctx->macs[i] = NULL;
    }

    ctx->nmacs = 0;

    ngx_edge_digest_free(ctx->digest);
    ctx->digest = NULL;

    ngx_http_webhook_verify_store_cleanup(&ctx->store);
}


/*
 * What identifies the message: its signed id where the scheme signs one
 * (Standard Webhooks' webhook-id: a provider's retry of the same message
 * is the same message), else the MAC itself (the same signed bytes give
 * the same MAC, a changed byte another); never an unsigned header.  The
 * secret's label goes first, so that two accounts sharing a zone keep
 * apart.  A key too long for the zone is a SHA-256 of itself.
 */

static ngx_int_t
ngx_http_webhook_verify_replay_key(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx, u_char *md, size_t size)
{
    u_char                              *p;
    size_t                               len;
    ngx_str_t                            id;
    unsigned int                         n;
    ngx_http_webhook_verify_loc_conf_t  *wlcf;

    wlcf = ctx->conf;

    if (wlcf->id_header.name.len) {
        id = ctx->id;

    } else {
        id.data = md;
        id.len = size;
    }

    len = 2 + ctx->secret.len + id.len;

    p = ngx_pnalloc(r->pool, ngx_max(len, SHA256_DIGEST_LENGTH));
    if (p == NULL) {
        return NGX_ERROR;
    }

    ctx->key.data = p;

    *p++ = wlcf->id_header.name.len ? 'i' : 'm';
    p = ngx_cpymem(p, ctx->secret.data, ctx->secret.len);
    *p++ = '\0';
    ngx_memcpy(p, id.data, id.len);

    if (len > NGX_HTTP_WEBHOOK_VERIFY_REPLAY_KEY) {
        if (EVP_Digest(ctx->key.data, len, ctx->key.data, &n, EVP_sha256(),
                       NULL)
            != 1)
        {
            return NGX_ERROR;
        }

        len = n;
    }

    ctx->key.len = len;

    return NGX_OK;
}


/* a verified message: reserved, or refused as a copy */

static void
ngx_http_webhook_verify_replay_check(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    ngx_http_webhook_verify_loc_conf_t  *wlcf;

    wlcf = ctx->conf;

    switch (ngx_http_webhook_verify_replay_reserve(wlcf->replay, &ctx->key,
                                                   wlcf->hold, &ctx->left))
    {

    case NGX_HTTP_WEBHOOK_VERIFY_REPLAY_NEW:
        ctx->reserved = 1;
        return;

    case NGX_HTTP_WEBHOOK_VERIFY_REPLAY_DELIVERED:
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                    NGX_HTTP_WEBHOOK_VERIFY_REPLAYED,
                                    "the message was delivered before "
                                    "(zone \"%V\", kept %M ms more), "
                                    "answering %ui without the application",
                                    &wlcf->replay->shm.name, ctx->left,
                                    wlcf->replayed);
        return;

    case NGX_HTTP_WEBHOOK_VERIFY_REPLAY_IN_FLIGHT:
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                    NGX_HTTP_WEBHOOK_VERIFY_IN_FLIGHT,
                                    "a copy of the message is being "
                                    "delivered (zone \"%V\"), answering 409 "
                                    "with Retry-After",
                                    &wlcf->replay->shm.name);
        return;

    default: /* NGX_HTTP_WEBHOOK_VERIFY_REPLAY_FULL */
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                    NGX_HTTP_WEBHOOK_VERIFY_ZONE_FULL,
                                    "zone \"%V\" is full and nothing in it "
                                    "has expired: refused, answering 503 "
                                    "(make the zone larger)",
                                    &wlcf->replay->shm.name);
        return;
    }
}


/*
 * What the cluster's store says of a message new on this node.  A copy
 * refused here gives back this node's reservation: the message is the
 * other node's to deliver.
 */

static ngx_int_t
ngx_http_webhook_verify_store_verdict(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx)
{
    ngx_int_t                            rc;
    ngx_http_webhook_verify_store_e      result;
    ngx_http_webhook_verify_loc_conf_t  *wlcf;

    wlcf = ctx->conf;

    rc = ngx_http_webhook_verify_store_ask(r, &ctx->store, &result);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    if (rc == NGX_OK && result == NGX_HTTP_WEBHOOK_VERIFY_STORE_NEW) {
        ctx->status = NGX_HTTP_WEBHOOK_VERIFY_OK;
        return NGX_OK;
    }

    if (rc == NGX_OK && result == NGX_HTTP_WEBHOOK_VERIFY_STORE_DOWN
        && wlcf->store.fail_open)
    {
        /* the node's own guard still holds the message */

        ctx->status = NGX_HTTP_WEBHOOK_VERIFY_STORE_BYPASSED;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "webhook_verify_replay_store \"%V\" %s (status %ui): "
                      "delivering without the cluster-wide check "
                      "(fail=open)", &wlcf->store.uri, ctx->store.why,
                      ctx->store.status);

        return NGX_OK;
    }

    ngx_http_webhook_verify_replay_release(wlcf->replay, &ctx->key);
    ctx->reserved = 0;

    if (rc == NGX_ERROR) {
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                            NGX_HTTP_WEBHOOK_VERIFY_ERROR,
                                            "a subrequest to \"%V\" failed",
                                            &wlcf->store.uri);

    } else if (result == NGX_HTTP_WEBHOOK_VERIFY_STORE_DELIVERED) {
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                    NGX_HTTP_WEBHOOK_VERIFY_REPLAYED,
                                    "the message was delivered before "
                                    "(store \"%V\"), answering %ui without "
                                    "the application", &wlcf->store.uri,
                                    wlcf->replayed);

    } else if (result == NGX_HTTP_WEBHOOK_VERIFY_STORE_IN_FLIGHT) {
        ctx->left = wlcf->hold;

        (void) ngx_http_webhook_verify_fail(r, ctx,
                                    NGX_HTTP_WEBHOOK_VERIFY_IN_FLIGHT,
                                    "a copy of the message is being "
                                    "delivered (store \"%V\"), answering "
                                    "409 with Retry-After", &wlcf->store.uri);

    } else {
        (void) ngx_http_webhook_verify_fail(r, ctx,
                                    NGX_HTTP_WEBHOOK_VERIFY_STORE_ERROR,
                                    "webhook_verify_replay_store \"%V\" %s "
                                    "(status %ui): refused, answering 503 "
                                    "(fail=closed)", &wlcf->store.uri,
                                    ctx->store.why, ctx->store.status);
    }

    return ngx_http_webhook_verify_verdict(r, ctx, wlcf);
}


/*
 * The application's answer goes out: the store learns whether the
 * message was delivered (a subrequest in the background, which the
 * answer does not wait for).  A request that ends with no answer at all
 * (the client gone) leaves its reservation to expire with the hold.
 */

static ngx_int_t
ngx_http_webhook_verify_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                      status;
    ngx_http_webhook_verify_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_webhook_verify_get_ctx(r);

    if (ctx && ctx->store.reserved) {
        status = r->headers_out.status;

        if (ngx_http_webhook_verify_store_end(r, &ctx->store,
                                   status >= NGX_HTTP_OK
                                   && status < NGX_HTTP_SPECIAL_RESPONSE,
                                   ctx->conf->lifetime)
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "webhook_verify_replay_store \"%V\": no "
                          "subrequest could record the answer",
                          &ctx->conf->store.uri);
        }
    }

    return ngx_http_next_header_filter(r);
}


/*
 * The answer is known: a 2xx from the application delivers the message,
 * which is kept for the lifetime; anything else (an error, a timeout, a
 * client gone) releases it, so that the provider's retry gets through.
 */

static ngx_int_t
ngx_http_webhook_verify_log_handler(ngx_http_request_t *r)
{
    ngx_uint_t                      status;
    ngx_http_webhook_verify_ctx_t  *ctx;

    /*
     * A subrequest (log_subrequest on) shares the main request's pool,
     * and would find its ctx: the answer is the main request's.
     */

    if (r != r->main) {
        return NGX_OK;
    }

    ngx_http_webhook_verify_count(r);

    ctx = ngx_http_webhook_verify_get_ctx(r);

    if (ctx == NULL || !ctx->reserved) {
        return NGX_OK;
    }

    ctx->reserved = 0;
    status = r->headers_out.status;

    if (status >= NGX_HTTP_OK && status < NGX_HTTP_SPECIAL_RESPONSE) {
        ngx_http_webhook_verify_replay_commit(ctx->conf->replay, &ctx->key,
                                              ctx->conf->lifetime);

    } else {
        ngx_http_webhook_verify_replay_release(ctx->conf->replay, &ctx->key);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook verify replay: %s",
                   status >= NGX_HTTP_OK && status < NGX_HTTP_SPECIAL_RESPONSE
                   ? "delivered" : "released");

    return NGX_OK;
}


/*
 * The main request's outcome, as $webhook_verify_status gives it, in the
 * series of the location that verified it: the log phase runs once for
 * it, after any error_page or internal redirect.
 */

static void
ngx_http_webhook_verify_count(ngx_http_request_t *r)
{
    ngx_uint_t                           status;
    ngx_http_webhook_verify_ctx_t       *ctx;
    ngx_http_webhook_verify_loc_conf_t  *wlcf;

    ctx = ngx_http_webhook_verify_get_ctx(r);

    status = ngx_http_webhook_verify_outcome(r, ctx, &wlcf);

    if (wlcf == NULL || wlcf->outcomes == NULL
        || wlcf->outcomes[status] == NULL)
    {
        return;
    }

    ngx_edge_metrics_inc(wlcf->outcomes[status]);

    if ((status == NGX_HTTP_WEBHOOK_VERIFY_OK
         || status == NGX_HTTP_WEBHOOK_VERIFY_STORE_BYPASSED)
        && ctx)
    {
        ngx_edge_metrics_add_value(wlcf->bytes, ctx->size);
    }
}


/*
 * The header that goes with a refusal (Allow, Retry-After), once: it
 * stays through an error_page, which runs the verdict again.
 */

static ngx_int_t
ngx_http_webhook_verify_add_header(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx, char *name, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    if (ctx->header) {
        return NGX_OK;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif
    h->key.len = ngx_strlen(name);
    h->key.data = (u_char *) name;
    h->value = *value;

    ctx->header = 1;

    return NGX_OK;
}


/*
 * webhook_verify_replay off | ZONE [lifetime=TIME] [hold=TIME]
 *     [replayed=STATUS]
 */

static char *
ngx_http_webhook_verify_replay(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_verify_loc_conf_t *wlcf = conf;

    ngx_int_t    n, rc;
    ngx_str_t   *value;
    ngx_uint_t   i;

    if (wlcf->replay != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    wlcf->lifetime = 86400000;
    wlcf->hold = 60000;
    wlcf->replayed = NGX_HTTP_NO_CONTENT;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            i = 2;
            goto invalid;
        }

        wlcf->replay = NULL;
        return NGX_CONF_OK;
    }

    wlcf->replay = ngx_http_webhook_verify_replay_get_zone(cf, &value[1]);
    if (wlcf->replay == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        rc = ngx_http_webhook_verify_time_param(&value[i], "lifetime=",
                                                &wlcf->lifetime);

        if (rc == NGX_DECLINED) {
            rc = ngx_http_webhook_verify_time_param(&value[i], "hold=",
                                                    &wlcf->hold);
        }

        if (rc == NGX_ERROR) {
            goto invalid;
        }

        if (rc == NGX_OK) {
            continue;
        }

        if (ngx_strncmp(value[i].data, "replayed=", 9) == 0) {
            n = ngx_atoi(value[i].data + 9, value[i].len - 9);

            /* 204 (nginx sends no body), or a refusal */

            if (n != NGX_HTTP_NO_CONTENT && (n < 400 || n > 599)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\" in \"%V\" must be 204 or "
                                   "between 400 and 599", &value[i],
                                   &cmd->name);
                return NGX_CONF_ERROR;
            }

            wlcf->replayed = n;

        } else {
            goto invalid;
        }
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in \"%V\"", &value[i],
                       &cmd->name);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_webhook_verify_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_uint_t                           status;
    ngx_http_webhook_verify_loc_conf_t  *wlcf;

    status = ngx_http_webhook_verify_outcome(r->main,
                                  ngx_http_webhook_verify_get_ctx(r->main),
                                  &wlcf);

    if (status == NGX_HTTP_WEBHOOK_VERIFY_NONE) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ngx_http_webhook_verify_status_names[status].len;
    v->data = ngx_http_webhook_verify_status_names[status].data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * The outcome of the main request r, for $webhook_verify_status and the
 * metrics, and in *conf the configuration that verified it (NULL where
 * none did).
 */

static ngx_uint_t
ngx_http_webhook_verify_outcome(ngx_http_request_t *r,
    ngx_http_webhook_verify_ctx_t *ctx,
    ngx_http_webhook_verify_loc_conf_t **conf)
{
    ngx_uint_t                           status;
    ngx_http_webhook_verify_loc_conf_t  *wlcf;

    status = ctx ? ctx->status : NGX_HTTP_WEBHOOK_VERIFY_NONE;
    *conf = ctx ? ctx->conf : NULL;

    /*
     * nginx answers 413 itself: for a Content-Length over
     * client_max_body_size before the access phase, for a longer chunked
     * or HTTP/2 body while it is read
     */

    if (r->headers_out.status == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
        && (status == NGX_HTTP_WEBHOOK_VERIFY_READING
            || status == NGX_HTTP_WEBHOOK_VERIFY_NONE))
    {
        wlcf = ngx_http_get_module_loc_conf(r, ngx_http_webhook_verify_module);

        if (ctx || wlcf->use) {
            status = NGX_HTTP_WEBHOOK_VERIFY_TOO_LARGE;

            if (ctx == NULL) {
                *conf = wlcf;
            }
        }

    } else if (status == NGX_HTTP_WEBHOOK_VERIFY_READING
               && r->headers_out.status)
    {
        /* timed out, closed by the client, a bad chunked body */
        status = NGX_HTTP_WEBHOOK_VERIFY_INCOMPLETE;
    }

    return status;
}


static ngx_int_t
ngx_http_webhook_verify_secret_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_webhook_verify_ctx_t  *ctx;

    ctx = ngx_http_webhook_verify_get_ctx(r->main);

    if (ctx == NULL || ctx->secret.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ctx->secret.len;
    v->data = ctx->secret.data;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_verify_add_variables(ngx_conf_t *cf)
{
    ngx_uint_t            i;
    ngx_http_variable_t  *var, *v;
    ngx_http_variable_t  *vars[] = { ngx_http_webhook_verify_vars,
                                     ngx_http_webhook_verify_store_vars };

    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {

        for (v = vars[i]; v->name.len; v++) {
            var = ngx_http_add_variable(cf, &v->name, v->flags);
            if (var == NULL) {
                return NGX_ERROR;
            }

            var->get_handler = v->get_handler;
            var->data = v->data;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_verify_init(ngx_conf_t *cf)
{
    ngx_uint_t                            i;
    ngx_http_handler_pt                  *h;
    ngx_http_core_main_conf_t            *cmcf;
    ngx_http_webhook_verify_secret_t    **secret;
    ngx_http_webhook_verify_main_conf_t  *wmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_webhook_verify_handler;

    /* the replay guard commits or releases once the answer is known */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_webhook_verify_log_handler;

    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_webhook_verify_body_filter;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_webhook_verify_header_filter;

    /* every location is merged: the secrets live on only as HMAC keys */

    wmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_webhook_verify_module);
    secret = wmcf->secrets.elts;

    for (i = 0; i < wmcf->secrets.nelts; i++) {
        ngx_http_webhook_verify_forget(secret[i]);
    }

    return NGX_OK;
}


static void *
ngx_http_webhook_verify_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_webhook_verify_main_conf_t  *wmcf;

    wmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webhook_verify_main_conf_t));
    if (wmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&wmcf->secrets, cf->pool, 4,
                       sizeof(ngx_http_webhook_verify_secret_t *))
        != NGX_OK)
    {
        return NULL;
    }

    return wmcf;
}


static void *
ngx_http_webhook_verify_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_webhook_verify_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_webhook_verify_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->file = { 0, NULL };
     *     conf->line = 0;
     *     conf->use = NULL;
     *     conf->hmacs = NULL;
     *     conf->digest = NULL;
     *     conf->header = { { 0, NULL }, NULL };
     *     conf->id_header = { { 0, NULL }, NULL };
     *     conf->time_header = { { 0, NULL }, NULL };
     *     conf->allow = { 0, NULL };
     *     conf->outcomes = NULL;
     *     conf->bytes = NULL;
     */

    conf->scheme = NGX_CONF_UNSET_PTR;
    conf->custom = NGX_CONF_UNSET_PTR;
    conf->secrets = NGX_CONF_UNSET_PTR;
    conf->tolerance = NGX_CONF_UNSET;
    conf->status = NGX_CONF_UNSET_UINT;
    conf->methods = NGX_CONF_UNSET_UINT;
    conf->replay = NGX_CONF_UNSET_PTR;
    conf->lifetime = NGX_CONF_UNSET_MSEC;
    conf->hold = NGX_CONF_UNSET_MSEC;
    conf->replayed = NGX_CONF_UNSET_UINT;

    ngx_http_webhook_verify_store_init_conf(&conf->store);

    return conf;
}


static char *
ngx_http_webhook_verify_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_webhook_verify_loc_conf_t *prev = parent;
    ngx_http_webhook_verify_loc_conf_t *conf = child;

    ngx_uint_t                               own_store;
    const ngx_http_webhook_verify_scheme_t  *scheme;

    if (conf->scheme == NGX_CONF_UNSET_PTR) {
        conf->file = prev->file;
        conf->line = prev->line;
    }

    ngx_conf_merge_ptr_value(conf->scheme, prev->scheme, NULL);
    ngx_conf_merge_ptr_value(conf->custom, prev->custom, NULL);
    ngx_conf_merge_ptr_value(conf->secrets, prev->secrets, NULL);
    ngx_conf_merge_sec_value(conf->tolerance, prev->tolerance, 300);
    ngx_conf_merge_uint_value(conf->status, prev->status,
                              NGX_HTTP_UNAUTHORIZED);
    ngx_conf_merge_uint_value(conf->methods, prev->methods, NGX_HTTP_POST);

    if (conf->replay == NGX_CONF_UNSET_PTR) {
        conf->replay = prev->replay;
        conf->lifetime = prev->lifetime;
        conf->hold = prev->hold;
        conf->replayed = prev->replayed;
    }

    if (conf->replay == NGX_CONF_UNSET_PTR) {
        conf->replay = NULL;
    }

    own_store = (conf->store.timeout != NGX_CONF_UNSET_MSEC);

    ngx_http_webhook_verify_store_merge_conf(&conf->store, &prev->store);

    if (conf->scheme == NULL) {
        return NGX_CONF_OK;
    }

    scheme = conf->scheme;

    if (scheme == &ngx_http_webhook_verify_custom_scheme) {
        if (conf->custom == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"webhook_verify custom\" requires "
                          "\"webhook_verify_custom\" in %V:%ui",
                          &conf->file, conf->line);
            return NGX_CONF_ERROR;
        }

        scheme = conf->custom;
    }

    if (conf->secrets == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"webhook_verify\" requires "
                      "\"webhook_verify_secret_file\" in %V:%ui",
                      &conf->file, conf->line);
        return NGX_CONF_ERROR;
    }

    conf->use = scheme;

    if (conf->store.uri.len && conf->replay == NULL) {

        /* inherited where the guard is off: off too */

        if (!own_store) {
            ngx_str_null(&conf->store.uri);

        } else {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"webhook_verify_replay_store\" requires "
                          "\"webhook_verify_replay\" for \"webhook_verify\" "
                          "in %V:%ui: the zone keeps the node's own record",
                          &conf->file, conf->line);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_webhook_verify_header_name(cf, &conf->header, scheme->header)
        != NGX_OK
        || ngx_http_webhook_verify_header_name(cf, &conf->id_header,
                                               scheme->id_header)
           != NGX_OK
        || ngx_http_webhook_verify_header_name(cf, &conf->time_header,
                                               scheme->time_header)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_webhook_verify_allow(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /*
     * A scheme that signs its time refuses a copy older than the
     * tolerance by itself: its entries live at least twice that long, so
     * that no copy is ever accepted by both checks' gaps.
     */

    if (conf->replay && scheme->timed
        && conf->lifetime < (ngx_msec_t) conf->tolerance * 2000)
    {
        conf->lifetime = (ngx_msec_t) conf->tolerance * 2000;
    }

    if (ngx_http_webhook_verify_metrics(cf, conf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_webhook_verify_keys(cf, conf);
}


/*
 * A verifying location with a precancel_metrics_name: a series for each
 * outcome of the status table (whatever outcomes it gains) but "none",
 * and the bytes verified.
 */

static ngx_int_t
ngx_http_webhook_verify_metrics(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf)
{
    ngx_str_t            *name, labels;
    ngx_edge_metrics_t   *m;
    u_char                buf[NGX_MAX_CONF_ERRSTR];

    m = ngx_http_precancel_metrics_location(cf, &name);

    if (m == NULL) {
        return NGX_OK;
    }

    labels.data = buf;
    labels.len = ngx_snprintf(buf, sizeof(buf),
                              "location=\"%V\",scheme=\"%s\"", name,
                              conf->use->name)
                 - buf;

    conf->outcomes = ngx_edge_metrics_add_each(cf, m,
                                &ngx_http_webhook_verify_requests_family,
                                &labels, "outcome",
                                ngx_http_webhook_verify_status_names,
                                sizeof(ngx_http_webhook_verify_status_names)
                                / sizeof(ngx_str_t));

    conf->bytes = ngx_edge_metrics_add(cf, m,
                                       &ngx_http_webhook_verify_bytes_family,
                                       "", &labels, 0);

    if (conf->outcomes == NULL || conf->bytes == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The location's HMAC context for each secret, keyed for its scheme's
 * digest (and whsec_ decoding) once per secret and shared by every
 * location that inherits the secret with such a scheme.
 */

static char *
ngx_http_webhook_verify_keys(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf)
{
    ngx_uint_t                          i;
    ngx_http_webhook_verify_secret_t  **secret;

    conf->hmacs = ngx_palloc(cf->pool, conf->secrets->nelts
                                       * sizeof(ngx_edge_hmac_t *));
    if (conf->hmacs == NULL) {
        return NGX_CONF_ERROR;
    }

    secret = conf->secrets->elts;

    for (i = 0; i < conf->secrets->nelts; i++) {

        if (secret[i]->pkey
            || (secret[i]->raw
                && ngx_http_webhook_verify_is_public(secret[i]->raw,
                                                     secret[i]->len)))
        {
            if (ngx_http_webhook_verify_key_public(cf, conf, secret[i])
                != NGX_OK)
            {
                return NGX_CONF_ERROR;
            }

            conf->hmacs[i] = NULL;
            continue;
        }

        conf->hmacs[i] = ngx_http_webhook_verify_key_hmac(cf, conf,
                                                          secret[i]);
        if (conf->hmacs[i] == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->use->body_digest == NGX_HTTP_WEBHOOK_VERIFY_RAW_BODY) {
        return NGX_CONF_OK;
    }

    return ngx_http_webhook_verify_body_digest(cf, conf);
}


/* the secret's HMAC context for the location's scheme, keyed on first use */

static ngx_edge_hmac_t *
ngx_http_webhook_verify_key_hmac(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf,
    ngx_http_webhook_verify_secret_t *s)
{
    size_t                                   len;
    const char                              *err;
    ngx_edge_hmac_t                        **hmac;
    const ngx_http_webhook_verify_mac_t     *mac;
    const ngx_http_webhook_verify_scheme_t  *scheme;
    u_char                                   key[NGX_EDGE_SECRET_MAX];

    static const char                        what[] = "webhook secret";

    scheme = conf->use;
    mac = &ngx_http_webhook_verify_macs[scheme->mac];
    hmac = &s->hmac[scheme->whsec][scheme->mac];

    if (*hmac) {
        return *hmac;
    }

    if (s->raw == NULL) {
        /* cannot be: every merge comes before postconfiguration */
        ngx_log_error(NGX_LOG_ALERT, cf->log, 0,
                      "%s file \"%V\" was already forgotten", what, &s->file);
        return NULL;
    }

    err = ngx_http_webhook_verify_key(scheme, s->raw, s->len, key, &len);
    if (err) {
        OPENSSL_cleanse(key, sizeof(key));
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "%s file \"%V\" %s, as wanted by "
                      "\"webhook_verify %s\" in %V:%ui", what,
                      &s->file, err, scheme->name, &conf->file,
                      conf->line);
        return NULL;
    }

    /* cleanses key */

    *hmac = ngx_edge_secret_hmac(cf, mac->digest, key, len, what, &s->file);

    return *hmac;
}


/*
 * The Ed25519 key of a "whpk_" file, made on first use and shared as the
 * HMAC keys are.  Only Standard Webhooks' v1a is signed with Ed25519: for
 * any other scheme the file is a mistake (it would key an HMAC with a
 * public string).  The key is public, the file keeps the secrets' rules
 * all the same.
 */

static ngx_int_t
ngx_http_webhook_verify_key_public(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf,
    ngx_http_webhook_verify_secret_t *s)
{
    const char                              *err;
    ngx_pool_cleanup_t                      *cln;
    const ngx_http_webhook_verify_scheme_t  *scheme;

    u_char  key[NGX_HTTP_WEBHOOK_VERIFY_ED25519_KEY];

    static const char                        what[] = "webhook secret";

    scheme = conf->use;

    if (scheme->format != NGX_HTTP_WEBHOOK_VERIFY_STANDARD) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "%s file \"%V\" holds a \"whpk_\" public key, which "
                      "only \"webhook_verify standard\" verifies, not "
                      "\"webhook_verify %s\" in %V:%ui", what, &s->file,
                      scheme->name, &conf->file, conf->line);
        return NGX_ERROR;
    }

    if (s->pkey) {
        return NGX_OK;
    }

    err = ngx_http_webhook_verify_public_key(s->raw, s->len, key);
    if (err) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "%s file \"%V\" %s, as wanted by "
                      "\"webhook_verify %s\" in %V:%ui", what,
                      &s->file, err, scheme->name, &conf->file,
                      conf->line);
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    s->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key,
                                          sizeof(key));
    if (s->pkey == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "EVP_PKEY_new_raw_public_key() failed for %s "
                      "file \"%V\"", what, &s->file);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_webhook_verify_pkey_cleanup;
    cln->data = s->pkey;

    return NGX_OK;
}


/* the prepared digest of the body the scheme signs, one for all locations */

static char *
ngx_http_webhook_verify_body_digest(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf)
{
    const char                           *name, *failed;
    ngx_edge_digest_t                   **digest;
    ngx_pool_cleanup_t                   *cln;
    ngx_http_webhook_verify_main_conf_t  *wmcf;

    wmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_webhook_verify_module);

    digest = &wmcf->digests[conf->use->body_digest];
    name = ngx_http_webhook_verify_digests[conf->use->body_digest].digest;

    if (*digest == NULL) {
        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        *digest = ngx_edge_digest_create(name, &failed);
        if (*digest == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0, "%s failed for \"%s\"",
                          failed, name);
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_webhook_verify_digest_cleanup;
        cln->data = *digest;
    }

    conf->digest = *digest;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_webhook_verify_header_name(ngx_conf_t *cf,
    ngx_http_webhook_verify_header_t *header, const char *name)
{
    size_t  len;

    if (name == NULL) {
        return NGX_OK;
    }

    len = ngx_strlen(name);

    header->name.data = ngx_pnalloc(cf->pool, len);
    if (header->name.data == NULL) {
        return NGX_ERROR;
    }

    ngx_strlow(header->name.data, (u_char *) name, len);
    header->name.len = len;
    header->display = name;

    return NGX_OK;
}


static char *
ngx_http_webhook_verify(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_webhook_verify_loc_conf_t *wlcf = conf;

    ngx_str_t                               *value, known;
    const ngx_http_webhook_verify_scheme_t  *s;

    if (wlcf->scheme != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        wlcf->scheme = NULL;
        return NGX_CONF_OK;
    }

    s = &ngx_http_webhook_verify_custom_scheme;

    if (ngx_strcmp(value[1].data, s->name) != 0) {
        s = ngx_http_webhook_verify_scheme_find(value[1].data, value[1].len);

        if (s == NULL) {
            if (ngx_http_webhook_verify_known(cf, &known) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown webhook_verify scheme \"%V\" "
                               "(known: %V)", &value[1], &known);
            return NGX_CONF_ERROR;
        }
    }

    wlcf->scheme = s;
    wlcf->file = cf->conf_file->file.name;
    wlcf->line = cf->conf_file->line;

    return NGX_CONF_OK;
}


/* what "webhook_verify" takes, from the schemes table: "stripe, ..., off" */

static ngx_int_t
ngx_http_webhook_verify_known(ngx_conf_t *cf, ngx_str_t *known)
{
    u_char                                  *p;
    size_t                                   len;
    const char                              *custom;
    const ngx_http_webhook_verify_scheme_t  *s;

    custom = ngx_http_webhook_verify_custom_scheme.name;
    len = ngx_strlen(custom) + sizeof(", off") - 1;

    for (s = ngx_http_webhook_verify_schemes; s->name; s++) {
        len += ngx_strlen(s->name) + sizeof(", ") - 1;
    }

    p = ngx_pnalloc(cf->temp_pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    known->data = p;

    for (s = ngx_http_webhook_verify_schemes; s->name; s++) {
        p = ngx_sprintf(p, "%s, ", s->name);
    }

    p = ngx_sprintf(p, "%s, off", custom);

    known->len = p - known->data;

    return NGX_OK;
}


/*
 * webhook_verify_secret_file FILE [name=LABEL]: read here, by the master;
 * each location keys the HMAC its scheme needs at merge.
 */

static char *
ngx_http_webhook_verify_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_verify_loc_conf_t *wlcf = conf;

    ngx_str_t                             *value, label;
    ngx_http_webhook_verify_secret_t      *s, **sp;
    ngx_http_webhook_verify_main_conf_t   *wmcf;

    value = cf->args->elts;

    if (wlcf->secrets == NGX_CONF_UNSET_PTR) {
        wlcf->secrets = ngx_array_create(cf->pool, 2,
                                   sizeof(ngx_http_webhook_verify_secret_t *));
        if (wlcf->secrets == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_webhook_verify_label(cf, wlcf, &label) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    s = ngx_pcalloc(cf->pool, sizeof(ngx_http_webhook_verify_secret_t));
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    s->file = value[1];
    s->label = label;

    if (ngx_http_webhook_verify_read_secret(cf, s) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    wmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_webhook_verify_module);

    sp = ngx_array_push(&wmcf->secrets);
    if (sp == NULL) {
        return NGX_CONF_ERROR;
    }

    *sp = s;

    sp = ngx_array_push(wlcf->secrets);
    if (sp == NULL) {
        return NGX_CONF_ERROR;
    }

    *sp = s;

    return NGX_CONF_OK;
}


/*
 * The label of the secret webhook_verify_secret_file names: name=, or its
 * position among this level's secrets; unique at this level.
 */

static ngx_int_t
ngx_http_webhook_verify_label(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *wlcf, ngx_str_t *label)
{
    ngx_str_t                          *value;
    ngx_uint_t                          i;
    ngx_http_webhook_verify_secret_t  **other;

    value = cf->args->elts;

    if (cf->args->nelts == 3) {
        if (value[2].len <= 5
            || ngx_strncmp(value[2].data, "name=", 5) != 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_ERROR;
        }

        label->data = value[2].data + 5;
        label->len = value[2].len - 5;

        for (i = 0; i < label->len; i++) {
            if (!(isalnum(label->data[i]) || label->data[i] == '_'
                  || label->data[i] == '-' || label->data[i] == '.'))
            {
                break;
            }
        }

        if (i < label->len || label->len > NGX_HTTP_WEBHOOK_VERIFY_LABEL_MAX)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid secret name \"%V\": expected up to "
                               "%d letters, digits, \"_\", \"-\" and \".\"",
                               label, NGX_HTTP_WEBHOOK_VERIFY_LABEL_MAX);
            return NGX_ERROR;
        }

    } else {
        label->data = ngx_pnalloc(cf->pool, NGX_INT_T_LEN);
        if (label->data == NULL) {
            return NGX_ERROR;
        }

        label->len = ngx_sprintf(label->data, "%ui", wlcf->secrets->nelts + 1)
                     - label->data;
    }

    other = wlcf->secrets->elts;

    for (i = 0; i < wlcf->secrets->nelts; i++) {
        if (other[i]->label.len == label->len
            && ngx_strncmp(other[i]->label.data, label->data, label->len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate secret name \"%V\"", label);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * The secret's bytes, in a copy that postconfiguration cleanses, or the
 * pool's cleanup if the configuration fails before that.
 */

static ngx_int_t
ngx_http_webhook_verify_read_secret(ngx_conf_t *cf,
    ngx_http_webhook_verify_secret_t *s)
{
    size_t               len;
    ngx_pool_cleanup_t  *cln;
    u_char               buf[NGX_EDGE_SECRET_MAX + 1];

    if (ngx_edge_secret_read(cf, &s->file, "webhook secret", buf, &len)
        != NGX_OK)
    {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, len);
    if (cln == NULL) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_ERROR;
    }

    s->raw = cln->data;
    s->len = len;
    ngx_memcpy(s->raw, buf, len);
    OPENSSL_cleanse(buf, sizeof(buf));

    cln->handler = ngx_http_webhook_verify_secret_cleanup;
    cln->data = s;

    return NGX_OK;
}


/*
 * webhook_verify_custom header=NAME [prefix=STRING] [mac=sha1|sha256|sha512]
 *     [encoding=hex|base64] [signed=body|md5_hex|sha256_hex]
 *     [timestamp=NAME]
 */

static char *
ngx_http_webhook_verify_custom(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_verify_loc_conf_t *wlcf = conf;

    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_http_webhook_verify_scheme_t  *s;

    if (wlcf->custom != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    s = ngx_pcalloc(cf->pool, sizeof(ngx_http_webhook_verify_scheme_t));
    if (s == NULL) {
        return NGX_CONF_ERROR;
    }

    s->name = ngx_http_webhook_verify_custom_scheme.name;
    s->mac = NGX_HTTP_WEBHOOK_VERIFY_SHA256;
    s->body_digest = NGX_HTTP_WEBHOOK_VERIFY_RAW_BODY;
    s->format = NGX_HTTP_WEBHOOK_VERIFY_PLAIN;
    s->encoding = NGX_HTTP_WEBHOOK_VERIFY_HEX;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_http_webhook_verify_custom_param(s, &value[i]) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\" in "
                               "\"webhook_verify_custom\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (s->header == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"webhook_verify_custom\" requires \"header=\"");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_webhook_verify_custom_header(cf, s->header) != NGX_OK
        || ngx_http_webhook_verify_custom_header(cf, s->time_header)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    wlcf->custom = s;

    return NGX_CONF_OK;
}


/* one NAME=VALUE of webhook_verify_custom; NGX_DECLINED: not valid */

static ngx_int_t
ngx_http_webhook_verify_custom_param(ngx_http_webhook_verify_scheme_t *s,
    ngx_str_t *param)
{
    u_char                                *v;
    size_t                                 n;
    ngx_http_webhook_verify_custom_t      *p;

    /* configuration tokens end with a NUL: v is a C string */

    v = (u_char *) ngx_strchr(param->data, '=');

    if (v == NULL) {
        return NGX_DECLINED;
    }

    n = v - param->data;

    for (p = ngx_http_webhook_verify_custom_params; p->name.len; p++) {
        if (p->name.len == n
            && ngx_strncmp(p->name.data, param->data, n) == 0)
        {
            return p->set(s, v + 1);
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_webhook_verify_custom_set_header(ngx_http_webhook_verify_scheme_t *s,
    u_char *v)
{
    /* checked once every parameter is read: a later header= replaces it */

    s->header = (char *) v;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_verify_custom_set_timestamp(
    ngx_http_webhook_verify_scheme_t *s, u_char *v)
{
    s->time_header = (char *) v;
    s->timed = 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_verify_custom_set_prefix(ngx_http_webhook_verify_scheme_t *s,
    u_char *v)
{
    if (*v == '\0') {
        return NGX_DECLINED;
    }

    s->prefix = (char *) v;

    return NGX_OK;
}


static ngx_int_t
ngx_http_webhook_verify_custom_set_mac(ngx_http_webhook_verify_scheme_t *s,
    u_char *v)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_WEBHOOK_VERIFY_MACS; i++) {
        if (ngx_strcmp(v, ngx_http_webhook_verify_macs[i].word) == 0) {
            s->mac = i;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_webhook_verify_custom_set_encoding(
    ngx_http_webhook_verify_scheme_t *s, u_char *v)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_WEBHOOK_VERIFY_ENCODINGS; i++) {
        if (ngx_strcmp(v, ngx_http_webhook_verify_encodings[i]) == 0) {
            s->encoding = i;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_webhook_verify_custom_set_signed(ngx_http_webhook_verify_scheme_t *s,
    u_char *v)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_WEBHOOK_VERIFY_DIGESTS; i++) {
        if (ngx_strcmp(v, ngx_http_webhook_verify_digests[i].word) == 0) {
            s->body_digest = i;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* header names: a token of RFC 9110 without the rarely used marks */

static ngx_int_t
ngx_http_webhook_verify_custom_header(ngx_conf_t *cf, const char *name)
{
    ngx_uint_t  i;

    if (name == NULL) {
        return NGX_OK;
    }

    for (i = 0; name[i]; i++) {
        if (!(isalnum((u_char) name[i]) || name[i] == '-' || name[i] == '_'))
        {
            break;
        }
    }

    if (i == 0 || name[i] != '\0') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid header name \"%s\" in "
                           "\"webhook_verify_custom\"", name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * webhook_verify_methods METHOD ...: the methods a location verifies and
 * passes on; any other is answered 405.
 */

static char *
ngx_http_webhook_verify_methods(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_webhook_verify_loc_conf_t *wlcf = conf;

    ngx_str_t           *value;
    ngx_uint_t           i, m;
    ngx_conf_bitmask_t  *names;

    if (wlcf->methods != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    wlcf->methods = 0;

    names = ngx_http_webhook_verify_method_names;
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        /* methods are case-sensitive, as nginx parses them */

        for (m = 0; names[m].name.len; m++) {
            if (value[i].len == names[m].name.len
                && ngx_strncmp(value[i].data, names[m].name.data,
                               value[i].len)
                   == 0)
            {
                break;
            }
        }

        if (names[m].name.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "unknown method \"%V\" in "
                               "\"webhook_verify_methods\" (known: GET, "
                               "HEAD, POST, PUT, PATCH, DELETE, OPTIONS)",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        wlcf->methods |= names[m].mask;
    }

    return NGX_CONF_OK;
}


/* the Allow header of a 405, made once for each verifying location */

static ngx_int_t
ngx_http_webhook_verify_allow(ngx_conf_t *cf,
    ngx_http_webhook_verify_loc_conf_t *conf)
{
    u_char              *p;
    size_t               len;
    ngx_uint_t           m;
    ngx_conf_bitmask_t  *names;

    names = ngx_http_webhook_verify_method_names;
    len = 0;

    for (m = 0; names[m].name.len; m++) {
        if (conf->methods & names[m].mask) {
            len += names[m].name.len + sizeof(", ") - 1;
        }
    }

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    conf->allow.data = p;

    for (m = 0; names[m].name.len; m++) {
        if (conf->methods & names[m].mask) {
            if (p != conf->allow.data) {
                *p++ = ',';
                *p++ = ' ';
            }

            p = ngx_cpymem(p, names[m].name.data, names[m].name.len);
        }
    }

    conf->allow.len = p - conf->allow.data;

    return NGX_OK;
}


static char *
ngx_http_webhook_verify_positive(ngx_conf_t *cf, void *post, void *data)
{
    time_t  *t = data;

    if (*t <= 0) {
        return "must be more than 0";
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_webhook_verify_status_check(ngx_conf_t *cf, void *post, void *data)
{
    ngx_int_t  *status = data;

    if (*status < 400 || *status > 599) {
        return "must be between 400 and 599";
    }

    return NGX_CONF_OK;
}


static void
ngx_http_webhook_verify_secret_cleanup(void *data)
{
    ngx_http_webhook_verify_forget(data);
}


static void
ngx_http_webhook_verify_digest_cleanup(void *data)
{
    ngx_edge_digest_free(data);
}


static void
ngx_http_webhook_verify_pkey_cleanup(void *data)
{
    EVP_PKEY_free(data);
}


static void
ngx_http_webhook_verify_forget(ngx_http_webhook_verify_secret_t *secret)
{
    if (secret->raw) {
        OPENSSL_cleanse(secret->raw, secret->len);
        secret->raw = NULL;
    }
}
