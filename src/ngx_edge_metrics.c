
/*
 * Counters in a shared-memory zone (see ngx_edge_metrics.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_edge_shm.h"
#include "ngx_edge_metrics.h"


#define NGX_EDGE_METRICS_NAME_MAX  64


struct ngx_edge_metrics_s {
    ngx_edge_shm_t               *shm;
    /* what the configuration counts, in order: series_t * */
    ngx_array_t                   series;
};


/* in the zone */

typedef struct {
    ngx_queue_t                   families;
} ngx_edge_metrics_sh_t;


typedef struct {
    ngx_queue_t                   queue;
    ngx_queue_t                   series;
    ngx_str_t                     name;
    ngx_str_t                     head;      /* # HELP and # TYPE lines */
} ngx_edge_metrics_shfamily_t;


typedef struct {
    ngx_queue_t                   queue;
    ngx_atomic_t                  value;
    ngx_uint_t                    milli;
    ngx_uint_t                    bucket;
    ngx_str_t                     text;
} ngx_edge_metrics_shseries_t;


static ngx_int_t ngx_edge_metrics_init_zone(ngx_edge_shm_t *shm);
static ngx_int_t ngx_edge_metrics_attach(ngx_edge_shm_t *shm,
    ngx_edge_metrics_sh_t *sh, ngx_edge_metrics_series_t *s);
static ngx_edge_metrics_shfamily_t *ngx_edge_metrics_family_in_zone(
    ngx_edge_shm_t *shm, ngx_edge_metrics_sh_t *sh,
    ngx_edge_metrics_family_t *f);
static u_char *ngx_edge_metrics_copy(ngx_slab_pool_t *shpool, ngx_str_t *dst,
    size_t len);


ngx_edge_metrics_t *
ngx_edge_metrics_add_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value, void *tag)
{
    ngx_edge_shm_t      *shm;
    ngx_edge_metrics_t  *m;

    m = ngx_pcalloc(cf->pool, sizeof(ngx_edge_metrics_t));
    if (m == NULL) {
        return NULL;
    }

    if (ngx_array_init(&m->series, cf->pool, 64,
                       sizeof(ngx_edge_metrics_series_t *))
        != NGX_OK)
    {
        return NULL;
    }

    shm = ngx_edge_shm_add(cf, cmd, value, 0, tag,
                           ngx_edge_metrics_init_zone);
    if (shm == NULL) {
        return NULL;
    }

    shm->data = m;
    m->shm = shm;

    return m;
}


ngx_edge_metrics_series_t *
ngx_edge_metrics_add(ngx_conf_t *cf, ngx_edge_metrics_t *m,
    ngx_edge_metrics_family_t *f, const char *suffix, ngx_str_t *labels,
    ngx_uint_t milli)
{
    u_char                      *p;
    size_t                       len;
    ngx_uint_t                   i;
    ngx_edge_metrics_series_t  **sp, *s;

    len = f->name.len + ngx_strlen(suffix) + labels->len + sizeof("{}") - 1;

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NULL;
    }

    if (labels->len) {
        len = ngx_sprintf(p, "%V%s{%V}", &f->name, suffix, labels) - p;

    } else {
        len = ngx_sprintf(p, "%V%s", &f->name, suffix) - p;
    }

    /* two locations of one name share their series */

    sp = m->series.elts;

    for (i = 0; i < m->series.nelts; i++) {
        if (sp[i]->text.len == len
            && ngx_memcmp(sp[i]->text.data, p, len) == 0)
        {
            return sp[i];
        }
    }

    s = ngx_pcalloc(cf->pool, sizeof(ngx_edge_metrics_series_t));
    if (s == NULL) {
        return NULL;
    }

    s->text.data = p;
    s->text.len = len;
    s->family = f;
    s->milli = milli;

    sp = ngx_array_push(&m->series);
    if (sp == NULL) {
        return NULL;
    }

    *sp = s;

    return s;
}


