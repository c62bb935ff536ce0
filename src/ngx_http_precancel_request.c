
/*
 * The engine of ngx_http_precancel_module, which knows no provider: a
 * content handler that waits on an in-memory POST subrequest to the
 * internal location of precancel_pass, the transport checks of its reply,
 * the redirect check, and the answer (302 to where the provider sends the
 * browser, or the fallback).  The location's provider (see
 * ngx_http_precancel.h) writes the body, authenticates it and judges the
 * reply.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/crypto.h>

#include "ngx_edge_subrequest.h"
#include "ngx_http_precancel.h"
#include "ngx_http_precancel_request.h"
#include "ngx_http_precancel_origin.h"
#include "ngx_http_precancel_tls.h"
#include "ngx_http_precancel_url.h"


#define NGX_HTTP_PRECANCEL_MESSAGE_MAX  256


/* the location configuration of the provider's own module */
#define ngx_http_precancel_provider_conf(r, plcf)                            \
    ((r)->loc_conf[(plcf)->provider->module->ctx_index])


static ngx_int_t ngx_http_precancel_allowed(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx);
static ngx_int_t ngx_http_precancel_fetch_headers(ngx_http_request_t *r,
    ngx_http_precancel_origin_req_t *req);
static ngx_int_t ngx_http_precancel_cross_origin(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, const char *reason,
    ngx_http_precancel_origin_req_t *req);
static ngx_int_t ngx_http_precancel_start(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx);
static ngx_http_headers_in_t *ngx_http_precancel_headers_in(
    ngx_http_request_t *r, ngx_http_precancel_loc_conf_t *plcf,
    ngx_http_precancel_ctx_t *ctx, ngx_str_t *body);
static ngx_int_t ngx_http_precancel_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc);
static ngx_http_precancel_ctx_t *ngx_http_precancel_provider_ctx(
    ngx_http_request_t *r);
static void ngx_http_precancel_deadline_handler(ngx_event_t *ev);
static void ngx_http_precancel_cleanup(void *data);
static void ngx_http_precancel_pause_log(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx);
static void ngx_http_precancel_resume_log(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx);
static void ngx_http_precancel_wake(ngx_http_request_t *r);
static void ngx_http_precancel_read_reply(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx);
static ngx_int_t ngx_http_precancel_check_url(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx,
    ngx_str_t *url);
static ngx_int_t ngx_http_precancel_answer(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx);
static ngx_int_t ngx_http_precancel_secrets(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_http_precancel_secret_t **secrets,
    ngx_uint_t *n);
static void ngx_http_precancel_cleanse(void *data);
static ngx_int_t ngx_http_precancel_add_header(ngx_http_request_t *r,
    char *name, char *value);

static ngx_int_t ngx_http_precancel_redirect_guard(ngx_http_request_t *r);
static ngx_int_t ngx_http_precancel_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_precancel_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


/* the headers every provider subrequest has; hashes are made at init */
static ngx_http_precancel_header_t  ngx_http_precancel_content_type =
    { ngx_string("Content-Type"), ngx_string("content-type"), 0 };


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_str_t  ngx_http_precancel_post = ngx_string("POST");


ngx_int_t
ngx_http_precancel_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_pool_cleanup_t             *cln;
    ngx_http_precancel_ctx_t       *ctx;
    ngx_http_precancel_loc_conf_t  *plcf;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "precancel handler");

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_precancel_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_precancel_module);

    plcf = ngx_http_get_module_loc_conf(r, ngx_http_precancel_module);

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

    /* refused before anything is read or made: nginx discards the body */

    rc = ngx_http_precancel_allowed(r, plcf, ctx);

    if (rc != NGX_OK) {
        ngx_http_precancel_count(r, ctx, NGX_HTTP_PRECANCEL_ANSWER_REFUSED);
        return rc;
    }

    /* the browser's body is never forwarded: nginx writes the one sent */

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

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

    cln->handler = ngx_http_precancel_cleanup;
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


/*
 * Whether the browser's request may make the provider call: its method
 * (precancel_methods) and where it comes from (the cross-origin policy
 * of ngx_http_precancel_origin.c).  NGX_OK, or the status of the refusal,
 * with its one error-log line, $precancel_status and $precancel_error.
 */

