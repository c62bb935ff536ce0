
/*
 * Counters in a shared-memory zone, printed in Prometheus' text format
 * (version 0.0.4).
 *
 * The configuration registers its series while it is read: a family
 * (name, type, help) and, for each location that counts, the label set
 * it counts under.  The zone's init, in the master at every start and
 * reload, finds each series in the zone or adds it, and hands the
 * series its counter there: a reload keeps every value (the zone is kept
 * as nginx keeps its own), a series that only the new configuration
 * names starts at 0, and one it no longer names stays with its value.
 * A request then counts with one ngx_atomic_fetch_add() and no lock; the
 * slab lock is taken only to add series and to print them.
 */


#ifndef _NGX_EDGE_METRICS_H_INCLUDED_
#define _NGX_EDGE_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


typedef struct ngx_edge_metrics_s  ngx_edge_metrics_t;


/* a metric family: one # HELP and # TYPE for its series */
typedef struct {
    ngx_str_t                     name;
    ngx_str_t                     type;      /* counter, gauge, histogram */
    ngx_str_t                     help;
} ngx_edge_metrics_family_t;


/* a series' handle: value is its counter in the zone, set by the init */
typedef struct {
    ngx_atomic_t                 *value;
    ngx_str_t                     text;      /* name{labels} */
    ngx_edge_metrics_family_t    *family;
    /* counted in ms, printed in seconds (a histogram's _sum) */
    ngx_uint_t                    milli;
    /* a histogram's bucket: bucket_e */
    ngx_uint_t                    bucket;
} ngx_edge_metrics_series_t;


/*
 * A histogram's buckets count apart, each the observations above the
 * bound before it, and are printed cumulative: the first bucket of a
 * histogram starts the sum, each next one adds to it.
 */
typedef enum {
    NGX_EDGE_METRICS_NOT_BUCKET = 0,
    NGX_EDGE_METRICS_FIRST_BUCKET,
    NGX_EDGE_METRICS_NEXT_BUCKET
} ngx_edge_metrics_bucket_e;


/*
 * A histogram of milliseconds, printed in seconds: bucket[i] is printed
 * as the observations up to bounds[i] ms, bucket[n] as all of them
 * (le="+Inf").
 */
typedef struct {
    ngx_uint_t                    n;
    const ngx_msec_t             *bounds;
    ngx_edge_metrics_series_t   **bucket;
    ngx_edge_metrics_series_t    *sum;
    ngx_edge_metrics_series_t    *count;
} ngx_edge_metrics_histogram_t;


/*
 * value is "NAME:SIZE", the argument of directive cmd, tag the owning
 * module: the zone, or NULL after an [emerg].
 */
ngx_edge_metrics_t *ngx_edge_metrics_add_zone(ngx_conf_t *cf,
    ngx_command_t *cmd, ngx_str_t *value, void *tag);

/*
 * The series of family f with labels ("a=\"x\",b=\"y\"", or empty),
 * registered once however many locations ask for it.  Label values must
 * need no escaping: the callers take them from their own tables and from
 * names checked by ngx_edge_metrics_valid_name().
 */
ngx_edge_metrics_series_t *ngx_edge_metrics_add(ngx_conf_t *cf,
    ngx_edge_metrics_t *m, ngx_edge_metrics_family_t *f, const char *suffix,
    ngx_str_t *labels, ngx_uint_t milli);

/*
 * For each of the n names (a table of the caller's: one source for each
 * list of label values), the series of f with labels and label="name";
 * an empty name gets none.  An array of n handles, or NULL.
 */
ngx_edge_metrics_series_t **ngx_edge_metrics_add_each(ngx_conf_t *cf,
    ngx_edge_metrics_t *m, ngx_edge_metrics_family_t *f, ngx_str_t *labels,
    const char *label, ngx_str_t *names, ngx_uint_t n);

/* a histogram of family f, its n bounds in ms ascending */
ngx_edge_metrics_histogram_t *ngx_edge_metrics_add_histogram(ngx_conf_t *cf,
    ngx_edge_metrics_t *m, ngx_edge_metrics_family_t *f, ngx_str_t *labels,
    const ngx_msec_t *bounds, ngx_uint_t n);

/* the observation of ms */
void ngx_edge_metrics_observe(ngx_edge_metrics_histogram_t *h,
    ngx_msec_t ms);

/*
 * Every series of the zone, by family, after head (lines of the
 * caller's own, such as an info gauge), in a buffer of pool.
 */
ngx_buf_t *ngx_edge_metrics_print(ngx_edge_metrics_t *m, ngx_pool_t *pool,
    ngx_str_t *head);

/*
 * NULL, or why name cannot be a label value an operator sets: a
 * letter, then letters, digits, "_", "." or "-", 64 at most.
 */
const char *ngx_edge_metrics_valid_name(u_char *name, size_t len);


#define ngx_edge_metrics_inc(s)                                             \
    (void) ngx_atomic_fetch_add((s)->value, 1)

#define ngx_edge_metrics_add_value(s, n)                                    \
    (void) ngx_atomic_fetch_add((s)->value, (ngx_atomic_int_t) (n))


#endif /* _NGX_EDGE_METRICS_H_INCLUDED_ */
