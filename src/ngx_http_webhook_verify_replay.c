
/*
 * The replay guard's zone (see ngx_http_webhook_verify_replay.h).
 *
 * Every entry has its own expiry: a reservation lives as long as a
 * delivery may take, a delivery record as long as the location's
 * lifetime.  Entries are never evicted before they expire: when the zone
 * is full and nothing has expired, a new message is refused (the caller
 * fails closed), unlike a cache that would forget a live entry and let its
 * replay through.
 *
 * Entries are found through a table of buckets, one a 256 bytes of the
 * zone, rather than limit_req's rbtree: a lookup reads a bucket and its
 * one or two entries, where a tree of a few hundred entries reads ten
 * nodes scattered in the zone, each a cache miss between two requests
 * (that was most of the zone's cost under load).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_edge_shm.h"
#include "ngx_http_webhook_verify_replay.h"


typedef enum {
    NGX_HTTP_WEBHOOK_VERIFY_REPLAY_RESERVED = 0,
    NGX_HTTP_WEBHOOK_VERIFY_REPLAY_COMMITTED
} ngx_http_webhook_verify_replay_state_e;


typedef struct ngx_http_webhook_verify_replay_node_s
    ngx_http_webhook_verify_replay_node_t;

struct ngx_http_webhook_verify_replay_node_s {
    ngx_http_webhook_verify_replay_node_t  *next;     /* in its bucket */
    ngx_queue_t                             queue;
    ngx_msec_t                              expires;
    uint32_t                                hash;
    u_char                                  state;
    u_char                                  len;
    /* as long as the key: a MAC's entry fits a 128-byte slab */
    u_char                                  key[1];
};


typedef struct {
    ngx_http_webhook_verify_replay_node_t **buckets;
    ngx_uint_t                              mask;     /* buckets - 1 */

    /* oldest at the tail: the first place to look for expired entries */
    ngx_queue_t                             queue;
} ngx_http_webhook_verify_replay_sh_t;


/* the zone's data is an ngx_edge_shm_t whose sh is this */
typedef ngx_edge_shm_t  ngx_http_webhook_verify_replay_ctx_t;


static ngx_int_t ngx_http_webhook_verify_replay_init_zone(
    ngx_edge_shm_t *shm);
static ngx_http_webhook_verify_replay_node_t *
    ngx_http_webhook_verify_replay_lookup(
    ngx_http_webhook_verify_replay_ctx_t *ctx, ngx_str_t *key,
    uint32_t hash);
static ngx_uint_t ngx_http_webhook_verify_replay_expire(
    ngx_http_webhook_verify_replay_ctx_t *ctx, ngx_uint_t n);
static void ngx_http_webhook_verify_replay_free(
    ngx_http_webhook_verify_replay_ctx_t *ctx,
    ngx_http_webhook_verify_replay_node_t *rn);


extern ngx_module_t  ngx_http_webhook_verify_module;


char *
ngx_http_webhook_verify_replay_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    if (ngx_edge_shm_add(cf, cmd, &value[1], 0,
                         &ngx_http_webhook_verify_module,
                         ngx_http_webhook_verify_replay_init_zone)
        == NULL)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


ngx_shm_zone_t *
ngx_http_webhook_verify_replay_get_zone(ngx_conf_t *cf, ngx_str_t *name)
{
    return ngx_edge_shm_get(cf, name, &ngx_http_webhook_verify_module);
}


/* a reload keeps the zone, and with it every message seen */

