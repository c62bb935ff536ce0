
/*
 * Pure HMAC signer of the precancel module over OpenSSL 3's EVP_MAC.
 * The key schedule is prepared once (at configuration time); each
 * signature then starts from a copy of the prepared state.
 */


#ifndef _NGX_HTTP_PRECANCEL_HMAC_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_HMAC_H_INCLUDED_


#include <stddef.h>


#define NGX_HTTP_PRECANCEL_HMAC_MAX_HEX  (2 * 64)


typedef struct ngx_http_precancel_hmac_s  ngx_http_precancel_hmac_t;


/*
 * digest is an OpenSSL digest name ("SHA512", "SHA256").  Returns NULL on
 * failure and sets *failed to the name of the OpenSSL call that failed.
 * The caller may cleanse its copy of the key as soon as this returns.
 */
ngx_http_precancel_hmac_t *ngx_http_precancel_hmac_create(const char *digest,
    const unsigned char *key, size_t key_len, const char **failed);

void ngx_http_precancel_hmac_free(ngx_http_precancel_hmac_t *hmac);

/* number of hex digits a signature has (twice the digest size) */
size_t ngx_http_precancel_hmac_hex_len(const ngx_http_precancel_hmac_t *hmac);

/*
 * Writes the lowercase hex MAC of data into hex (hex_len() bytes, no NUL).
 * It reuses the keyed state in hmac, so one hmac serves one thread.
 * Returns 0, or -1 with *failed naming the OpenSSL call that failed.
 */
int ngx_http_precancel_hmac_hex(ngx_http_precancel_hmac_t *hmac,
    const unsigned char *data, size_t len, unsigned char *hex,
    const char **failed);


#endif /* _NGX_HTTP_PRECANCEL_HMAC_H_INCLUDED_ */
