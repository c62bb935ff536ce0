
/*
 * The webhook replay guard's store on one node: a shared-memory zone of
 * the messages seen, keyed by what the provider signed (a signed id, else
 * the signature), each either reserved by a request in flight or
 * committed once delivered, until it expires.  Modelled on nginx's
 * limit_req zone (a queue to expire, a slab pool), with a table of
 * buckets to find an entry where limit_req has an rbtree.
 */


#ifndef _NGX_HTTP_WEBHOOK_VERIFY_REPLAY_H_INCLUDED_
#define _NGX_HTTP_WEBHOOK_VERIFY_REPLAY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* the longest key: longer signed material is hashed to fit */
#define NGX_HTTP_WEBHOOK_VERIFY_REPLAY_KEY  160


typedef enum {
    /* reserved now for this request */
    NGX_HTTP_WEBHOOK_VERIFY_REPLAY_NEW = 0,
    /* delivered before (committed, not expired) */
    NGX_HTTP_WEBHOOK_VERIFY_REPLAY_DELIVERED,
    /* reserved by another request that is still in flight */
    NGX_HTTP_WEBHOOK_VERIFY_REPLAY_IN_FLIGHT,
    /* no room left, and nothing expired to make room with */
    NGX_HTTP_WEBHOOK_VERIFY_REPLAY_FULL
} ngx_http_webhook_verify_replay_e;


/* webhook_verify_replay_zone name:size (http) */
char *ngx_http_webhook_verify_replay_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* the zone a location names; its size comes from the directive above */
ngx_shm_zone_t *ngx_http_webhook_verify_replay_get_zone(ngx_conf_t *cf,
    ngx_str_t *name);

/*
 * Reserves key for hold ms, unless it is there: *left is then the ms
 * until the other request's reservation or the delivery record expires.
 */
ngx_http_webhook_verify_replay_e ngx_http_webhook_verify_replay_reserve(
    ngx_shm_zone_t *zone, ngx_str_t *key, ngx_msec_t hold, ngx_msec_t *left);

/* the reserved key was delivered: kept for lifetime ms */
void ngx_http_webhook_verify_replay_commit(ngx_shm_zone_t *zone,
    ngx_str_t *key, ngx_msec_t lifetime);

/* the reserved key was not delivered: a retry may come through */
void ngx_http_webhook_verify_replay_release(ngx_shm_zone_t *zone,
    ngx_str_t *key);


#endif /* _NGX_HTTP_WEBHOOK_VERIFY_REPLAY_H_INCLUDED_ */
