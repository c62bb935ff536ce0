
/*
 * TLS to the provider: see ngx_http_precancel_tls.h.
 *
 * For each location with precancel_pass, the location nginx will pick for
 * its URI is found the way nginx finds it for the subrequest (the static
 * location tree of the same server, nested locations, then regular
 * expressions), and the proxy module's configuration of that location
 * tells whether it proxies over https and whether it verifies.
 *
 * The proxy module's configuration is private to it; what this file
 * relies on, and why it holds for the nginx the module is built against:
 *
 *   - ngx_http_proxy_loc_conf_t starts with its ngx_http_upstream_conf_t
 *     ("upstream"), as it has in every nginx from 0.x to 1.31 (the
 *     upstream code reaches it as u->conf = &plcf->upstream), so the
 *     proxy module's location configuration can be read as an
 *     ngx_http_upstream_conf_t, laid out by the headers of the very nginx
 *     the module is built against (--with-compat keeps it fixed within a
 *     version);
 *
 *   - in nginx 1.22 (Debian 12) and before, upstream.ssl is allocated and
 *     its SSL_CTX created (ngx_http_proxy_set_ssl()) only for a location
 *     whose own proxy_pass is "https://..." or has variables (the scheme
 *     is then known only at run time), or for an "if" or "limit_except"
 *     block inside one; upstream.ssl_verify is proxy_ssl_verify, merged;
 *     upstream.upstream is NULL when proxy_pass has variables.
 *
 * From nginx 1.23.1 the ngx_ssl_t is shared with the enclosing level when
 * a location sets no proxy_ssl_* directive, so its SSL_CTX may have been
 * made for another location of the server: there a plain-http provider
 * location without proxy_ssl_verify can be warned about too (the remedy,
 * "proxy_ssl_verify on", is harmless for http).  A future nginx that
 * moved "upstream" from the start of its proxy configuration would make
 * this check read the wrong memory: review it when building against a
 * new major version.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_precancel.h"
#include "ngx_http_precancel_request.h"
#include "ngx_http_precancel_tls.h"


#if (NGX_HTTP_SSL)

static void ngx_http_precancel_tls_walk(ngx_conf_t *cf,
    ngx_http_core_loc_conf_t *sclcf, ngx_http_core_loc_conf_t *clcf,
    ngx_module_t *proxy);
static void ngx_http_precancel_tls_walk_tree(ngx_conf_t *cf,
    ngx_http_core_loc_conf_t *sclcf, ngx_http_location_tree_node_t *node,
    ngx_module_t *proxy);
static void ngx_http_precancel_tls_check_pass(ngx_conf_t *cf,
    ngx_http_core_loc_conf_t *sclcf, ngx_http_core_loc_conf_t *clcf,
    ngx_module_t *proxy);
static ngx_int_t ngx_http_precancel_tls_find(ngx_http_core_loc_conf_t *pclcf,
    ngx_str_t *uri, ngx_http_core_loc_conf_t **found);
static ngx_int_t ngx_http_precancel_tls_find_static(
    ngx_http_location_tree_node_t *node, ngx_str_t *uri,
    ngx_http_core_loc_conf_t **found);

#endif


void
ngx_http_precancel_tls_check(ngx_conf_t *cf)
{
#if (NGX_HTTP_SSL)

    ngx_uint_t                   m, s;
    ngx_module_t                *proxy;
    ngx_http_core_loc_conf_t    *sclcf, **clcfp;
    ngx_http_core_srv_conf_t   **cscfp;
    ngx_http_core_main_conf_t   *cmcf;

    /*
     * The proxy module is looked up by name rather than linked to: a
     * warning must not keep the module from loading into an nginx built
     * without the proxy module (there is then nothing to check).
     */

    proxy = NULL;

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (ngx_strcmp(cf->cycle->modules[m]->name, "ngx_http_proxy_module")
            == 0)
        {
            proxy = cf->cycle->modules[m];
            break;
        }
    }

    if (proxy == NULL) {
        return;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        sclcf = cscfp[s]->ctx->loc_conf[ngx_http_core_module.ctx_index];

        ngx_http_precancel_tls_walk(cf, sclcf, sclcf, proxy);

        /* named locations hang off the server and nest no locations */

        if (cscfp[s]->named_locations) {
            for (clcfp = cscfp[s]->named_locations; *clcfp; clcfp++) {
                ngx_http_precancel_tls_check_pass(cf, sclcf, *clcfp, proxy);
            }
        }
    }

