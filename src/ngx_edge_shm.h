
/*
 * A named shared-memory zone of the module's, as nginx's own zones are
 * (limit_req, upstream zone): declared by a "NAME:SIZE" directive, shared
 * by every worker, kept across a reload when its name and size stay.  The
 * replay guard's zone and the metrics zone are both made by it.
 */


#ifndef _NGX_EDGE_SHM_H_INCLUDED_
#define _NGX_EDGE_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


typedef struct ngx_edge_shm_s  ngx_edge_shm_t;

/*
 * Called in the master once the zone is mapped, at every start and
 * reload: in a new zone shm->sh is NULL, and the owner allocates its
 * data (ngx_slab_alloc) and sets shm->sh; in a zone kept over a reload,
 * shm->sh is the data as the old configuration left it.
 */
typedef ngx_int_t (*ngx_edge_shm_init_pt)(ngx_edge_shm_t *shm);


struct ngx_edge_shm_s {
    ngx_shm_zone_t        *zone;
    ngx_slab_pool_t       *shpool;
    void                  *sh;
    ngx_edge_shm_init_pt   init;
    /* the directive, for the slab's "no memory" lines and for errors */
    ngx_str_t              directive;
    /* the owner's, at configuration time */
    void                  *data;
};


/*
 * value is "NAME:SIZE", the argument of directive cmd; tag is the owning
 * module.  Logs an [emerg] and returns NULL when the value is invalid, the
 * size below min, or the name taken by another directive of tag.
 */
ngx_edge_shm_t *ngx_edge_shm_add(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_str_t *value, size_t min, void *tag, ngx_edge_shm_init_pt init);

/*
 * The zone called name, for a directive that uses it: its size and
 * kind come from the directive that declares it, wherever that is in
 * the configuration; nginx reports a name nobody declares.
 */
ngx_shm_zone_t *ngx_edge_shm_get(ngx_conf_t *cf, ngx_str_t *name,
    void *tag);


#endif /* _NGX_EDGE_SHM_H_INCLUDED_ */
