
/*
 * The replay guard's store shared by a cluster (see
 * ngx_http_webhook_verify_store.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include "ngx_edge_codec.h"
#include "ngx_edge_subrequest.h"
#include "ngx_http_webhook_verify_store.h"


/* memcached reads a time of more than 30 days as a Unix time */
#define NGX_HTTP_WEBHOOK_VERIFY_STORE_RELATIVE  (30 * 86400)


enum {
    NGX_HTTP_WEBHOOK_VERIFY_STORE_START = 0,
    NGX_HTTP_WEBHOOK_VERIFY_STORE_ADD,
    NGX_HTTP_WEBHOOK_VERIFY_STORE_GET,
    NGX_HTTP_WEBHOOK_VERIFY_STORE_DONE
};


/* one subrequest to the store: what its variables say */
typedef struct {
    ngx_http_webhook_verify_store_t       *st;
    ngx_str_t                              command;
    ngx_str_t                              value;
    ngx_str_t                              exptime;
} ngx_http_webhook_verify_store_call_t;


static ngx_int_t ngx_http_webhook_verify_store_call(ngx_http_request_t *r,
    ngx_http_webhook_verify_store_t *st, char *command, char *value,
    ngx_msec_t ttl, ngx_uint_t background);
static ngx_int_t ngx_http_webhook_verify_store_done(ngx_http_request_t *r,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_webhook_verify_store_ended(ngx_http_request_t *r,
    void *data, ngx_int_t rc);
static ngx_uint_t ngx_http_webhook_verify_store_status(ngx_http_request_t *r,
    ngx_int_t rc);
static void ngx_http_webhook_verify_store_deadline(ngx_event_t *ev);
static ngx_int_t ngx_http_webhook_verify_store_variable(
    ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data);


ngx_http_variable_t  ngx_http_webhook_verify_store_vars[] = {

    { ngx_string("webhook_verify_store_command"), NULL,
      ngx_http_webhook_verify_store_variable,
      offsetof(ngx_http_webhook_verify_store_call_t, command),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webhook_verify_store_key"), NULL,
      ngx_http_webhook_verify_store_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webhook_verify_store_value"), NULL,
      ngx_http_webhook_verify_store_variable,
      offsetof(ngx_http_webhook_verify_store_call_t, value),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("webhook_verify_store_exptime"), NULL,
      ngx_http_webhook_verify_store_variable,
      offsetof(ngx_http_webhook_verify_store_call_t, exptime),
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


/* webhook_verify_replay_store off | URI [timeout=TIME] [fail=closed|open] */

char *
ngx_http_webhook_verify_store_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    ngx_int_t                              rc;
    ngx_str_t                             *value;
    ngx_uint_t                             i;
    ngx_http_webhook_verify_store_conf_t  *sc;

    sc = (ngx_http_webhook_verify_store_conf_t *) (p + cmd->offset);

    if (sc->timeout != NGX_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    sc->timeout = 1000;
    sc->fail_open = 0;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            i = 2;
            goto invalid;
        }

        ngx_str_null(&sc->uri);
        return NGX_CONF_OK;
    }

    if (value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs a location's URI, such as "
                           "/replay-store, not \"%V\"", &cmd->name,
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    sc->uri = value[1];

    for (i = 2; i < cf->args->nelts; i++) {

        rc = ngx_http_webhook_verify_time_param(&value[i], "timeout=",
                                                &sc->timeout);

        if (rc == NGX_ERROR) {
            goto invalid;
        }

        if (rc == NGX_OK) {
            continue;
        }

        if (ngx_strcmp(value[i].data, "fail=closed") == 0) {
            sc->fail_open = 0;

        } else if (ngx_strcmp(value[i].data, "fail=open") == 0) {
            sc->fail_open = 1;

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


/* a NAME=TIME parameter: NGX_DECLINED when value is another one */

ngx_int_t
ngx_http_webhook_verify_time_param(ngx_str_t *value, char *name,
    ngx_msec_t *ms)
{
    size_t     len;
    ngx_int_t  n;
    ngx_str_t  v;

    len = ngx_strlen(name);

    if (value->len < len || ngx_strncmp(value->data, name, len) != 0) {
        return NGX_DECLINED;
    }

    v.data = value->data + len;
    v.len = value->len - len;

    n = ngx_parse_time(&v, 0);
    if (n == NGX_ERROR || n == 0) {
        return NGX_ERROR;
    }

    *ms = n;

    return NGX_OK;
}


void
ngx_http_webhook_verify_store_init_conf(
    ngx_http_webhook_verify_store_conf_t *conf)
{
    ngx_str_null(&conf->uri);
    conf->timeout = NGX_CONF_UNSET_MSEC;
    conf->fail_open = NGX_CONF_UNSET;
}


void
ngx_http_webhook_verify_store_merge_conf(
    ngx_http_webhook_verify_store_conf_t *conf,
    ngx_http_webhook_verify_store_conf_t *prev)
{
    if (conf->timeout == NGX_CONF_UNSET_MSEC) {
        *conf = *prev;
    }

    if (conf->timeout == NGX_CONF_UNSET_MSEC) {
        conf->timeout = 1000;
        conf->fail_open = 0;
    }
}


/*
 * The store's key: a SHA-256 of the replay key in hex, 64 characters,
 * whatever the key (memcached's keys end at 250 bytes and must not hold
 * spaces); the store learns no message id either.
 */

ngx_int_t
ngx_http_webhook_verify_store_start(ngx_http_request_t *r,
    ngx_http_webhook_verify_store_t *st,
    ngx_http_webhook_verify_store_conf_t *conf, ngx_str_t *key,
    ngx_msec_t hold)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  n;

    if (EVP_Digest(key->data, key->len, md, &n, EVP_sha256(), NULL) != 1) {
        return NGX_ERROR;
    }

    st->key.data = ngx_pnalloc(r->pool, 2 * n);
    if (st->key.data == NULL) {
        return NGX_ERROR;
    }

    st->key.len = 2 * n;
    ngx_edge_hex_encode(st->key.data, md, n);

    st->conf = conf;
    st->hold = hold;
    st->step = NGX_HTTP_WEBHOOK_VERIFY_STORE_START;

    return NGX_OK;
}


ngx_int_t
ngx_http_webhook_verify_store_ask(ngx_http_request_t *r,
    ngx_http_webhook_verify_store_t *st,
    ngx_http_webhook_verify_store_e *result)
{
    if (st->sr) {
        /* posted again before the subrequest is done (a write event) */
        return NGX_AGAIN;
    }

    switch (st->step) {

    case NGX_HTTP_WEBHOOK_VERIFY_STORE_START:

        /* the deadline bounds every step together */

        st->deadline.handler = ngx_http_webhook_verify_store_deadline;
        st->deadline.data = st;
        st->deadline.log = r->connection->log;

        ngx_add_timer(&st->deadline, st->conf->timeout);

        st->step = NGX_HTTP_WEBHOOK_VERIFY_STORE_ADD;

        return ngx_http_webhook_verify_store_call(r, st, "add", "r",
                                                  st->hold, 0);

    case NGX_HTTP_WEBHOOK_VERIFY_STORE_ADD:

        if (st->expired) {
            break;
        }

        if (st->status == NGX_HTTP_CREATED) {
            st->reserved = 1;
            *result = NGX_HTTP_WEBHOOK_VERIFY_STORE_NEW;
            goto done;
        }

        if (st->status != NGX_HTTP_OK) {
            break;
        }

        /* there already: delivered, or in flight at some node */

        st->step = NGX_HTTP_WEBHOOK_VERIFY_STORE_GET;

        return ngx_http_webhook_verify_store_call(r, st, "get", "", 0, 0);

    case NGX_HTTP_WEBHOOK_VERIFY_STORE_GET:

        if (st->expired) {
            break;
        }

        if (st->status == NGX_HTTP_OK && st->value.len == 1
            && st->value.data[0] == 'd')
        {
            *result = NGX_HTTP_WEBHOOK_VERIFY_STORE_DELIVERED;
            goto done;
        }

        /* gone since the add: its delivery failed, the retry comes later */

        if ((st->status == NGX_HTTP_OK && st->value.len == 1
             && st->value.data[0] == 'r')
            || st->status == NGX_HTTP_NOT_FOUND)
        {
            *result = NGX_HTTP_WEBHOOK_VERIFY_STORE_IN_FLIGHT;
            goto done;
        }

        if (st->status == NGX_HTTP_OK) {
            st->why = "answered a value it was never given";
        }

        break;

    default: /* NGX_HTTP_WEBHOOK_VERIFY_STORE_DONE */
        return NGX_ERROR;
    }

    if (st->why == NULL) {
        st->why = st->expired ? "did not answer in time" : "answered";
    }

    *result = NGX_HTTP_WEBHOOK_VERIFY_STORE_DOWN;

done:

    st->step = NGX_HTTP_WEBHOOK_VERIFY_STORE_DONE;

    if (st->deadline.timer_set) {
        ngx_del_timer(&st->deadline);
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_webhook_verify_store_end(ngx_http_request_t *r,
    ngx_http_webhook_verify_store_t *st, ngx_uint_t delivered,
    ngx_msec_t lifetime)
{
    if (!st->reserved) {
        return NGX_OK;
    }

    st->reserved = 0;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook verify store: %s %V",
                   delivered ? "delivered" : "released", &st->key);

    if (delivered) {
        return ngx_http_webhook_verify_store_call(r, st, "set", "d",
                                                  lifetime, 1);
    }

    return ngx_http_webhook_verify_store_call(r, st, "delete", "", 0, 1);
}


void
ngx_http_webhook_verify_store_cleanup(ngx_http_webhook_verify_store_t *st)
{
    if (st->deadline.timer_set) {
        ngx_del_timer(&st->deadline);
    }
}


/*
 * A subrequest to the store location, its answer kept in memory: one the
 * request waits for (add, get), or one in the background that the answer
 * to the provider does not wait for (set, delete).
 */

static ngx_int_t
ngx_http_webhook_verify_store_call(ngx_http_request_t *r,
    ngx_http_webhook_verify_store_t *st, char *command, char *value,
    ngx_msec_t ttl, ngx_uint_t background)
{
    u_char                                *p;
    time_t                                 secs;
    ngx_uint_t                             flags;
    ngx_http_request_t                    *sr;
    ngx_http_post_subrequest_t            *ps;
    ngx_http_webhook_verify_store_call_t  *call;

    call = ngx_pcalloc(r->pool, sizeof(ngx_http_webhook_verify_store_call_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);

    if (call == NULL || ps == NULL || p == NULL) {
        return NGX_ERROR;
    }

    call->st = st;
    call->command.data = (u_char *) command;
    call->command.len = ngx_strlen(command);
    call->value.data = (u_char *) value;
    call->value.len = ngx_strlen(value);

    secs = (ttl + 999) / 1000;

    if (secs > NGX_HTTP_WEBHOOK_VERIFY_STORE_RELATIVE) {
        secs += ngx_time();
    }

    call->exptime.data = p;
    call->exptime.len = ngx_sprintf(p, "%T", secs) - p;

    ps->handler = background ? ngx_http_webhook_verify_store_ended
                             : ngx_http_webhook_verify_store_done;
    ps->data = call;

    flags = NGX_HTTP_SUBREQUEST_IN_MEMORY
            | (background ? NGX_HTTP_SUBREQUEST_BACKGROUND
                          : NGX_HTTP_SUBREQUEST_WAITED);

    if (ngx_http_subrequest(r, &st->conf->uri, NULL, &sr, ps, flags)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the webhook's body is the application's, never the store's */

    sr->request_body = NULL;

    if (!background) {
        st->sr = sr;
        st->status = 0;
        ngx_str_null(&st->value);
    }

    return background ? NGX_OK : NGX_AGAIN;
}


/* the answer to add or get: the request runs its phases again */

static ngx_int_t
ngx_http_webhook_verify_store_done(ngx_http_request_t *r, void *data,
    ngx_int_t rc)
{
    ngx_http_webhook_verify_store_call_t  *call = data;

    ngx_buf_t                        *b;
    ngx_http_webhook_verify_store_t  *st;

    st = call->st;
    st->sr = NULL;
    st->status = ngx_http_webhook_verify_store_status(r, rc);

    b = r->out ? r->out->buf : NULL;

    if (b && st->status == NGX_HTTP_OK) {
        st->value.data = b->pos;
        st->value.len = b->last - b->pos;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "webhook verify store: \"%V\" answered %ui, rc:%i",
                   &call->command, st->status, rc);

    /*
     * An error would make nginx terminate the webhook's request, or write
     * an error page into the answer's buffer: the status is all it says.
     */

    if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return NGX_OK;
    }

    return rc;
}


/* the answer to set or delete: logged when it is not the one expected */

static ngx_int_t
ngx_http_webhook_verify_store_ended(ngx_http_request_t *r, void *data,
    ngx_int_t rc)
{
    ngx_http_webhook_verify_store_call_t  *call = data;

    ngx_uint_t  status;

    status = ngx_http_webhook_verify_store_status(r, rc);

    if (call->value.len) {
        if (status != NGX_HTTP_CREATED) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "webhook_verify_replay_store \"%V\" answered %ui "
                          "to \"set\": the delivery is not recorded, and a "
                          "copy may be delivered again once the hold ends",
                          &call->st->conf->uri, status);
        }

    } else if (status != NGX_HTTP_OK && status != NGX_HTTP_NOT_FOUND) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "webhook_verify_replay_store \"%V\" answered %ui to "
                      "\"delete\": a retry of the message is refused as "
                      "in flight until the hold ends",
                      &call->st->conf->uri, status);
    }

    if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return NGX_OK;
    }

    return rc;
}


/*
 * What the store location answered: its status, the error nginx
 * finalized it with (502 unreachable, 504 cut short), or 0 for a failure
 * with no status.
 */

static ngx_uint_t
ngx_http_webhook_verify_store_status(ngx_http_request_t *r, ngx_int_t rc)
{
    if (rc == NGX_ERROR) {
        return 0;
    }

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return r->headers_out.status;
}


/*
 * The store did not answer in time: the subrequest is cut short, and its
 * end runs the webhook's phases again, which apply the fail= policy.
 */

static void
ngx_http_webhook_verify_store_deadline(ngx_event_t *ev)
{
    ngx_http_webhook_verify_store_t  *st = ev->data;

    st->expired = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ev->log, 0,
                   "webhook verify store: deadline, asking:%ui",
                   (ngx_uint_t) (st->sr != NULL));

    if (st->sr == NULL) {
        /* between two steps: the next one sees the deadline has passed */
        return;
    }

    if (ngx_edge_subrequest_cut(st->sr, NGX_HTTP_GATEWAY_TIME_OUT)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                      "webhook_verify_replay_store \"%V\" timeout passed "
                      "before the subrequest reached the store, waiting "
                      "for it", &st->conf->uri);
    }
}


/*
 * The variables of the store location, set in the module's own
 * subrequests only (found through their post_subrequest, which survives
 * an internal redirect); empty anywhere else.
 */

static ngx_int_t
ngx_http_webhook_verify_store_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                             *s;
    ngx_http_webhook_verify_store_call_t  *call;

    if (r->post_subrequest == NULL
        || (r->post_subrequest->handler != ngx_http_webhook_verify_store_done
            && r->post_subrequest->handler
               != ngx_http_webhook_verify_store_ended))
    {
        v->not_found = 1;
        return NGX_OK;
    }

    call = r->post_subrequest->data;

    s = data ? (ngx_str_t *) ((char *) call + data) : &call->st->key;

    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
