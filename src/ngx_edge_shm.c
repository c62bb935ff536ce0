
/*
 * A named shared-memory zone (see ngx_edge_shm.h).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_edge_shm.h"


static ngx_int_t ngx_edge_shm_init_zone(ngx_shm_zone_t *zone, void *data);


ngx_edge_shm_t *
ngx_edge_shm_add(ngx_conf_t *cf, ngx_command_t *cmd, ngx_str_t *value,
    size_t min, void *tag, ngx_edge_shm_init_pt init)
{
    u_char          *p;
    ssize_t          size;
    ngx_str_t        name, s;
    ngx_edge_shm_t  *shm;

    p = (u_char *) ngx_strlchr(value->data, value->data + value->len, ':');

    if (p == NULL || p == value->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone \"%V\" in \"%V\": expected "
                           "NAME:SIZE", value, &cmd->name);
        return NULL;
    }

    name.data = value->data;
    name.len = p - value->data;

    s.data = p + 1;
    s.len = value->data + value->len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid zone size \"%V\" in \"%V\"", &s,
                           &cmd->name);
        return NULL;
    }

    min = ngx_max(min, 8 * ngx_pagesize);

    if ((size_t) size < min) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" in \"%V\" is too small: at least "
                           "%uzk", &name, &cmd->name, min / 1024);
        return NULL;
    }

    shm = ngx_pcalloc(cf->pool, sizeof(ngx_edge_shm_t));
    if (shm == NULL) {
        return NULL;
    }

    shm->zone = ngx_shared_memory_add(cf, &name, size, tag);
    if (shm->zone == NULL) {
        return NULL;
    }

    if (shm->zone->data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" in \"%V\" is duplicate", &name,
                           &cmd->name);
        return NULL;
    }

    shm->init = init;
    shm->directive = cmd->name;

    shm->zone->init = ngx_edge_shm_init_zone;
    shm->zone->data = shm;

    return shm;
}


ngx_shm_zone_t *
ngx_edge_shm_get(ngx_conf_t *cf, ngx_str_t *name, void *tag)
{
    return ngx_shared_memory_add(cf, name, 0, tag);
}


/* a reload keeps the zone, and with it what the old configuration kept */

static ngx_int_t
ngx_edge_shm_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_edge_shm_t  *oshm = data;

    size_t           len;
    ngx_edge_shm_t  *shm;

    shm = zone->data;

    if (oshm) {
        shm->shpool = oshm->shpool;
        shm->sh = oshm->sh;
        return shm->init(shm);
    }

    shm->shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        /* Windows: a worker attaching to the master's zone */
        shm->sh = shm->shpool->data;
        return shm->init(shm);
    }

    len = sizeof(" in \"\" zone \"\"") + shm->directive.len
          + zone->shm.name.len;

    shm->shpool->log_ctx = ngx_slab_alloc(shm->shpool, len);
    if (shm->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shm->shpool->log_ctx, " in \"%V\" zone \"%V\"%Z",
                &shm->directive, &zone->shm.name);

    /* a full zone is an answer of its own, not a line per request */

    shm->shpool->log_nomem = 0;

    shm->sh = NULL;

    if (shm->init(shm) != NGX_OK || shm->sh == NULL) {
        return NGX_ERROR;
    }

    shm->shpool->data = shm->sh;

    return NGX_OK;
}