ngx_edge_metrics_series_t **
ngx_edge_metrics_add_each(ngx_conf_t *cf, ngx_edge_metrics_t *m,
    ngx_edge_metrics_family_t *f, ngx_str_t *labels, const char *label,
    ngx_str_t *names, ngx_uint_t n)
{
    ngx_str_t                    l;
    ngx_uint_t                   i;
    ngx_edge_metrics_series_t  **s;
    u_char                       buf[NGX_MAX_CONF_ERRSTR];

    s = ngx_pcalloc(cf->pool, n * sizeof(ngx_edge_metrics_series_t *));
    if (s == NULL) {
        return NULL;
    }

    l.data = buf;

    for (i = 0; i < n; i++) {
        if (names[i].len == 0) {
            continue;
        }

        l.len = ngx_snprintf(buf, sizeof(buf), "%V%s%s=\"%V\"", labels,
                             labels->len ? "," : "", label, &names[i])
                - buf;

        s[i] = ngx_edge_metrics_add(cf, m, f, "", &l, 0);
        if (s[i] == NULL) {
            return NULL;
        }
    }

    return s;
}


ngx_edge_metrics_histogram_t *
ngx_edge_metrics_add_histogram(ngx_conf_t *cf, ngx_edge_metrics_t *m,
    ngx_edge_metrics_family_t *f, ngx_str_t *labels,
    const ngx_msec_t *bounds, ngx_uint_t n)
{
    u_char                        *p;
    ngx_str_t                      l;
    ngx_uint_t                     i;
    ngx_edge_metrics_histogram_t  *h;

    h = ngx_pcalloc(cf->pool, sizeof(ngx_edge_metrics_histogram_t));
    if (h == NULL) {
        return NULL;
    }

    h->bucket = ngx_pcalloc(cf->pool,
                            (n + 1) * sizeof(ngx_edge_metrics_series_t *));
    if (h->bucket == NULL) {
        return NULL;
    }

    h->n = n;
    h->bounds = bounds;

    /* labels, then le="seconds" with the ms as three decimals */

    l.data = ngx_pnalloc(cf->pool, labels->len
                                   + sizeof(",le=\".\"") - 1
                                   + NGX_INT_T_LEN + 3);
    if (l.data == NULL) {
        return NULL;
    }

    for (i = 0; i <= n; i++) {
        p = ngx_sprintf(l.data, "%V%s", labels, labels->len ? "," : "");

        if (i == n) {
            p = ngx_sprintf(p, "le=\"+Inf\"");

        } else {
            p = ngx_sprintf(p, "le=\"%M.%03M", bounds[i] / 1000,
                            bounds[i] % 1000);

            /* 0.05, not 0.050; 1, not 1.000 */

            while (p[-1] == '0') {
                p--;
            }

            if (p[-1] == '.') {
                p--;
            }

            *p++ = '"';
        }

        l.len = p - l.data;

        h->bucket[i] = ngx_edge_metrics_add(cf, m, f, "_bucket", &l, 0);
        if (h->bucket[i] == NULL) {
            return NULL;
        }

        h->bucket[i]->bucket = (i == 0) ? NGX_EDGE_METRICS_FIRST_BUCKET
                                        : NGX_EDGE_METRICS_NEXT_BUCKET;
    }

    h->sum = ngx_edge_metrics_add(cf, m, f, "_sum", labels, 1);
    h->count = ngx_edge_metrics_add(cf, m, f, "_count", labels, 0);

    if (h->sum == NULL || h->count == NULL) {
        return NULL;
    }

    return h;
}


/*
 * One bucket, the sum and the count: three atomic additions, whatever
 * the number of buckets (kept cumulative, an observation would add to
 * every bucket above it); the scrape sums them.
 */

void
ngx_edge_metrics_observe(ngx_edge_metrics_histogram_t *h, ngx_msec_t ms)
{
    ngx_uint_t  i;

    for (i = 0; i < h->n && ms > h->bounds[i]; i++) { /* void */ }

    ngx_edge_metrics_inc(h->bucket[i]);
    ngx_edge_metrics_add_value(h->sum, ms);
    ngx_edge_metrics_inc(h->count);
}