static ngx_int_t
ngx_http_precancel_allowed(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx)
{
    int                               navigation;
    char                             *allow;
    ngx_uint_t                        ntrusted;
    const char                       *reason;
    ngx_http_precancel_origin_req_t   req;

    if (!(r->method & plcf->methods)) {
        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_METHOD,
                                       "method %V is not in "
                                       "precancel_methods",
                                       &r->method_name);

        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "precancel refused: %V, answering 405", &ctx->error);

        allow = (plcf->methods == NGX_HTTP_POST) ? "POST"
                : (plcf->methods == NGX_HTTP_GET) ? "GET" : "GET, POST";

        if (ngx_http_precancel_add_header(r, "Allow", allow) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_HTTP_NOT_ALLOWED;
    }

    if (ngx_http_precancel_fetch_headers(r, &req) != NGX_OK) {
        return ngx_http_precancel_cross_origin(r, ctx,
                                               "a repeated Origin or "
                                               "Sec-Fetch-* header", &req);
    }

    navigation = (r->method == NGX_HTTP_GET
                  && !plcf->provider->changes_subscription);

    ntrusted = plcf->trusted_origins ? plcf->trusted_origins->nelts : 0;

    reason = ngx_http_precancel_origin_check(&req, navigation,
                                             ntrusted
                                             ? plcf->trusted_origins->elts
                                             : NULL,
                                             ntrusted);
    if (reason == NULL) {
        return NGX_OK;
    }

    return ngx_http_precancel_cross_origin(r, ctx, reason, &req);
}


/*
 * Host, Origin and the Sec-Fetch-* headers the policy reads; NGX_DECLINED
 * when one of them is repeated (no browser repeats them: two values are
 * two stories).
 */

static ngx_int_t
ngx_http_precancel_fetch_headers(ngx_http_request_t *r,
    ngx_http_precancel_origin_req_t *req)
{
    ngx_uint_t                        i;
    ngx_list_part_t                  *part;
    ngx_table_elt_t                  *h;
    ngx_http_precancel_origin_str_t  *dst;

    ngx_memzero(req, sizeof(ngx_http_precancel_origin_req_t));

    if (r->headers_in.host) {
        req->host.data = r->headers_in.host->value.data;
        req->host.len = r->headers_in.host->value.len;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == 6
            && ngx_strncmp(h[i].lowcase_key, "origin", 6) == 0)
        {
            dst = &req->origin;

        } else if (h[i].key.len == 14
                   && ngx_strncmp(h[i].lowcase_key, "sec-fetch-", 10) == 0)
        {
            if (ngx_strncmp(h[i].lowcase_key + 10, "site", 4) == 0) {
                dst = &req->site;

            } else if (ngx_strncmp(h[i].lowcase_key + 10, "mode", 4) == 0) {
                dst = &req->mode;

            } else if (ngx_strncmp(h[i].lowcase_key + 10, "dest", 4) == 0) {
                dst = &req->dest;

            } else {
                continue;
            }

        } else {
            continue;
        }

        if (dst->data) {
            return NGX_DECLINED;
        }

        dst->data = h[i].value.data;
        dst->len = h[i].value.len;
    }

    return NGX_OK;
}


/* the headers the verdict was made on, quoted, for the log line */

