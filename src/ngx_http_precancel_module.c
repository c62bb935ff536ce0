
/*
 * ngx_http_precancel_module: nginx makes the signed Chargebee Retention
 * precancel call for the browser and answers it with a redirect to the
 * session page, so the private key never leaves nginx's configuration.
 *
 * The flow is a content handler that waits on an in-memory subrequest to
 * an internal location holding the user's proxy_pass.  The pieces that
 * know nothing of requests live apart: the JSON body writer and reply
 * reader (ngx_http_precancel_json.c), the signer (ngx_http_precancel_hmac.c)
 * and the redirect URL check (ngx_http_precancel_url.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_http_precancel_hmac.h"
#include "ngx_http_precancel_json.h"
#include "ngx_http_precancel_key.h"
#include "ngx_http_precancel_url.h"


#define NGX_HTTP_PRECANCEL_PATH_MAX_DEPTH  8
#define NGX_HTTP_PRECANCEL_MESSAGE_MAX     256
#define NGX_HTTP_PRECANCEL_TIMESTAMP_LEN   (sizeof("1970-01-01T00:00:00Z") - 1)


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
    NGX_HTTP_PRECANCEL_SUBREQUEST
} ngx_http_precancel_status_e;


typedef struct {
    ngx_str_t                        file;
    ngx_http_precancel_hmac_t       *hmac;
} ngx_http_precancel_key_t;


typedef struct {
    ngx_str_t                        path;
    ngx_array_t                     *names;      /* ngx_str_t */
    ngx_http_complex_value_t         value;
    ngx_uint_t                       node;       /* its leaf in the tree */
} ngx_http_precancel_field_t;


typedef struct {
    ngx_str_t                        uri;
    ngx_str_t                        app_id;
    ngx_str_t                        public_key;
    ngx_http_precancel_key_t        *key;
    ngx_array_t                     *fields;     /* of the field_t */
    ngx_http_complex_value_t        *fallback;
    ngx_regex_t                     *redirect_allow;
    ngx_msec_t                       timeout;

    /* the body template, made at merge for locations with precancel_pass */
    ngx_http_precancel_json_node_t  *nodes;
    ngx_uint_t                       nnodes;
    ngx_uint_t                       timestamp_node;

    /* where precancel_pass stands, for errors found at merge */
    ngx_str_t                        pass_file;
    ngx_uint_t                       pass_line;
} ngx_http_precancel_loc_conf_t;


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

    unsigned                         done:1;
    unsigned                         too_big:1;
    unsigned                         complete:1;
    unsigned                         expired:1;
    ngx_int_t                        sub_rc;
    ngx_uint_t                       sub_status;
    ngx_str_t                        sub_encoding;
} ngx_http_precancel_ctx_t;


/* a node of the trie the body template is made from */
typedef struct {
    ngx_str_t                        key;
    ngx_uint_t                       first;
    ngx_uint_t                       last;
    ngx_uint_t                       next;
    ngx_uint_t                       pos;
} ngx_http_precancel_trie_t;


typedef struct {
    ngx_str_t                        name;
    ngx_str_t                        lowcase;
    ngx_uint_t                       hash;
} ngx_http_precancel_header_t;


static ngx_int_t ngx_http_precancel_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_precancel_start(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx);
static ngx_int_t ngx_http_precancel_build_body(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx,
    ngx_str_t *body);
static u_char *ngx_http_precancel_timestamp(void);
static ngx_http_headers_in_t *ngx_http_precancel_headers_in(
    ngx_http_request_t *r, ngx_str_t *body, ngx_str_t *signature,
    ngx_str_t *public_key);
static ngx_int_t ngx_http_precancel_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc);
static ngx_http_precancel_ctx_t *ngx_http_precancel_provider_ctx(
    ngx_http_request_t *r);
static void ngx_http_precancel_deadline_handler(ngx_event_t *ev);
static void ngx_http_precancel_deadline_cleanup(void *data);
static void ngx_http_precancel_wake(ngx_http_request_t *r);
static void ngx_http_precancel_read_reply(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx);
static ngx_int_t ngx_http_precancel_answer(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx);
static ngx_int_t ngx_http_precancel_fail(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_uint_t status, const char *fmt, ...);
static ngx_int_t ngx_http_precancel_quote_message(ngx_pool_t *pool,
    ngx_str_t *dst, const u_char *src, size_t len);
static ngx_int_t ngx_http_precancel_add_header(ngx_http_request_t *r,
    char *name, char *value);

static ngx_int_t ngx_http_precancel_redirect_guard(ngx_http_request_t *r);
static ngx_int_t ngx_http_precancel_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_precancel_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);