static ngx_int_t
ngx_http_webhook_verify_replay_init_zone(ngx_edge_shm_t *shm)
{
    ngx_uint_t                            n;
    ngx_http_webhook_verify_replay_sh_t  *sh;

    if (shm->sh) {
        return NGX_OK;
    }

    sh = ngx_slab_alloc(shm->shpool,
                        sizeof(ngx_http_webhook_verify_replay_sh_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    /* a power of two, one a 256 bytes: about one entry a bucket, full */

    for (n = 64; n * 2 <= shm->zone->shm.size / 256; n *= 2) {
        /* void */
    }

    sh->buckets = ngx_slab_calloc(shm->shpool, n * sizeof(void *));
    if (sh->buckets == NULL) {
        return NGX_ERROR;
    }

    sh->mask = n - 1;

    ngx_queue_init(&sh->queue);

    shm->sh = sh;

    return NGX_OK;
}


ngx_http_webhook_verify_replay_e
ngx_http_webhook_verify_replay_reserve(ngx_shm_zone_t *zone,
    ngx_str_t *key, ngx_msec_t hold, ngx_msec_t *left)
{
    size_t                                  size;
    uint32_t                                hash;
    ngx_msec_int_t                          ms;
    ngx_http_webhook_verify_replay_e        rc;
    ngx_http_webhook_verify_replay_sh_t    *sh;
    ngx_http_webhook_verify_replay_ctx_t   *ctx;
    ngx_http_webhook_verify_replay_node_t  *rn;

    ctx = zone->data;
    sh = ctx->sh;
    /* murmur: a quarter of crc32's instructions on a 35-byte MAC key */

    hash = ngx_murmur_hash2(key->data, key->len);

    ngx_shmtx_lock(&ctx->shpool->mutex);

    /* a little of the expiring on every call, so the zone seldom fills */

    (void) ngx_http_webhook_verify_replay_expire(ctx, 2);

    rn = ngx_http_webhook_verify_replay_lookup(ctx, key, hash);

    if (rn) {
        ms = (ngx_msec_int_t) (rn->expires - ngx_current_msec);

        if (ms > 0) {
            *left = ms;
            rc = (rn->state == NGX_HTTP_WEBHOOK_VERIFY_REPLAY_COMMITTED)
                 ? NGX_HTTP_WEBHOOK_VERIFY_REPLAY_DELIVERED
                 : NGX_HTTP_WEBHOOK_VERIFY_REPLAY_IN_FLIGHT;

            ngx_shmtx_unlock(&ctx->shpool->mutex);
            return rc;
        }

        /* expired, not yet swept: taken over */

        ngx_queue_remove(&rn->queue);

    } else {
        size = offsetof(ngx_http_webhook_verify_replay_node_t, key)
               + key->len;

        rn = ngx_slab_alloc_locked(ctx->shpool, size);

        if (rn == NULL
            && ngx_http_webhook_verify_replay_expire(ctx, 0) > 0)
        {
            rn = ngx_slab_alloc_locked(ctx->shpool, size);
        }

        if (rn == NULL) {
            ngx_shmtx_unlock(&ctx->shpool->mutex);
            *left = 0;
            return NGX_HTTP_WEBHOOK_VERIFY_REPLAY_FULL;
        }

        ngx_memcpy(rn->key, key->data, key->len);
        rn->len = (u_char) key->len;
        rn->hash = hash;

        rn->next = sh->buckets[hash & sh->mask];
        sh->buckets[hash & sh->mask] = rn;
    }

    rn->state = NGX_HTTP_WEBHOOK_VERIFY_REPLAY_RESERVED;
    rn->expires = ngx_current_msec + hold;

    ngx_queue_insert_head(&sh->queue, &rn->queue);

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    *left = 0;

    return NGX_HTTP_WEBHOOK_VERIFY_REPLAY_NEW;
}


void
ngx_http_webhook_verify_replay_commit(ngx_shm_zone_t *zone,
    ngx_str_t *key, ngx_msec_t lifetime)
{
    ngx_http_webhook_verify_replay_sh_t    *sh;
    ngx_http_webhook_verify_replay_ctx_t   *ctx;
    ngx_http_webhook_verify_replay_node_t  *rn;

    ctx = zone->data;
    sh = ctx->sh;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    rn = ngx_http_webhook_verify_replay_lookup(ctx, key,
                                     ngx_murmur_hash2(key->data, key->len));

    /* gone only if the delivery outlived its reservation: keep it now */

    if (rn) {
        rn->state = NGX_HTTP_WEBHOOK_VERIFY_REPLAY_COMMITTED;
        rn->expires = ngx_current_msec + lifetime;

        ngx_queue_remove(&rn->queue);
        ngx_queue_insert_head(&sh->queue, &rn->queue);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


void
ngx_http_webhook_verify_replay_release(ngx_shm_zone_t *zone,
    ngx_str_t *key)
{
    ngx_http_webhook_verify_replay_ctx_t   *ctx;
    ngx_http_webhook_verify_replay_node_t  *rn;

    ctx = zone->data;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    rn = ngx_http_webhook_verify_replay_lookup(ctx, key,
                                     ngx_murmur_hash2(key->data, key->len));

    if (rn && rn->state == NGX_HTTP_WEBHOOK_VERIFY_REPLAY_RESERVED) {
        ngx_http_webhook_verify_replay_free(ctx, rn);
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


static ngx_http_webhook_verify_replay_node_t *
ngx_http_webhook_verify_replay_lookup(
    ngx_http_webhook_verify_replay_ctx_t *ctx, ngx_str_t *key, uint32_t hash)
{
    ngx_http_webhook_verify_replay_sh_t    *sh;
    ngx_http_webhook_verify_replay_node_t  *rn;

    sh = ctx->sh;

    for (rn = sh->buckets[hash & sh->mask]; rn; rn = rn->next) {

        if (rn->hash == hash
            && ngx_memn2cmp(key->data, rn->key, key->len, rn->len) == 0)
        {
            return rn;
        }
    }

    return NULL;
}


/*
 * Frees expired entries from the oldest end: at most n of them, or with
 * n == 0 every expired entry (when the zone is full, so that a lifetime
 * longer than the others' cannot hide expired entries behind it).  Never
 * an entry that has not expired.  Returns how many it freed.
 */

static ngx_uint_t
ngx_http_webhook_verify_replay_expire(
    ngx_http_webhook_verify_replay_ctx_t *ctx, ngx_uint_t n)
{
    ngx_uint_t                              freed;
    ngx_queue_t                            *q, *prev;
    ngx_http_webhook_verify_replay_sh_t    *sh;
    ngx_http_webhook_verify_replay_node_t  *rn;

    sh = ctx->sh;
    freed = 0;

    for (q = ngx_queue_last(&sh->queue);
         q != ngx_queue_sentinel(&sh->queue);
         q = prev)
    {
        prev = ngx_queue_prev(q);

        rn = ngx_queue_data(q, ngx_http_webhook_verify_replay_node_t, queue);

        if ((ngx_msec_int_t) (rn->expires - ngx_current_msec) > 0) {
            if (n) {
                break;
            }

            continue;
        }

        ngx_http_webhook_verify_replay_free(ctx, rn);

        if (++freed == n) {
            break;
        }
    }

    return freed;
}


static void
ngx_http_webhook_verify_replay_free(
    ngx_http_webhook_verify_replay_ctx_t *ctx,
    ngx_http_webhook_verify_replay_node_t *rn)
{
    ngx_http_webhook_verify_replay_sh_t     *sh;
    ngx_http_webhook_verify_replay_node_t  **pp;

    sh = ctx->sh;

    for (pp = &sh->buckets[rn->hash & sh->mask]; *pp != rn; pp = &(*pp)->next)
    {
        /* void */
    }

    *pp = rn->next;

    ngx_queue_remove(&rn->queue);
    ngx_slab_free_locked(ctx->shpool, rn);
}