static ngx_int_t
ngx_http_precancel_cross_origin(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, const char *reason,
    ngx_http_precancel_origin_req_t *req)
{
    ngx_uint_t                        i;
    ngx_str_t                         q[4];
    ngx_http_precancel_origin_str_t  *v[4];

    v[0] = &req->site;
    v[1] = &req->mode;
    v[2] = &req->dest;
    v[3] = &req->origin;

    for (i = 0; i < 4; i++) {
        if (v[i]->data == NULL) {
            ngx_str_set(&q[i], "none");
            continue;
        }

        if (ngx_http_precancel_quote_message(r, ctx, &q[i], v[i]->data,
                                             v[i]->len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_CROSS_ORIGIN,
                                   "cross-origin request: %s "
                                   "(Sec-Fetch-Site %V, Sec-Fetch-Mode %V, "
                                   "Sec-Fetch-Dest %V, Origin %V)",
                                   reason, &q[0], &q[1], &q[2], &q[3]);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "precancel refused: %V, answering 403", &ctx->error);

    return NGX_HTTP_FORBIDDEN;
}


static ngx_int_t
ngx_http_precancel_start(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx)
{
    ngx_buf_t                   *b;
    ngx_str_t                    body;
    ngx_chain_t                 *cl;
    ngx_http_request_t          *sr;
    ngx_http_headers_in_t       *headers;
    ngx_http_request_body_t     *rb;
    ngx_http_post_subrequest_t  *ps;

    ngx_str_null(&body);

    if (plcf->provider->body(r, ngx_http_precancel_provider_conf(r, plcf),
                             ctx, &body)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    headers = ngx_http_precancel_headers_in(r, plcf, ctx, &body);
    if (headers == NULL) {
        return NGX_ERROR;
    }

    /* all that can fail comes before the subrequest is posted */

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    rb = ngx_pcalloc(r->pool, sizeof(ngx_http_request_body_t));
    b = ngx_calloc_buf(r->pool);
    cl = ngx_alloc_chain_link(r->pool);

    if (ps == NULL || rb == NULL || b == NULL || cl == NULL) {
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

    /* an empty body (a call with no parameters) has no buffer at all */

    if (body.len) {
        rb->bufs = cl;
        rb->buf = b;
    }

    if (ngx_http_subrequest(r, &plcf->uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "subrequest to \"%V\" failed",
                                       &plcf->uri);
    }

    /* $precancel_duration: from here to the reply's end, or the deadline */

    ctx->started = ngx_current_msec;

    sr->method = NGX_HTTP_POST;
    sr->method_name = ngx_http_precancel_post;
    sr->request_body = rb;
    sr->headers_in = *headers;

    /*
     * nginx copies the parent's discard_body into a subrequest, and the
     * active request (the subrequest, from now on) then reads what is
     * left of the browser's body, counting it against its own
     * headers_in: the provider body's Content-Length.  The browser's body
     * would end early, and its rest would be read as the next request on
     * the connection.  The browser's request alone discards its body;
     * ngx_http_precancel_wake() resumes that once the subrequest is done.
     */

    sr->discard_body = 0;

    /*
     * The deadline handler cuts the subrequest short through ctx->sr; its
     * own ctx serves the variables in the provider location, and its
     * absence tells the redirect guard of an internal redirect.
     */

    ctx->sr = sr;
    ngx_http_set_ctx(sr, ctx, ngx_http_precancel_module);

    /* the body holds no secret; the authentication headers are left out */

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "precancel subrequest \"%V\", precancel body: %V",
                   &plcf->uri, &body);

    if (plcf->provider->secret_headers) {
        ngx_http_precancel_pause_log(r, ctx);
    }

    return NGX_OK;
}


/*
 * nginx's proxy module logs every upstream request header at debug
 * level: the connection's debug logging is paused while a subrequest
 * whose headers hold a secret or a signature runs (resumed by
 * ngx_http_precancel_resume_log()).
 */

static void
ngx_http_precancel_pause_log(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx)
{
    ngx_uint_t  level;

    if (!(r->connection->log->log_level & NGX_LOG_DEBUG_ALL)) {
        return;
    }

    /* "debug" keeps no severity bits: info is the level below it */

    ctx->log_level = r->connection->log->log_level;
    ctx->log_paused = 1;

    level = ctx->log_level & ~(NGX_LOG_DEBUG_ALL|NGX_LOG_DEBUG_CONNECTION);

    r->connection->log->log_level = ngx_max(level, NGX_LOG_INFO);
}


/*
 * The subrequest gets headers of its own instead of a copy of the
 * browser's: no Cookie, no Authorization, nothing the customer sent.
 */

static ngx_http_headers_in_t *
ngx_http_precancel_headers_in(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx,
    ngx_str_t *body)
{
    ngx_http_headers_in_t  *headers;

    headers = ngx_pcalloc(r->pool, sizeof(ngx_http_headers_in_t));
    if (headers == NULL) {
        goto failed;
    }

    /* $host in the provider's location stays the browser's host */

    headers->server = r->headers_in.server;
    headers->content_length_n = body->len;

    if (ngx_list_init(&headers->headers, r->pool,
                      1 + plcf->provider->nheaders, sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        goto failed;
    }

    if (ngx_http_precancel_push_header(&headers->headers,
                                       &ngx_http_precancel_content_type,
                                       &plcf->provider->content_type)
        != NGX_OK)
    {
        goto failed;
    }

    headers->content_type = headers->headers.part.elts;

    if (plcf->provider->add_headers(r,
                                    ngx_http_precancel_provider_conf(r, plcf),
                                    ctx, body, &headers->headers)
        != NGX_OK)
    {
        return NULL;
    }

    return headers;

failed:

    (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                   "out of memory");
    return NULL;
}


ngx_int_t
ngx_http_precancel_push_header(ngx_list_t *headers,
    ngx_http_precancel_header_t *hd, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key = hd->name;
    h->lowcase_key = hd->lowcase.data;
    h->hash = hd->hash;
    h->value = *value;

    return NGX_OK;
}


void
ngx_http_precancel_hash_headers(ngx_http_precancel_header_t *hd,
    ngx_uint_t n)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        hd[i].hash = ngx_hash_key(hd[i].lowcase.data, hd[i].lowcase.len);
    }
}


static ngx_int_t
ngx_http_precancel_done(ngx_http_request_t *r, void *data, ngx_int_t rc)
{
    ngx_http_precancel_ctx_t  *ctx = data;

    ngx_http_precancel_resume_log(r, ctx);

    ngx_http_precancel_tls_check_request(r);

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
        ctx->duration = ngx_current_msec - ctx->started;
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
    ngx_http_request_t        *r;
    ngx_http_precancel_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;
    ctx = ngx_http_get_module_ctx(r, ngx_http_precancel_module);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "precancel deadline, done:%ui", (ngx_uint_t) ctx->done);

    if (ctx->done) {
        return;
    }

    ctx->expired = 1;

    if (ngx_edge_subrequest_cut(ctx->sr, NGX_HTTP_GATEWAY_TIME_OUT) != NGX_OK) {
        /*
         * The subrequest is not (or no longer) in an upstream's hands,
         * e.g. limit_req delays it: its end, whatever it is, gives the
         * fallback.
         */

        ngx_log_error(NGX_LOG_WARN, c->log, 0,
                      "precancel_timeout passed before the provider "
                      "subrequest reached the provider, waiting for it");
    }
}