#endif
}


void
ngx_http_precancel_tls_check_request(ngx_http_request_t *sr)
{
#if (NGX_HTTP_SSL)

    ngx_http_upstream_t            *u;
    ngx_http_precancel_loc_conf_t  *plcf;

    u = sr->upstream;

    if (u == NULL || !u->ssl || u->conf->ssl_verify
        || u->conf->upstream != NULL)
    {
        return;
    }

    plcf = ngx_http_get_module_loc_conf(sr, ngx_http_precancel_module);

    /* the flag is this worker's own copy of the configuration */

    if (plcf->tls_warned) {
        return;
    }

    plcf->tls_warned = 1;

    ngx_log_error(NGX_LOG_WARN, sr->connection->log, 0,
                  "precancel subrequest \"%V\" went over https without "
                  "\"proxy_ssl_verify on\": the provider's certificate "
                  "was not checked (said once per worker and location)",
                  &sr->uri);

#endif
}


#if (NGX_HTTP_SSL)

/* a location and every location nested in it, static and regex */

static void
ngx_http_precancel_tls_walk(ngx_conf_t *cf, ngx_http_core_loc_conf_t *sclcf,
    ngx_http_core_loc_conf_t *clcf, ngx_module_t *proxy)
{
#if (NGX_PCRE)
    ngx_http_core_loc_conf_t  **clcfp;
#endif

    /* the server level has no loc_conf of its own, nor precancel_pass */

    if (clcf != sclcf) {
        ngx_http_precancel_tls_check_pass(cf, sclcf, clcf, proxy);
    }

    ngx_http_precancel_tls_walk_tree(cf, sclcf, clcf->static_locations,
                                     proxy);

#if (NGX_PCRE)
    if (clcf->regex_locations) {
        for (clcfp = clcf->regex_locations; *clcfp; clcfp++) {
            ngx_http_precancel_tls_walk(cf, sclcf, *clcfp, proxy);
        }
    }
#endif
}


/* each location of a static tree stands in one node, once */

static void
ngx_http_precancel_tls_walk_tree(ngx_conf_t *cf,
    ngx_http_core_loc_conf_t *sclcf, ngx_http_location_tree_node_t *node,
    ngx_module_t *proxy)
{
    if (node == NULL) {
        return;
    }

    if (node->exact) {
        ngx_http_precancel_tls_walk(cf, sclcf, node->exact, proxy);
    }

    if (node->inclusive) {
        ngx_http_precancel_tls_walk(cf, sclcf, node->inclusive, proxy);
    }

    ngx_http_precancel_tls_walk_tree(cf, sclcf, node->left, proxy);
    ngx_http_precancel_tls_walk_tree(cf, sclcf, node->right, proxy);
    ngx_http_precancel_tls_walk_tree(cf, sclcf, node->tree, proxy);
}


