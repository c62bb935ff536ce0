
/*
 * Secret files: read by the master at configuration time, never by a
 * worker, and turned into a keyed HMAC context at once (cleansed when the
 * configuration is freed).  The precancel providers also keep the forms
 * the secret could come back in from a provider (raw, Base64, percent-
 * encoded: ngx_http_precancel_redact.h), so that provider text is cleared
 * of them before it is logged; those copies are cleansed with the
 * configuration as well.  Shared by every outbound provider and by the
 * inbound webhook verifier.
 */


#ifndef _NGX_EDGE_SECRET_H_INCLUDED_
#define _NGX_EDGE_SECRET_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_edge_hmac.h"


#define NGX_EDGE_SECRET_MAX  4096


/*
 * Reads the file into buf (NGX_EDGE_SECRET_MAX + 1 bytes) without
 * its trailing white space; "what" names the secret in [emerg] lines
 * ("precancel private key").  The name is made absolute in place (against
 * the prefix).  A regular file, not empty, at most NGX_EDGE_SECRET_MAX
 * bytes; a [warn] when other users can read it.  Errors never quote the
 * file's bytes.  The caller cleanses buf.
 */
ngx_int_t ngx_edge_secret_read(ngx_conf_t *cf, ngx_str_t *file,
    const char *what, u_char *buf, size_t *len);

/*
 * An HMAC context keyed with key[0..len) for digest ("SHA512"), freed
 * (and so cleansed) with cf->pool.  Cleanses key before it returns.
 */
ngx_edge_hmac_t *ngx_edge_secret_hmac(ngx_conf_t *cf,
    const char *digest, u_char *key, size_t len, const char *what,
    ngx_str_t *file);


#endif /* _NGX_EDGE_SECRET_H_INCLUDED_ */