static void
ngx_http_precancel_cleanup(void *data)
{
    ngx_http_precancel_ctx_t  *ctx = data;

    if (ctx->deadline.timer_set) {
        ngx_del_timer(&ctx->deadline);
    }

    ngx_http_precancel_resume_log(ctx->sr, ctx);
}


/*
 * The subrequest's debug lines are back once it is done (or the request
 * is freed before, for the next request of a keepalive connection).
 */

static void
ngx_http_precancel_resume_log(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx)
{
    if (ctx->log_paused) {
        r->connection->log->log_level = ctx->log_level;
        ctx->log_paused = 0;
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
    size_t     len;
    ngx_int_t  rc;
    ngx_str_t  url, encoding;

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
        /* the provider's header, so quoted as its messages are */

        if (ngx_http_precancel_quote_message(r, ctx, &encoding,
                                             ctx->sub_encoding.data,
                                             ctx->sub_encoding.len)
            != NGX_OK)
        {
            (void) ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "out of memory");
            return;
        }

        (void) ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_REPLY,
                                       "provider reply has Content-Encoding "
                                       "%V", &encoding);
        return;
    }

    len = ctx->reply ? (size_t) (ctx->reply->last - ctx->reply->pos) : 0;

    ngx_str_null(&url);

    rc = plcf->provider->reply(r, ngx_http_precancel_provider_conf(r, plcf),
                               ctx, ctx->sub_status,
                               len ? ctx->reply->pos : NULL, len, &url);

    /* NGX_DONE: a URL of the configuration's own, not the provider's */

    if (rc == NGX_OK
        && ngx_http_precancel_check_url(r, plcf, ctx, &url) != NGX_OK)
    {
        return;
    }

    if (rc == NGX_OK || rc == NGX_DONE) {
        ctx->status = NGX_HTTP_PRECANCEL_REDIRECTED;
        ctx->url = url;
    }
}