ngx_buf_t *
ngx_edge_metrics_print(ngx_edge_metrics_t *m, ngx_pool_t *pool,
    ngx_str_t *head)
{
    size_t                        len;
    ngx_buf_t                    *b;
    ngx_queue_t                  *fq, *sq;
    ngx_atomic_uint_t             v, acc;
    ngx_slab_pool_t              *shpool;
    ngx_edge_metrics_sh_t        *sh;
    ngx_edge_metrics_shseries_t  *ss;
    ngx_edge_metrics_shfamily_t  *sf;

    shpool = m->shm->shpool;
    sh = m->shm->sh;

    /* the master may be adding series for a reload meanwhile */

    ngx_shmtx_lock(&shpool->mutex);

    len = head->len;

    for (fq = ngx_queue_head(&sh->families);
         fq != ngx_queue_sentinel(&sh->families);
         fq = ngx_queue_next(fq))
    {
        sf = ngx_queue_data(fq, ngx_edge_metrics_shfamily_t, queue);
        len += sf->head.len;

        for (sq = ngx_queue_head(&sf->series);
             sq != ngx_queue_sentinel(&sf->series);
             sq = ngx_queue_next(sq))
        {
            ss = ngx_queue_data(sq, ngx_edge_metrics_shseries_t, queue);
            len += ss->text.len + sizeof(" .000\n") - 1 + NGX_ATOMIC_T_LEN;
        }
    }

    b = ngx_create_temp_buf(pool, len);
    if (b == NULL) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NULL;
    }

    b->last = ngx_cpymem(b->last, head->data, head->len);

    acc = 0;

    for (fq = ngx_queue_head(&sh->families);
         fq != ngx_queue_sentinel(&sh->families);
         fq = ngx_queue_next(fq))
    {
        sf = ngx_queue_data(fq, ngx_edge_metrics_shfamily_t, queue);
        b->last = ngx_cpymem(b->last, sf->head.data, sf->head.len);

        for (sq = ngx_queue_head(&sf->series);
             sq != ngx_queue_sentinel(&sf->series);
             sq = ngx_queue_next(sq))
        {
            ss = ngx_queue_data(sq, ngx_edge_metrics_shseries_t, queue);
            v = ss->value;

            /* a histogram's buckets follow each other, from the first */

            if (ss->bucket == NGX_EDGE_METRICS_FIRST_BUCKET) {
                acc = v;

            } else if (ss->bucket == NGX_EDGE_METRICS_NEXT_BUCKET) {
                acc += v;
                v = acc;
            }

            if (ss->milli) {
                b->last = ngx_sprintf(b->last, "%V %uA.%03uA\n", &ss->text,
                                      v / 1000, v % 1000);

            } else {
                b->last = ngx_sprintf(b->last, "%V %uA\n", &ss->text, v);
            }
        }
    }

    ngx_shmtx_unlock(&shpool->mutex);

    return b;
}