static void
ngx_http_precancel_tls_check_pass(ngx_conf_t *cf,
    ngx_http_core_loc_conf_t *sclcf, ngx_http_core_loc_conf_t *clcf,
    ngx_module_t *proxy)
{
    ngx_int_t                       rc;
    ngx_http_upstream_conf_t       *ucf;
    ngx_http_core_loc_conf_t       *found;
    ngx_http_precancel_loc_conf_t  *plcf;

    plcf = clcf->loc_conf[ngx_http_precancel_module.ctx_index];

    if (plcf->uri.len == 0) {
        return;
    }

    found = sclcf;

    rc = ngx_http_precancel_tls_find(sclcf, &plcf->uri, &found);

    if (rc == NGX_DONE || found == sclcf) {
        /* redirected to "uri/", or no location at all: nothing proxied */
        return;
    }

    /* see the top of this file: the proxy configuration starts so */

    ucf = found->loc_conf[proxy->ctx_index];

    if (ucf->ssl == NULL || ucf->ssl->ctx == NULL || ucf->ssl_verify) {
        return;
    }

    /*
     * A proxy_pass with variables (no upstream here) goes to http or
     * https only at run time, and plain http has an SSL_CTX too: it is
     * checked by ngx_http_precancel_tls_check_request() instead, so that
     * a plain-http location is not warned about.
     */

    if (ucf->upstream == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                  "precancel_pass \"%V\" proxies over https without "
                  "\"proxy_ssl_verify on\": the provider's certificate "
                  "is not checked in %V:%ui",
                  &plcf->uri, &plcf->pass_file, plcf->pass_line);
}


/*
 * The location nginx picks for uri below pclcf, in nginx's own order
 * (ngx_http_core_find_location()): the longest static match, the
 * locations nested in it, then the regular expressions unless the match
 * is exact or "^~".  NGX_OK (exact or regex), NGX_AGAIN (prefix), NGX_DONE
 * (an automatic redirect to "uri/") or NGX_DECLINED (*found untouched).
 */

static ngx_int_t
ngx_http_precancel_tls_find(ngx_http_core_loc_conf_t *pclcf, ngx_str_t *uri,
    ngx_http_core_loc_conf_t **found)
{
    ngx_int_t                   rc;
#if (NGX_PCRE)
    ngx_uint_t                  noregex;
    ngx_http_core_loc_conf_t  **clcfp;

    noregex = 0;
#endif

    rc = ngx_http_precancel_tls_find_static(pclcf->static_locations, uri,
                                            found);

    if (rc == NGX_AGAIN) {
#if (NGX_PCRE)
        noregex = (*found)->noregex;
#endif
        rc = ngx_http_precancel_tls_find(*found, uri, found);
    }

    if (rc == NGX_OK || rc == NGX_DONE) {
        return rc;
    }

#if (NGX_PCRE)

    /* no captures are needed: a regex location's variables play no part */

    if (noregex == 0 && pclcf->regex_locations) {
        for (clcfp = pclcf->regex_locations; *clcfp; clcfp++) {
            if (ngx_regex_exec((*clcfp)->regex->regex, uri, NULL, 0) < 0) {
                continue;
            }

            *found = *clcfp;
            (void) ngx_http_precancel_tls_find(*clcfp, uri, found);

            return NGX_OK;
        }
    }

#endif

    return rc;
}


/* a walk of nginx's static location tree, as its lookup makes it */

static ngx_int_t
ngx_http_precancel_tls_find_static(ngx_http_location_tree_node_t *node,
    ngx_str_t *uri, ngx_http_core_loc_conf_t **found)
{
    size_t      len, n;
    u_char     *p;
    ngx_int_t   rc, rv;

    p = uri->data;
    len = uri->len;
    rv = NGX_DECLINED;

    while (node) {
        n = ngx_min(len, (size_t) node->len);

        rc = ngx_filename_cmp(p, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;
            continue;
        }

        if (len > (size_t) node->len) {

            if (node->inclusive == NULL) {
                /* only "location = ..." here: a longer uri goes right */
                node = node->right;
                continue;
            }

            /* a prefix match; a longer one may follow in node->tree */

            *found = node->inclusive;
            rv = NGX_AGAIN;

            p += n;
            len -= n;
            node = node->tree;
            continue;
        }

        if (len == (size_t) node->len) {
            if (node->exact) {
                *found = node->exact;
                return NGX_OK;
            }

            *found = node->inclusive;
            return NGX_AGAIN;
        }

        /* uri is shorter: "/x" against "location /x/" redirects */

        if (len + 1 == (size_t) node->len && node->auto_redirect) {
            *found = node->exact ? node->exact : node->inclusive;
            rv = NGX_DONE;
        }

        node = node->left;
    }

    return rv;
}

#endif