/* a URL from the provider's reply: the built-in check, then the allow list */

static ngx_int_t
ngx_http_precancel_check_url(ngx_http_request_t *r,
    ngx_http_precancel_loc_conf_t *plcf, ngx_http_precancel_ctx_t *ctx,
    ngx_str_t *url)
{
    ngx_int_t                     n;
    ngx_str_t                     quoted;
    ngx_uint_t                    nsecrets;
    const char                   *err;
    ngx_http_precancel_secret_t  *secrets;

    /*
     * The URL goes to the browser: one that holds a secret is refused,
     * and not quoted into the log line or $precancel_error either.
     */

    if (ngx_http_precancel_secrets(r, ctx, &secrets, &nsecrets) != NGX_OK) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    if (ngx_http_precancel_redact_find(url->data, url->len, secrets,
                                       nsecrets))
    {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_URL,
                                       "session URL rejected: it holds a "
                                       "secret");
    }

    err = ngx_http_precancel_url_check(url->data, url->len);

    if (err) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_URL,
                                       "session URL rejected: %s", err);
    }

    if (plcf->redirect_allow == NULL) {
        return NGX_OK;
    }

    n = ngx_regex_exec(plcf->redirect_allow, url, NULL, 0);

    if (n == NGX_REGEX_NO_MATCHED) {
        if (ngx_http_precancel_quote_message(r, ctx, &quoted, url->data,
                                             url->len)
            != NGX_OK)
        {
            return ngx_http_precancel_fail(r, ctx,
                                           NGX_HTTP_PRECANCEL_INTERNAL,
                                           "out of memory");
        }

        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_BAD_URL,
                                       "session URL %V does not match "
                                       "precancel_redirect_allow", &quoted);
    }

    if (n < 0) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       ngx_regex_exec_n " failed: %i", n);
    }

    return NGX_OK;
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

        ngx_http_precancel_count(r, ctx,
                                 NGX_HTTP_PRECANCEL_ANSWER_REDIRECTED);

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

            ngx_http_precancel_count(r, ctx,
                                     NGX_HTTP_PRECANCEL_ANSWER_REFUSED);

            return NGX_HTTP_BAD_GATEWAY;
        }

        ngx_http_precancel_count(r, ctx, NGX_HTTP_PRECANCEL_ANSWER_FALLBACK);

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

ngx_int_t
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
 * every secret of the location (and the request's own) is redacted from
 * it first, so that the cut to a sane length cannot leave half of one;
 * control characters, which could forge a log line, are replaced.
 */

ngx_int_t
ngx_http_precancel_quote_message(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_str_t *dst, const u_char *src,
    size_t len)
{
    u_char                       *p;
    size_t                        i, n, used;
    ngx_uint_t                    nsecrets;
    ngx_http_precancel_secret_t  *secrets;

    if (ngx_http_precancel_secrets(r, ctx, &secrets, &nsecrets) != NGX_OK) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_PRECANCEL_MESSAGE_MAX + 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    n = ngx_http_precancel_redact(p + 1, NGX_HTTP_PRECANCEL_MESSAGE_MAX,
                                  src, len, secrets, nsecrets, &used);

    dst->data = p;
    dst->len = n + 2;

    *p++ = '"';

    for (i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            p[i] = '?';
        }
    }

    p[n] = '"';

    return NGX_OK;
}


/*
 * The location's secrets, with a copy that adds the request's own when it
 * has one
 */

