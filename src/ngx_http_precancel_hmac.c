
/*
 * HMAC over OpenSSL 3's EVP_MAC.  The keyed context is made once; every
 * signature re-initialises it without a key, which makes OpenSSL restore
 * the prepared inner and outer digest states instead of hashing the key
 * again.  Freeing the context cleanses the key material it holds.
 */


#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ngx_http_precancel_hmac.h"


/* "000102...ff": the two lowercase hex digits of every byte value */
static const char  ngx_http_precancel_hex_pairs[] =
    "000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f"
    "505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f"
    "707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f"
    "909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";


struct ngx_http_precancel_hmac_s {
    EVP_MAC_CTX  *ctx;
    size_t        size;
};


ngx_http_precancel_hmac_t *
ngx_http_precancel_hmac_create(const char *digest, const unsigned char *key,
    size_t key_len, const char **failed)
{
    EVP_MAC                    *mac;
    OSSL_PARAM                  params[2];
    ngx_http_precancel_hmac_t  *hmac;

    hmac = OPENSSL_zalloc(sizeof(ngx_http_precancel_hmac_t));
    if (hmac == NULL) {
        *failed = "OPENSSL_zalloc()";
        return NULL;
    }

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) {
        *failed = "EVP_MAC_fetch()";
        goto failed;
    }

    hmac->ctx = EVP_MAC_CTX_new(mac);

    /* the context holds its own reference to the algorithm */
    EVP_MAC_free(mac);

    if (hmac->ctx == NULL) {
        *failed = "EVP_MAC_CTX_new()";
        goto failed;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) digest, 0);
    params[1] = OSSL_PARAM_construct_end();

    if (!EVP_MAC_init(hmac->ctx, key, key_len, params)) {
        *failed = "EVP_MAC_init()";
        goto failed;
    }

    hmac->size = EVP_MAC_CTX_get_mac_size(hmac->ctx);

    if (hmac->size == 0 || hmac->size > NGX_HTTP_PRECANCEL_HMAC_MAX_HEX / 2) {
        *failed = "EVP_MAC_CTX_get_mac_size()";
        goto failed;
    }

    return hmac;

failed:

    ngx_http_precancel_hmac_free(hmac);

    return NULL;
}


void
ngx_http_precancel_hmac_free(ngx_http_precancel_hmac_t *hmac)
{
    if (hmac == NULL) {
        return;
    }

    EVP_MAC_CTX_free(hmac->ctx);
    OPENSSL_free(hmac);
}


size_t
ngx_http_precancel_hmac_hex_len(const ngx_http_precancel_hmac_t *hmac)
{
    return 2 * hmac->size;
}


int
ngx_http_precancel_hmac_hex(ngx_http_precancel_hmac_t *hmac,
    const unsigned char *data, size_t len, unsigned char *hex,
    const char **failed)
{
    size_t         i, n;
    unsigned char  md[NGX_HTTP_PRECANCEL_HMAC_MAX_HEX / 2];

    /* no key: restore the keyed state prepared by create() */

    if (!EVP_MAC_init(hmac->ctx, NULL, 0, NULL)) {
        *failed = "EVP_MAC_init()";
        return -1;
    }

    if (!EVP_MAC_update(hmac->ctx, data, len)) {
        *failed = "EVP_MAC_update()";
        return -1;
    }

    if (!EVP_MAC_final(hmac->ctx, md, &n, sizeof(md)) || n != hmac->size) {
        *failed = "EVP_MAC_final()";
        return -1;
    }

    /* two hex digits a byte, one look-up */

    for (i = 0; i < n; i++) {
        memcpy(hex, &ngx_http_precancel_hex_pairs[2 * md[i]], 2);
        hex += 2;
    }

    return 0;
}