static ngx_http_precancel_ctx_t *ngx_http_precancel_var_ctx(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_precancel_status_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_precancel_error_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

static ngx_int_t ngx_http_precancel_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_precancel_init(ngx_conf_t *cf);
static void *ngx_http_precancel_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_precancel_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_precancel_build_tree(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *plcf);
static char *ngx_http_precancel_pass(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_precancel_string(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_precancel_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_precancel_field(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_precancel_redirect_allow(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_precancel_timeout_check(ngx_conf_t *cf, void *post,
    void *data);


static ngx_conf_post_handler_pt  ngx_http_precancel_timeout_post =
    ngx_http_precancel_timeout_check;


static ngx_command_t  ngx_http_precancel_commands[] = {

    { ngx_string("precancel_pass"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_pass,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_app_id"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_string,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_precancel_loc_conf_t, app_id),
      NULL },

    { ngx_string("precancel_public_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_string,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_precancel_loc_conf_t, public_key),
      NULL },

    { ngx_string("precancel_private_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_precancel_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("precancel_field"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_http_precancel_field,
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

    { ngx_string("precancel_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_precancel_loc_conf_t, timeout),
      &ngx_http_precancel_timeout_post },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_precancel_module_ctx = {
    ngx_http_precancel_add_variables,      /* preconfiguration */
    ngx_http_precancel_init,               /* postconfiguration */

    NULL,                                  /* create main configuration */
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
      ngx_http_precancel_error_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_str_t  ngx_http_precancel_status_names[] = {
    ngx_null_string,
    ngx_string("redirected"),
    ngx_string("bad_field"),
    ngx_string("upstream_failed"),
    ngx_string("upstream_timeout"),
    ngx_string("upstream_status"),
    ngx_string("rejected"),
    ngx_string("bad_reply"),
    ngx_string("bad_url"),
    ngx_string("internal"),
    ngx_string("deadline"),
    ngx_string("subrequest")
};


/* the only headers the provider gets; hashes are filled in at init */
static ngx_http_precancel_header_t  ngx_http_precancel_headers[] = {
    { ngx_string("Content-Type"), ngx_string("content-type"), 0 },
    { ngx_string("Signature"), ngx_string("signature"), 0 },
    { ngx_string("Signature-Public-Key"), ngx_string("signature-public-key"),
      0 }
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_precancel_post = ngx_string("POST");
static ngx_str_t  ngx_http_precancel_json_type =
    ngx_string("application/json");


static ngx_int_t
ngx_http_precancel_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_pool_cleanup_t             *cln;
    ngx_http_precancel_ctx_t       *ctx;
    ngx_http_precancel_loc_conf_t  *plcf;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "precancel handler");

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_POST))) {
        if (ngx_http_precancel_add_header(r, "Allow", "GET, POST")
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    /* the browser's body is never forwarded: nginx writes the one sent */

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_precancel_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_precancel_module);

    /*
     * Only the browser's own request can send the browser somewhere: the
     * 302 of a subrequest (mirror, SSI include, auth_request) reaches
     * nobody.  And nginx never finalizes an in-memory subrequest made by
     * a request that is not the connection's active one (a background
     * mirror), which would keep the connection forever.
     */

    if (r != r->main) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_SUBREQUEST,
                                       "precancel_pass runs in the "
                                       "browser's request only, not in a "
                                       "subrequest");
        return ngx_http_precancel_answer(r, ctx);
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_precancel_module);

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_precancel_start(r, plcf, ctx) != NGX_OK) {
        return ngx_http_precancel_answer(r, ctx);
    }

    /* the timer lives in the request's pool, and so must not outlive it */

    ctx->deadline.handler = ngx_http_precancel_deadline_handler;
    ctx->deadline.data = r;
    ctx->deadline.log = r->connection->log;

    ngx_add_timer(&ctx->deadline, plcf->timeout);

    cln->handler = ngx_http_precancel_deadline_cleanup;
    cln->data = ctx;

    /*
     * The content phase left an empty write handler: wake up when the
     * subrequest is done.  NGX_DONE gives up a reference to the request,
     * so one is taken for the answer still to come.
     */

    r->write_event_handler = ngx_http_precancel_wake;
    r->main->count++;

    return NGX_DONE;
}


static ngx_int_t
ngx_http_precancel_start(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx)
{
    const char                  *failed;
    ngx_buf_t                   *b;
    ngx_str_t                    body, signature;
    ngx_chain_t                 *cl;
    ngx_http_request_t          *sr;
    ngx_http_headers_in_t       *headers;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    ngx_str_null(&body);

    if (ngx_http_precancel_build_body(r, plcf, ctx, &body) != NGX_OK) {
        return NGX_ERROR;
    }

    signature.len = ngx_http_precancel_hmac_hex_len(plcf->key->hmac);
    signature.data = ngx_pnalloc(r->pool, signature.len);
    if (signature.data == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    if (ngx_http_precancel_hmac_hex(plcf->key->hmac, body.data, body.len,
                                    signature.data, &failed)
        != 0)
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "%s failed", failed);
    }

    /* all that can fail comes before the subrequest is posted */

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);
    headers = ngx_http_precancel_headers_in(r, &body, &signature,
                                            &plcf->public_key);

    if (ps == NULL || rb == NULL || b == NULL || cl == NULL
        || headers == NULL)
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    ps->handler = ngx_http_precancel_done;
    ps->data = ctx;

    b->start = body.data;
    b->pos = body.data;
    b->last = body.data + body.len;
    b->end = b->last;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;

    rb->bufs = cl;
    rb->buf = b;

    if (ngx_http_subrequest(r, &plcf->uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "subrequest to \"%V\" failed",
                                       &plcf->uri);
    }

    sr->method = NGX_HTTP_POST;
    sr->method_name = ngx_http_precancel_post;
    sr->request_body = rb;
    sr->headers_in = *headers;

    /*
     * nginx copies the parent's discard_body into a subrequest, and the
     * active request (the subrequest, from now on) then reads what is
     * left of the browser's body, counting it against its own
     * headers_in: the signed JSON's Content-Length.  The browser's body
     * would end early, and its rest would be read as the next request on
     * the connection.  The browser's request alone discards its body;
     * ngx_http_precancel_wake() resumes that once the subrequest is done.
     */

    sr->discard_body = 0;

    /* the filters below know the subrequest by this */

    ctx->sr = sr;
    ngx_http_set_ctx(sr, ctx, ngx_http_precancel_module);

    /* the body holds no secret; the signature is left out all the same */

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "precancel subrequest \"%V\", precancel body: %V",
                   &plcf->uri, &body);

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_build_body(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx,
    ngx_str_t *body)
{
    u_char                          *p, *timestamp;
    size_t                           len;
    ngx_str_t                        value;
    ngx_uint_t                       i;
    ngx_http_precancel_field_t      *field;
    ngx_http_precancel_json_node_t  *nodes, *node;

    nodes = ngx_palloc(r->pool,
                       plcf->nnodes * sizeof(ngx_http_precancel_json_node_t));
    if (nodes == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    /* a copy of the template; children pointers are rebased into it */

    ngx_memcpy(nodes, plcf->nodes,
               plcf->nnodes * sizeof(ngx_http_precancel_json_node_t));

    for (i = 0; i < plcf->nnodes; i++) {
        if (nodes[i].children) {
            nodes[i].children = nodes + (nodes[i].children - plcf->nodes);
        }
    }

    field = plcf->fields ? plcf->fields->elts : NULL;

    for (i = 0; plcf->fields && i < plcf->fields->nelts; i++) {

        if (ngx_http_complex_value(r, &field[i].value, &value) != NGX_OK) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "field \"%V\" could not be "
                                           "evaluated", &field[i].path);
        }

        if (!ngx_http_precancel_utf8_valid(value.data, value.len)) {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_BAD_FIELD,
                                           "field \"%V\" is not valid UTF-8",
                                           &field[i].path);
        }

        node = &nodes[field[i].node];
        node->value = value.data;
        node->value_len = value.len;
    }

    timestamp = ngx_http_precancel_timestamp();

    nodes[plcf->timestamp_node].value = timestamp;
    nodes[plcf->timestamp_node].value_len = NGX_HTTP_PRECANCEL_TIMESTAMP_LEN;

    len = ngx_http_precancel_json_len(nodes);

    body->data = ngx_pnalloc(r->pool, len);
    if (body->data == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    p = ngx_http_precancel_json_write(body->data, nodes);

    if ((size_t) (p - body->data) != len) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "body length mismatch %uz != %uz",
                                       (size_t) (p - body->data), len);
    }

    body->len = len;

    return NGX_OK;
}


/*
 * The ISO8601 UTC time of the request, formatted once a second: a worker
 * is single-threaded, and the body copies the bytes before the next call.
 */

static u_char *
ngx_http_precancel_timestamp(void)
{
    time_t     now;
    ngx_tm_t   tm;

    static time_t  last = -1;
    static u_char  timestamp[NGX_HTTP_PRECANCEL_TIMESTAMP_LEN + 1];

    now = ngx_time();

    if (now != last) {
        ngx_gmtime(now, &tm);

        (void) ngx_sprintf(timestamp, "%4d-%02d-%02dT%02d:%02d:%02dZ",
                           tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                           tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
        last = now;
    }

    return timestamp;
}


/*
 * The subrequest gets headers of its own instead of a copy of the
 * browser's: no Cookie, no Authorization, nothing the customer sent.
 */

static ngx_http_headers_in_t *
ngx_http_precancel_headers_in(ngx_http_request_t *r, ngx_str_t *body,
    ngx_str_t *signature, ngx_str_t *public_key)
{
    ngx_str_t                    *values[3];
    ngx_uint_t                    i;
    ngx_table_elt_t              *h;
    ngx_http_headers_in_t        *headers;
    ngx_http_precancel_header_t  *hd;

    headers = ngx_pcalloc(r->pool, sizeof(ngx_http_headers_in_t));
    if (headers == NULL) {
        return NULL;
    }

    /* $host in the provider's location stays the browser's host */

    headers->server = r->headers_in.server;
    headers->content_length_n = body->len;

    if (ngx_list_init(&headers->headers, r->pool, 3, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NULL;
    }

    values[0] = &ngx_http_precancel_json_type;
    values[1] = signature;
    values[2] = public_key;

    hd = ngx_http_precancel_headers;

    for (i = 0; i < 3; i++) {
        h = ngx_list_push(&headers->headers);
        if (h == NULL) {
            return NULL;
        }

        h->key = hd[i].name;
        h->lowcase_key = hd[i].lowcase.data;
        h->hash = hd[i].hash;
        h->value = *values[i];
    }

    headers->content_type = headers->headers.part.elts;

    return headers;
}


static ngx_int_t
ngx_http_precancel_done(ngx_http_request_t *r, void *data, ngx_int_t rc)
{
    ngx_http_precancel_ctx_t  *ctx = data;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "precancel subrequest done rc:%i status:%ui done:%ui",
                   rc, r->headers_out.status, (ngx_uint_t) ctx->done);

    if (r->connection->error
        || rc == NGX_HTTP_REQUEST_TIME_OUT
        || rc == NGX_HTTP_CLIENT_CLOSED_REQUEST)
    {
        /* the browser is gone: nobody is left to answer */
        return rc;
    }

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }

    if (!ctx->done) {
        ctx->done = 1;
        ctx->sub_rc = rc;
        ctx->sub_status = r->headers_out.status;
        ctx->reply = r->out ? r->out->buf : NULL;

        if (r->headers_out.content_encoding) {
            ctx->sub_encoding = r->headers_out.content_encoding->value;
        }
    }

    /*
     * An error would make nginx terminate the main request (no answer at
     * all) or write an error page into the reply buffer; the parent gives
     * the defined answer instead.
     */

    if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return NGX_OK;
    }

    return rc;
}


