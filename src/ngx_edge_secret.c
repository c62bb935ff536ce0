
/*
 * Secret files for the precancel providers and the webhook verifier:
 * see ngx_edge_secret.h.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/crypto.h>

#include "ngx_edge_secret.h"


static void ngx_edge_secret_cleanup(void *data);


ngx_int_t
ngx_edge_secret_read(ngx_conf_t *cf, ngx_str_t *file,
    const char *what, u_char *buf, size_t *len)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_info_t  fi;

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(file->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s file \"%V\" cannot be opened", what, file);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", file);
        goto failed;
    }

    if (!ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s file \"%V\" is not a regular file",
                           what, file);
        goto failed;
    }

    if (ngx_file_size(&fi) > NGX_EDGE_SECRET_MAX) {
        goto too_large;
    }

    if (ngx_file_access(&fi) & 0004) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "%s file \"%V\" can be read by other users",
                           what, file);
    }

    n = ngx_read_fd(fd, buf, NGX_EDGE_SECRET_MAX + 1);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", file);
        goto failed;
    }

    /* the file may have grown since ngx_fd_info() */

    if (n > NGX_EDGE_SECRET_MAX) {
        goto too_large;
    }

    /* a final newline is not part of a key */

    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                     || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
    {
        n--;
    }

    if (n == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s file \"%V\" is empty", what, file);
        goto failed;
    }

    *len = n;

    (void) ngx_close_file(fd);

    return NGX_OK;

too_large:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%s file \"%V\" is larger than %d bytes",
                       what, file, NGX_EDGE_SECRET_MAX);

failed:

    (void) ngx_close_file(fd);

    return NGX_ERROR;
}


ngx_edge_hmac_t *
ngx_edge_secret_hmac(ngx_conf_t *cf, const char *digest, u_char *key,
    size_t len, const char *what, ngx_str_t *file)
{
    const char                 *failed;
    ngx_pool_cleanup_t         *cln;
    ngx_edge_hmac_t            *hmac;

    cln = ngx_pool_cleanup_add(cf->pool, 0);

    hmac = cln ? ngx_edge_hmac_create(digest, key, len, &failed)
               : NULL;

    OPENSSL_cleanse(key, len);

    if (cln == NULL) {
        return NULL;
    }

    if (hmac == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s failed for %s \"%V\"",
                           failed, what, file);
        return NULL;
    }

    /* freeing the MAC context cleanses the key material OpenSSL holds */

    cln->handler = ngx_edge_secret_cleanup;
    cln->data = hmac;

    return hmac;
}


static void
ngx_edge_secret_cleanup(void *data)
{
    ngx_edge_hmac_free(data);
}
