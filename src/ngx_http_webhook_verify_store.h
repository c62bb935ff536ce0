
/*
 * The replay guard's store shared by every nginx of a cluster: asked
 * through subrequests to a location the configuration names (the way
 * auth_request asks), so that nginx's own upstream machinery does the
 * I/O; the documented store is memcached through Debian's
 * libnginx-mod-http-memc, whose "add" is an atomic set-if-absent.
 *
 * A message is added as "r" (in flight) for the hold, set to "d"
 * (delivered) for the lifetime once the application took it, deleted
 * when it did not.  The store location sees what to do in
 * $webhook_verify_store_command, _key, _value and _exptime, and answers
 * as memc does: 201 stored, 200 not stored (add) or found (get, with the
 * value as the body), 404 not found.
 */


#ifndef _NGX_HTTP_WEBHOOK_VERIFY_STORE_H_INCLUDED_
#define _NGX_HTTP_WEBHOOK_VERIFY_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


typedef enum {
    /* added: this request delivers the message */
    NGX_HTTP_WEBHOOK_VERIFY_STORE_NEW = 0,
    NGX_HTTP_WEBHOOK_VERIFY_STORE_DELIVERED,
    NGX_HTTP_WEBHOOK_VERIFY_STORE_IN_FLIGHT,
    /* no answer in time, or one the store should not give */
    NGX_HTTP_WEBHOOK_VERIFY_STORE_DOWN
} ngx_http_webhook_verify_store_e;


/* webhook_verify_replay_store */
typedef struct {
    ngx_str_t                              uri;        /* empty: off */
    ngx_msec_t                             timeout;
    ngx_flag_t                             fail_open;
} ngx_http_webhook_verify_store_conf_t;


/* a request's dealings with the store */
typedef struct {
    ngx_http_webhook_verify_store_conf_t  *conf;
    ngx_str_t                              key;        /* hex */
    ngx_msec_t                             hold;
    ngx_event_t                            deadline;
    ngx_http_request_t                    *sr;        /* being asked */
    ngx_uint_t                             step;
    ngx_uint_t                             status;    /* the store's */
    ngx_str_t                              value;     /* what get found */
    const char                            *why;       /* STORE_DOWN */
    unsigned                               expired:1;
    /* added by this request: set or deleted once the answer is known */
    unsigned                               reserved:1;
} ngx_http_webhook_verify_store_t;


/*
 * webhook_verify_replay_store off | URI [timeout=TIME] [fail=closed|open]
 * into the ngx_http_webhook_verify_store_conf_t at cmd->offset
 */
char *ngx_http_webhook_verify_store_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
/*
 * A NAME=TIME parameter of the guard's directives (lifetime=, hold=,
 * timeout=): NGX_OK, NGX_ERROR for a bad or zero time, NGX_DECLINED
 * when value is not NAME=
 */
ngx_int_t ngx_http_webhook_verify_time_param(ngx_str_t *value, char *name,
    ngx_msec_t *ms);

void ngx_http_webhook_verify_store_init_conf(
    ngx_http_webhook_verify_store_conf_t *conf);
void ngx_http_webhook_verify_store_merge_conf(
    ngx_http_webhook_verify_store_conf_t *conf,
    ngx_http_webhook_verify_store_conf_t *prev);

/* the store location's variables, ended by a null one */
extern ngx_http_variable_t  ngx_http_webhook_verify_store_vars[];

/* a verified message to ask about: key is the replay guard's */
ngx_int_t ngx_http_webhook_verify_store_start(ngx_http_request_t *r,
    ngx_http_webhook_verify_store_t *st,
    ngx_http_webhook_verify_store_conf_t *conf, ngx_str_t *key,
    ngx_msec_t hold);

/*
 * Asks the store, step by step, each time the request runs its phases:
 * NGX_AGAIN while a subrequest is out, NGX_OK with *result once known,
 * NGX_ERROR when no subrequest could be made.
 */
ngx_int_t ngx_http_webhook_verify_store_ask(ngx_http_request_t *r,
    ngx_http_webhook_verify_store_t *st,
    ngx_http_webhook_verify_store_e *result);

/*
 * The application answered: a message this request added is recorded as
 * delivered for lifetime, or deleted, in the background.
 */
ngx_int_t ngx_http_webhook_verify_store_end(ngx_http_request_t *r,
    ngx_http_webhook_verify_store_t *st, ngx_uint_t delivered,
    ngx_msec_t lifetime);

/* the request's pool goes: the deadline with it */
void ngx_http_webhook_verify_store_cleanup(
    ngx_http_webhook_verify_store_t *st);


#endif /* _NGX_HTTP_WEBHOOK_VERIFY_STORE_H_INCLUDED_ */