/*
 * The ctx of the module's own provider subrequest, found through its
 * post_subrequest, which (unlike the module contexts) survives an
 * internal redirect.
 */

static ngx_http_precancel_ctx_t *
ngx_http_precancel_provider_ctx(ngx_http_request_t *r)
{
    if (r->post_subrequest == NULL
        || r->post_subrequest->handler != ngx_http_precancel_done)
    {
        return NULL;
    }

    return r->post_subrequest->data;
}


/*
 * precancel_timeout passed: the provider's connection is closed by the
 * upstream's own cleanup, the subrequest ends as a failure, and the
 * browser gets the fallback at once.
 */

static void
ngx_http_precancel_deadline_handler(ngx_event_t *ev)
{
    ngx_connection_t          *c;
    ngx_http_request_t        *r, *sr;
    ngx_http_upstream_t       *u;
    ngx_http_precancel_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_precancel_module);
    sr = ctx->sr;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "precancel deadline, done:%ui", (ngx_uint_t) ctx->done);

    if (ctx->done) {
        return;
    }

    ctx->expired = 1;

    u = sr->upstream;

    if (u == NULL || u->cleanup == NULL) {
        /*
         * The subrequest is not (or no longer) in an upstream's hands,
         * e.g. limit_req delays it: it cannot be cut short cleanly, and
         * its end, whatever it is, gives the fallback.
         */

        ngx_log_error(NGX_LOG_WARN, c->log, 0,
                      "precancel_timeout passed before the provider "
                      "subrequest reached the provider, waiting for it");
        return;
    }

    /*
     * The cleanup finalizes the subrequest with NGX_DONE, which gives
     * back a reference it does not own here: one is taken for it.
     */

    r->main->count++;

    (*u->cleanup)(sr);

    ngx_http_finalize_request(sr, NGX_HTTP_GATEWAY_TIME_OUT);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_precancel_deadline_cleanup(void *data)
{
    ngx_http_precancel_ctx_t  *ctx = data;

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }
}