static ngx_int_t
ngx_http_precancel_secrets(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, ngx_http_precancel_secret_t **secrets,
    ngx_uint_t *n)
{
    ngx_uint_t                      nloc;
    ngx_http_precancel_secret_t    *all;
    ngx_http_precancel_loc_conf_t  *plcf;

    /* the redirect guard runs in the provider subrequest */

    plcf = ngx_http_get_module_loc_conf(r->main, ngx_http_precancel_module);

    nloc = plcf->secrets ? plcf->secrets->nelts : 0;

    if (ctx->request_secret.len == 0) {
        *secrets = nloc ? plcf->secrets->elts : NULL;
        *n = nloc;
        return NGX_OK;
    }

    all = ngx_palloc(r->pool,
                     (nloc + 1) * sizeof(ngx_http_precancel_secret_t));
    if (all == NULL) {
        return NGX_ERROR;
    }

    if (nloc) {
        ngx_memcpy(all, plcf->secrets->elts,
                   nloc * sizeof(ngx_http_precancel_secret_t));
    }

    all[nloc].data = ctx->request_secret.data;
    all[nloc].len = ctx->request_secret.len;

    *secrets = all;
    *n = nloc + 1;

    return NGX_OK;
}


/*
 * At configuration: the forms of a secret (see ngx_http_precancel_redact.h)
 * are added to *secrets, made if NULL; their bytes are cleansed when the
 * configuration is freed, as the secret's own are.
 */

ngx_int_t
ngx_http_precancel_add_secret(ngx_conf_t *cf, ngx_array_t **secrets,
    const u_char *secret, size_t len)
{
    size_t                        size, n;
    u_char                       *buf;
    ngx_str_t                    *bytes;
    ngx_pool_cleanup_t           *cln;
    ngx_http_precancel_secret_t  *forms;

    if (*secrets == NULL) {
        *secrets = ngx_array_create(cf->pool, NGX_HTTP_PRECANCEL_REDACT_FORMS,
                                    sizeof(ngx_http_precancel_secret_t));
        if (*secrets == NULL) {
            return NGX_ERROR;
        }
    }

    size = ngx_http_precancel_redact_forms_size(len);

    buf = ngx_pnalloc(cf->pool, size);
    cln = ngx_pool_cleanup_add(cf->pool, sizeof(ngx_str_t));
    forms = ngx_array_push_n(*secrets, NGX_HTTP_PRECANCEL_REDACT_FORMS);

    if (buf == NULL || cln == NULL || forms == NULL) {
        return NGX_ERROR;
    }

    bytes = cln->data;
    bytes->data = buf;
    bytes->len = size;

    cln->handler = ngx_http_precancel_cleanse;

    n = ngx_http_precancel_redact_forms(forms, buf, secret, len);

    (*secrets)->nelts -= NGX_HTTP_PRECANCEL_REDACT_FORMS - n;

    return NGX_OK;
}


static void
ngx_http_precancel_cleanse(void *data)
{
    ngx_str_t  *bytes = data;

    OPENSSL_cleanse(bytes->data, bytes->len);
}


/*
 * The reply as one JSON document, its wanted values in wants; *err is
 * NULL, or the first error (an empty reply is one) at *err_off.  Only
 * running out of memory is a failure here: NGX_ERROR.
 */

ngx_int_t
ngx_http_precancel_read_json(ngx_http_request_t *r,
    ngx_http_precancel_ctx_t *ctx, u_char *data, size_t len,
    ngx_http_precancel_json_want_t *wants, size_t nwants, const char **err,
    size_t *err_off)
{
    u_char  *scratch;

    *err = "empty reply";
    *err_off = 0;

    if (len == 0) {
        return NGX_OK;
    }

    scratch = ngx_pnalloc(r->pool, len);
    if (scratch == NULL) {
        return ngx_http_precancel_fail(r, ctx, NGX_HTTP_PRECANCEL_INTERNAL,
                                       "out of memory");
    }

    *err = ngx_http_precancel_json_lookup(data, len, wants, nwants, scratch,
                                          err_off);

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

    if (ngx_http_precancel_quote_message(r, ctx, &ctx->redirect, to->data,
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

ngx_http_precancel_ctx_t *
ngx_http_precancel_var_ctx(ngx_http_request_t *r)
{
    ngx_http_precancel_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_precancel_module);

    if (ctx == NULL && r != r->main) {
        ctx = ngx_http_get_module_ctx(r->main, ngx_http_precancel_module);
    }

    return ctx;
}


ngx_int_t
ngx_http_precancel_request_init(ngx_conf_t *cf)
{
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

    ngx_http_precancel_hash_headers(&ngx_http_precancel_content_type, 1);

    return NGX_OK;
}