const char *
ngx_edge_metrics_valid_name(u_char *name, size_t len)
{
    size_t  i;
    u_char  c;

    if (len == 0) {
        return "is empty";
    }

    if (len > NGX_EDGE_METRICS_NAME_MAX) {
        return "is longer than 64 characters";
    }

    for (i = 0; i < len; i++) {
        c = name[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            continue;
        }

        if (i == 0) {
            return "does not start with a letter";
        }

        if ((c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-') {
            continue;
        }

        return "has a character other than a letter, a digit, "
               "\"_\", \".\" or \"-\"";
    }

    return NULL;
}


/*
 * At every start and reload: each series the configuration counts gets
 * its counter, the one the zone already has or a new one at 0.
 */

static ngx_int_t
ngx_edge_metrics_init_zone(ngx_edge_shm_t *shm)
{
    ngx_int_t                    rc;
    ngx_uint_t                   i;
    ngx_edge_metrics_t          *m;
    ngx_edge_metrics_sh_t       *sh;
    ngx_edge_metrics_series_t  **sp;

    m = shm->data;
    sh = shm->sh;

    if (sh == NULL) {
        sh = ngx_slab_alloc(shm->shpool, sizeof(ngx_edge_metrics_sh_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        ngx_queue_init(&sh->families);
        shm->sh = sh;
    }

    rc = NGX_OK;
    sp = m->series.elts;

    ngx_shmtx_lock(&shm->shpool->mutex);

    for (i = 0; i < m->series.nelts; i++) {
        rc = ngx_edge_metrics_attach(shm, sh, sp[i]);
        if (rc != NGX_OK) {
            break;
        }
    }

    ngx_shmtx_unlock(&shm->shpool->mutex);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_EMERG, shm->zone->shm.log, 0,
                      "\"%V\" zone \"%V\" is too small for its %ui series "
                      "(and those kept from earlier configurations)",
                      &shm->directive, &shm->zone->shm.name,
                      m->series.nelts);
    }

    return rc;
}


/* called with the slab lock held */

static ngx_int_t
ngx_edge_metrics_attach(ngx_edge_shm_t *shm, ngx_edge_metrics_sh_t *sh,
    ngx_edge_metrics_series_t *s)
{
    u_char                       *p;
    ngx_queue_t                  *q;
    ngx_edge_metrics_shseries_t  *ss;
    ngx_edge_metrics_shfamily_t  *sf;

    sf = ngx_edge_metrics_family_in_zone(shm, sh, s->family);
    if (sf == NULL) {
        return NGX_ERROR;
    }

    for (q = ngx_queue_head(&sf->series);
         q != ngx_queue_sentinel(&sf->series);
         q = ngx_queue_next(q))
    {
        ss = ngx_queue_data(q, ngx_edge_metrics_shseries_t, queue);

        if (ss->text.len == s->text.len
            && ngx_memcmp(ss->text.data, s->text.data, s->text.len) == 0)
        {
            s->value = &ss->value;
            return NGX_OK;
        }
    }

    ss = ngx_slab_calloc_locked(shm->shpool,
                                sizeof(ngx_edge_metrics_shseries_t));
    if (ss == NULL) {
        return NGX_ERROR;
    }

    p = ngx_edge_metrics_copy(shm->shpool, &ss->text, s->text.len);
    if (p == NULL) {
        ngx_slab_free_locked(shm->shpool, ss);
        return NGX_ERROR;
    }

    ngx_memcpy(p, s->text.data, s->text.len);
    ss->milli = s->milli;
    ss->bucket = s->bucket;

    /* at the family's end: a family's lines stay together */

    ngx_queue_insert_tail(&sf->series, &ss->queue);

    s->value = &ss->value;

    return NGX_OK;
}


static ngx_edge_metrics_shfamily_t *
ngx_edge_metrics_family_in_zone(ngx_edge_shm_t *shm,
    ngx_edge_metrics_sh_t *sh, ngx_edge_metrics_family_t *f)
{
    u_char                       *p;
    ngx_queue_t                  *q;
    ngx_edge_metrics_shfamily_t  *sf;

    for (q = ngx_queue_last(&sh->families);
         q != ngx_queue_sentinel(&sh->families);
         q = ngx_queue_prev(q))
    {
        sf = ngx_queue_data(q, ngx_edge_metrics_shfamily_t, queue);

        if (sf->name.len == f->name.len
            && ngx_memcmp(sf->name.data, f->name.data, f->name.len) == 0)
        {
            return sf;
        }
    }

    sf = ngx_slab_calloc_locked(shm->shpool,
                                sizeof(ngx_edge_metrics_shfamily_t));
    if (sf == NULL) {
        return NULL;
    }

    p = ngx_edge_metrics_copy(shm->shpool, &sf->head,
                              sizeof("# HELP  \n# TYPE  \n") - 1
                              + 2 * f->name.len + f->help.len + f->type.len);
    if (p == NULL) {
        ngx_slab_free_locked(shm->shpool, sf);
        return NULL;
    }

    ngx_sprintf(p, "# HELP %V %V\n# TYPE %V %V\n", &f->name, &f->help,
                &f->name, &f->type);

    /* the name is the head's, after "# HELP " */

    sf->name.data = p + sizeof("# HELP ") - 1;
    sf->name.len = f->name.len;

    ngx_queue_init(&sf->series);
    ngx_queue_insert_tail(&sh->families, &sf->queue);

    return sf;
}


static u_char *
ngx_edge_metrics_copy(ngx_slab_pool_t *shpool, ngx_str_t *dst, size_t len)
{
    dst->data = ngx_slab_alloc_locked(shpool, len);
    if (dst->data == NULL) {
        return NULL;
    }

    dst->len = len;

    return dst->data;
}