static void
ngx_http_precancel_wake(ngx_http_request_t *r)
{
    ngx_http_precancel_ctx_t       *ctx;
    ngx_http_precancel_loc_conf_t  *plcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_precancel_module);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "precancel wake, done:%ui",
                   ctx ? (ngx_uint_t) ctx->done : 0);

    if (ctx == NULL || !ctx->done) {
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_precancel_module);

    ngx_http_precancel_read_reply(r, plcf, ctx);

    /*
     * What the browser sent of its body while the subrequest was the
     * connection's active request is still in the socket, and with edge
     * triggered events no new event announces it: the discarding that
     * finalizing sets up is run once more at once.
     */

    if (r->discard_body && r->connection->read->ready) {
        ngx_post_event(r->connection->read, &ngx_posted_events);
    }

    ngx_http_finalize_request(r, ngx_http_precancel_answer(r, ctx));
}


static void
ngx_http_precancel_read_reply(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx)
{
    u_char                          *scratch;
    size_t                           len, err_off;
    ngx_str_t                        message, url;
    ngx_int_t                        n;
    ngx_uint_t                       not_2xx;
    const char                      *err;
    ngx_http_precancel_json_want_t   wants[3];

    enum { WANT_VALID = 0, WANT_MESSAGE, WANT_URL };

    if (ctx->expired) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_DEADLINE,
                                       "provider did not answer within "
                                       "precancel_timeout (%M ms)",
                                       plcf->timeout);
        return;
    }

    if (ctx->redirect.len) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply redirected the "
                                       "subrequest internally to %V",
                                       &ctx->redirect);
        return;
    }

    if (ctx->sub_rc == NGX_HTTP_GATEWAY_TIME_OUT) {
        (void) ngx_http_precancel_fail(r, ctx,
                                       NGX_HTTP_PRECANCEL_UPSTREAM_TIMEOUT,
                                       "provider timed out");
        return;
    }

    if (ctx->sub_rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        (void) ngx_http_precancel_fail(r, ctx,
                                       NGX_HTTP_PRECANCEL_UPSTREAM_FAILED,
                                       "provider request to \"%V\" failed "
                                       "with %i", &plcf->uri, ctx->sub_rc);
        return;
    }

    if (ctx->too_big) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply is larger than "
                                       "subrequest_output_buffer_size (%uz)",
                                       ctx->reply_max);
        return;
    }

    if (ctx->sub_rc == NGX_ERROR || !ctx->complete) {
        (void) ngx_http_precancel_fail(r, ctx,
                                       NGX_HTTP_PRECANCEL_UPSTREAM_FAILED,
                                       "provider connection failed while "
                                       "reading the reply");
        return;
    }

    if (ctx->sub_encoding.len
        && !(ctx->sub_encoding.len == 8
             && ngx_strncasecmp(ctx->sub_encoding.data,
                                (u_char *) "identity", 8) == 0))
    {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply has Content-Encoding "
                                       "\"%V\"", &ctx->sub_encoding);
        return;
    }

    len = ctx->reply ? (size_t) (ctx->reply->last - ctx->reply->pos) : 0;

    wants[WANT_VALID].path = "valid";
    wants[WANT_MESSAGE].path = "message";
    wants[WANT_URL].path = "url";

    err = "empty reply";
    err_off = 0;

    if (len) {
        scratch = ngx_pnalloc(r->pool, len);
        if (scratch == NULL) {
            (void) ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "out of memory");
            return;
        }

        err = ngx_http_precancel_json_lookup(ctx->reply->pos, len, wants, 3,
                                             scratch, &err_off);
    }

    ngx_str_null(&message);

    not_2xx = ctx->sub_status < NGX_HTTP_OK
              || ctx->sub_status >= NGX_HTTP_SPECIAL_RESPONSE;

    /* the provider's message is quoted only for a failure's reason */

    if (err == NULL
        && wants[WANT_MESSAGE].type == NGX_HTTP_PRECANCEL_JSON_STRING
        && (not_2xx
            || wants[WANT_VALID].type != NGX_HTTP_PRECANCEL_JSON_TRUE))
    {
        if (ngx_http_precancel_quote_message(r->pool, &message,
                                             wants[WANT_MESSAGE].str,
                                             wants[WANT_MESSAGE].len)
            != NGX_OK)
        {
            (void) ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "out of memory");
            return;
        }
    }

    if (not_2xx) {
        if (err == NULL
            && wants[WANT_VALID].type == NGX_HTTP_PRECANCEL_JSON_FALSE)
        {
            n = NGX_HTTP_PRECANCEL_REJECTED;

        } else {
            n = NGX_HTTP_PRECANCEL_UPSTREAM_STATUS;
        }

        (void) ngx_http_precancel_fail(r, ctx, n,
                                       "provider answered %ui%s%V",
                                       ctx->sub_status,
                                       message.len ? ": " : "", &message);
        return;
    }

    if (err) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply is not valid JSON: "
                                       "%s at byte %uz", err, err_off);
        return;
    }

    if (wants[WANT_VALID].type == NGX_HTTP_PRECANCEL_JSON_FALSE) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_REJECTED,
                                       "provider answered %ui with "
                                       "\"valid\": false%s%V",
                                       ctx->sub_status,
                                       message.len ? ": " : "", &message);
        return;
    }

    if (wants[WANT_VALID].type != NGX_HTTP_PRECANCEL_JSON_TRUE) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply has no boolean "
                                       "\"valid\"");
        return;
    }

    /* the provider's clients have used both "url" and "message" */

    if (wants[WANT_URL].type != NGX_HTTP_PRECANCEL_JSON_ABSENT) {
        n = WANT_URL;

    } else {
        n = WANT_MESSAGE;
    }

    if (wants[n].type != NGX_HTTP_PRECANCEL_JSON_STRING) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply has no session URL "
                                       "string in \"%s\"", wants[n].path);
        return;
    }

    url.data = (u_char *) wants[n].str;
    url.len = wants[n].len;

    err = ngx_http_precancel_url_check(url.data, url.len);

    if (err) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_URL,
                                       "session URL rejected: %s", err);
        return;
    }

    if (plcf->redirect_allow) {
        n = ngx_regex_exec(plcf->redirect_allow, &url, NULL, 0);

        if (n == NGX_REGEX_NO_MATCHED) {
            (void) ngx_http_precancel_fail(r, ctx,
                                        NGX_HTTP_PRECANCEL_BAD_URL,
                                        "session URL \"%V\" does not match "
                                        "precancel_redirect_allow", &url);
            return;
        }

        if (n < 0) {
            (void) ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           ngx_regex_exec_n " failed: %i",
                                           n);
            return;
        }
    }

    ctx->status = NGX_HTTP_PRECANCEL_REDIRECTED;
    ctx->url = url;
}


static ngx_int_t
ngx_http_precancel_answer(ngx_http_request_t *r, ngx_http_precancel_ctx_t *ctx)
{
    ngx_http_complex_value_t        cv;
    ngx_http_precancel_loc_conf_t  *plcf;

    ngx_memzero(&cv, sizeof(ngx_http_complex_value_t));

    if (ctx->status == NGX_HTTP_PRECANCEL_REDIRECTED) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "precancel redirect to \"%V\"", &ctx->url);

        cv.value = ctx->url;

    } else {
        plcf = ngx_http_get_module_loc_conf(r, ngx_http_precancel_module);

        if (plcf->fallback
            && ngx_http_complex_value(r, plcf->fallback, &cv.value) != NGX_OK)
        {
            ngx_str_null(&cv.value);
        }

        if (cv.value.len == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "precancel failed: %V, answering 502 "
                          "(no precancel_fallback)", &ctx->error);

            return NGX_HTTP_BAD_GATEWAY;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "precancel failed: %V, redirecting to fallback \"%V\"",
                      &ctx->error, &cv.value);
    }

    /* a shared cache must never hand one customer's redirect to another */

    if (ngx_http_precancel_add_header(r, "Cache-Control", "no-store")
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_send_response(r, NGX_HTTP_MOVED_TEMPORARILY, NULL, &cv);
}


/* records why the precancel could not be made; always returns NGX_ERROR */

static ngx_int_t
ngx_http_precancel_fail(ngx_http_request_t *r, ngx_http_precancel_ctx_t *ctx,
    ngx_uint_t status, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    buf[NGX_MAX_ERROR_STR];

    va_start(args, fmt);
    p = ngx_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    ctx->status = status;
    ctx->error.len = p - buf;
    ctx->error.data = ngx_pnalloc(r->pool, ctx->error.len);

    if (ctx->error.data == NULL) {
        ngx_str_set(&ctx->error, "out of memory");
        return NGX_ERROR;
    }

    ngx_memcpy(ctx->error.data, buf, ctx->error.len);

    return NGX_ERROR;
}


/*
 * The provider's message goes to the error log and $precancel_error:
 * it is quoted, cut to a sane length, and control characters, which could
 * forge a log line, are replaced.
 */

static ngx_int_t
ngx_http_precancel_quote_message(ngx_pool_t *pool, ngx_str_t *dst,
    const u_char *src, size_t len)
{
    u_char  *p;
    size_t   i;

    if (len > NGX_HTTP_PRECANCEL_MESSAGE_MAX) {
        len = NGX_HTTP_PRECANCEL_MESSAGE_MAX;

        /* do not cut a UTF-8 sequence in two */
        while (len && (src[len] & 0xc0) == 0x80) {
            len--;
        }
    }

    p = ngx_pnalloc(pool, len + 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    dst->data = p;
    dst->len = len + 2;

    *p++ = '"';

    for (i = 0; i < len; i++) {
        *p++ = (src[i] < 0x20 || src[i] == 0x7f) ? '?' : src[i];
    }

    *p = '"';

    return NGX_OK;
}


static ngx_int_t
ngx_http_precancel_add_header(ngx_http_request_t *r, char *name, char *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.len = ngx_strlen(name);
    h->key.data = (u_char *) name;
    h->value.len = ngx_strlen(value);
    h->value.data = (u_char *) value;

    return NGX_OK;
}


/*
 * A reply with X-Accel-Redirect (or an error_page) in the provider's
 * location would run another location as part of the provider call, with
 * the signature headers.  Internal redirects and named locations clear
 * the module contexts, and both go through the rewrite phases: a provider
 * subrequest seen there without its context has been redirected, and
 * ends before the new location does anything.
 */

static ngx_int_t
ngx_http_precancel_redirect_guard(ngx_http_request_t *r)
{
    ngx_str_t                 *to;
    ngx_http_precancel_ctx_t  *ctx;
    ngx_http_core_loc_conf_t  *clcf;

    ctx = ngx_http_precancel_provider_ctx(r);

    if (ctx == NULL
        || ngx_http_get_module_ctx(r, ngx_http_precancel_module) == ctx)
    {
        return NGX_DECLINED;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    to = clcf->named ? &clcf->name : &r->uri;

    if (ngx_http_precancel_quote_message(r->pool, &ctx->redirect, to->data,
                                         to->len)
        != NGX_OK)
    {
        ngx_str_set(&ctx->redirect, "(out of memory)");
    }

    return NGX_HTTP_BAD_GATEWAY;
}


/*
 * The reply is kept in memory by the postpone filter, which fails when it
 * is larger than subrequest_output_buffer_size; nginx then marks the
 * browser's connection as broken and the customer gets no answer at all.
 * These filters stand in front of it for the module's own subrequest:
 * they let a reply within the size through, and swallow a larger one,
 * which then becomes an ordinary failure with a fallback.
 */

static ngx_int_t
ngx_http_precancel_header_filter(ngx_http_request_t *r)
{
    ngx_http_precancel_ctx_t  *ctx;
    ngx_http_core_loc_conf_t  *clcf;

    ctx = ngx_http_precancel_provider_ctx(r);

    if (ctx == NULL) {
        return ngx_http_next_header_filter(r);
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ctx->reply_max = clcf->subrequest_output_buffer_size;

    if (r->headers_out.content_length_n > (off_t) ctx->reply_max) {
        ctx->too_big = 1;
        r->headers_out.content_length_n = -1;
    }

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_precancel_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    off_t                      size;
    ngx_chain_t               *cl;
    ngx_http_precancel_ctx_t  *ctx;

    ctx = ngx_http_precancel_provider_ctx(r);

    if (ctx == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    /*
     * A reply that ends early (the provider closes after the headers)
     * reaches the done handler as a success with half a body: only a
     * reply seen to its last buffer is complete.
     */

    size = 0;

    for (cl = in; cl; cl = cl->next) {
        size += ngx_buf_size(cl->buf);

        if (cl->buf->last_buf || cl->buf->last_in_chain) {
            ctx->complete = 1;
        }
    }

    if (!ctx->too_big) {

        if (ctx->reply_size + size <= ctx->reply_max) {
            ctx->reply_size += size;
            return ngx_http_next_body_filter(r, in);
        }

        ctx->too_big = 1;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "precancel reply too big, discarded");

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;

        if (cl->buf->in_file) {
            cl->buf->file_pos = cl->buf->file_last;
        }
    }

    return NGX_OK;
}


/*
 * The request's own precancel: the browser's request, its provider
 * subrequest, or a subrequest that was refused; else the browser's one
 * (an access log of a location that made a subrequest of its own).
 */

static ngx_http_precancel_ctx_t *
ngx_http_precancel_var_ctx(ngx_http_request_t *r)
{
    ngx_http_precancel_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_precancel_module);

    if (ctx == NULL && r != r->main) {
        ctx = ngx_http_get_module_ctx(r->main, ngx_http_precancel_module);
    }

    return ctx;
}


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


static ngx_int_t
ngx_http_precancel_error_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_precancel_ctx_t  *ctx;

    ctx = ngx_http_precancel_var_ctx(r);

    if (ctx == NULL || ctx->error.len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = ctx->error.len;
    v->data = ctx->error.data;
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
    ngx_uint_t                  i;
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /* a redirect to a URI passes the first, a named location the second */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_SERVER_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_precancel_redirect_guard;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_precancel_redirect_guard;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_precancel_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_precancel_body_filter;

    for (i = 0; i < 3; i++) {
        ngx_http_precancel_headers[i].hash =
            ngx_hash_key(ngx_http_precancel_headers[i].lowcase.data,
                         ngx_http_precancel_headers[i].lowcase.len);
    }

    return NGX_OK;
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
     *     conf->app_id = { 0, NULL };
     *     conf->public_key = { 0, NULL };
     *     conf->nodes = NULL;
     *     conf->nnodes = 0;
     *     conf->timestamp_node = 0;
     *     conf->pass_file = { 0, NULL };
     *     conf->pass_line = 0;
     */

    conf->key = NGX_CONF_UNSET_PTR;
    conf->fields = NGX_CONF_UNSET_PTR;
    conf->fallback = NGX_CONF_UNSET_PTR;
    conf->redirect_allow = NGX_CONF_UNSET_PTR;
    conf->timeout = NGX_CONF_UNSET_MSEC;

    return conf;
}


static char *
ngx_http_precancel_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_precancel_loc_conf_t *prev = parent;
    ngx_http_precancel_loc_conf_t *conf = child;

    const char  *missing;

    ngx_conf_merge_str_value(conf->app_id, prev->app_id, "");
    ngx_conf_merge_str_value(conf->public_key, prev->public_key, "");
    ngx_conf_merge_ptr_value(conf->key, prev->key, NULL);
    ngx_conf_merge_ptr_value(conf->fields, prev->fields, NULL);
    ngx_conf_merge_ptr_value(conf->fallback, prev->fallback, NULL);
    ngx_conf_merge_ptr_value(conf->redirect_allow, prev->redirect_allow,
                             NULL);
    ngx_conf_merge_msec_value(conf->timeout, prev->timeout, 5000);

    if (conf->uri.len == 0) {
        return NGX_CONF_OK;
    }

    if (conf->app_id.len == 0) {
        missing = "precancel_app_id";

    } else if (conf->public_key.len == 0) {
        missing = "precancel_public_key";

    } else if (conf->key == NULL) {
        missing = "precancel_private_key_file";

    } else {
        return ngx_http_precancel_build_tree(cf, conf);
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"precancel_pass\" requires \"%s\" in %V:%ui",
                  missing, &conf->pass_file, conf->pass_line);

    return NGX_CONF_ERROR;
}


/*
 * Lays the body out once per location: the root's children are app_id,
 * the fields (paths sharing a prefix share one object) and timestamp,
 * in that order.  A linked trie is made first; it is then laid out
 * breadth first, so that the children of every object are one run of the
 * array, as the JSON writer wants them.
 */

static char *
ngx_http_precancel_build_tree(ngx_conf_t *cf,
    ngx_http_precancel_loc_conf_t *plcf)
{
    ngx_str_t                       *names;
    ngx_uint_t                       i, j, n, cur, c, head, tail, nfields;
    ngx_uint_t                      *leaf, *order;
    ngx_http_precancel_trie_t       *trie;
    ngx_http_precancel_field_t      *field;
    ngx_http_precancel_json_node_t  *nodes;

    static ngx_str_t  app_id = ngx_string("app_id");
    static ngx_str_t  timestamp = ngx_string("timestamp");

    nfields = plcf->fields ? plcf->fields->nelts : 0;
    field = nfields ? plcf->fields->elts : NULL;

    /* at most: the root, app_id, timestamp, and every name of every path */

    n = 3;

    for (i = 0; i < nfields; i++) {
        n += field[i].names->nelts;
    }

    trie = ngx_pcalloc(cf->pool, n * sizeof(ngx_http_precancel_trie_t));
    leaf = ngx_palloc(cf->pool, (nfields + 2) * sizeof(ngx_uint_t));
    order = ngx_palloc(cf->pool, n * sizeof(ngx_uint_t));

    if (trie == NULL || leaf == NULL || order == NULL) {
        return NGX_CONF_ERROR;
    }

    /* trie[0] is the root, so 0 also means "no child" and "no sibling" */

    tail = 1;

    for (i = 0; i < nfields + 2; i++) {

        if (i == 0) {
            names = &app_id;
            j = 1;

        } else if (i == nfields + 1) {
            names = &timestamp;
            j = 1;

        } else {
            names = field[i - 1].names->elts;
            j = field[i - 1].names->nelts;
        }

        cur = 0;

        for (n = 0; n < j; n++) {

            for (c = trie[cur].first; c; c = trie[c].next) {
                if (trie[c].key.len == names[n].len
                    && ngx_strncmp(trie[c].key.data, names[n].data,
                                   names[n].len) == 0)
                {
                    break;
                }
            }

            if (c == 0) {
                c = tail++;
                trie[c].key = names[n];

                if (trie[cur].last) {
                    trie[trie[cur].last].next = c;

                } else {
                    trie[cur].first = c;
                }

                trie[cur].last = c;
            }

            cur = c;
        }

        leaf[i] = cur;
    }

    nodes = ngx_pcalloc(cf->pool,
                        tail * sizeof(ngx_http_precancel_json_node_t));
    if (nodes == NULL) {
        return NGX_CONF_ERROR;
    }

    order[0] = 0;
    head = 0;
    n = 1;

    while (head < n) {
        cur = order[head];
        trie[cur].pos = head;
        head++;

        nodes[trie[cur].pos].key = trie[cur].key.data;
        nodes[trie[cur].pos].key_len = trie[cur].key.len;

        if (trie[cur].first == 0) {
            continue;
        }

        nodes[trie[cur].pos].children = &nodes[n];

        for (c = trie[cur].first; c; c = trie[c].next) {
            order[n++] = c;
            nodes[trie[cur].pos].nchildren++;
        }
    }

    nodes[trie[leaf[0]].pos].value = plcf->app_id.data;
    nodes[trie[leaf[0]].pos].value_len = plcf->app_id.len;

    for (i = 0; i < nfields; i++) {
        field[i].node = trie[leaf[i + 1]].pos;
    }

    plcf->timestamp_node = trie[leaf[nfields + 1]].pos;
    plcf->nodes = nodes;
    plcf->nnodes = tail;

    return NGX_CONF_OK;
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

static char *
ngx_http_precancel_string(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
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


static char *
ngx_http_precancel_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_precancel_loc_conf_t *plcf = conf;

    size_t                     len;
    ngx_str_t                 *value;
    ngx_http_precancel_key_t  *key;
    u_char                     buf[NGX_HTTP_PRECANCEL_KEY_MAX + 1];

    static const char          what[] = "precancel private key";

    if (plcf->key != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    key = ngx_pcalloc(cf->pool, sizeof(ngx_http_precancel_key_t));
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    key->file = value[1];

    if (ngx_http_precancel_key_read(cf, &key->file, what, buf, &len)
        != NGX_OK)
    {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    key->hmac = ngx_http_precancel_key_hmac(cf, "SHA512", buf, len, what,
                                            &key->file);
    if (key->hmac == NULL) {
        return NGX_CONF_ERROR;
    }

    plcf->key = key;

    return NGX_CONF_OK;
}


static char *
ngx_http_precancel_field(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_precancel_loc_conf_t *plcf = conf;

    u_char                            *p, *end, *start;
    ngx_str_t                         *value, *name, *a, *b;
    ngx_uint_t                         i, j, n;
    ngx_http_precancel_field_t        *field, *other;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (plcf->fields == NGX_CONF_UNSET_PTR) {
        plcf->fields = ngx_array_create(cf->pool, 4,
                                        sizeof(ngx_http_precancel_field_t));
        if (plcf->fields == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    field = ngx_array_push(plcf->fields);
    if (field == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(field, sizeof(ngx_http_precancel_field_t));

    field->path = value[1];

    field->names = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
    if (field->names == NULL) {
        return NGX_CONF_ERROR;
    }

    /* names of [A-Za-z0-9_-], separated by single dots */

    p = value[1].data;
    end = p + value[1].len;

    for ( ;; ) {
        start = p;

        while (p < end
               && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                   || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
        {
            p++;
        }

        if (p == start || (p < end && *p != '.')
            || field->names->nelts == NGX_HTTP_PRECANCEL_PATH_MAX_DEPTH)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid precancel_field path \"%V\": "
                               "expected up to %d names of letters, "
                               "digits, \"_\" and \"-\" joined by \".\"",
                               &value[1], NGX_HTTP_PRECANCEL_PATH_MAX_DEPTH);
            return NGX_CONF_ERROR;
        }

        name = ngx_array_push(field->names);
        if (name == NULL) {
            return NGX_CONF_ERROR;
        }

        name->data = start;
        name->len = p - start;

        if (p == end) {
            break;
        }

        p++;

        if (p == end) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid precancel_field path \"%V\": "
                               "it ends with \".\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    name = field->names->elts;

    if ((name[0].len == 6 && ngx_strncmp(name[0].data, "app_id", 6) == 0)
        || (name[0].len == 9
            && ngx_strncmp(name[0].data, "timestamp", 9) == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "precancel_field path \"%V\": \"%V\" is set by "
                           "the module", &value[1], &name[0]);
        return NGX_CONF_ERROR;
    }

    /* one path may be neither another nor an object holding another */

    other = plcf->fields->elts;

    for (i = 0; i < plcf->fields->nelts - 1; i++) {
        a = other[i].names->elts;
        b = name;
        n = ngx_min(other[i].names->nelts, field->names->nelts);

        for (j = 0; j < n; j++) {
            if (a[j].len != b[j].len
                || ngx_strncmp(a[j].data, b[j].data, a[j].len) != 0)
            {
                break;
            }
        }

        if (j == n) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "precancel_field path \"%V\" %s \"%V\"",
                               &value[1],
                               other[i].names->nelts == field->names->nelts
                               ? "is duplicate of" : "conflicts with",
                               &other[i].path);
            return NGX_CONF_ERROR;
        }
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &field->value;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
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
