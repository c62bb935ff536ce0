
/*
 * HMAC over OpenSSL 3's EVP_MAC.  The keyed context is made once; every
 * signature re-initialises it without a key, which makes OpenSSL restore
 * the prepared inner and outer digest states instead of hashing the key
 * again.  A copy made with EVP_MAC_CTX_dup() carries those states too, so
 * a body hashed across several events needs no key of its own.  Freeing
 * a context cleanses the key material it holds.
 *
 * Copying a keyed context costs OpenSSL about a dozen allocations (the
 * MAC's context, HMAC's and its three digest contexts with their states),
 * and freeing it as many: more than hashing a small message.  So a copy
 * that is given back goes on a list of the keyed context it came from
 * and serves the next message from there, re-initialised like the keyed
 * one itself.
 */


#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "ngx_edge_codec.h"
#include "ngx_edge_hmac.h"


struct ngx_edge_hmac_s {
    EVP_MAC_CTX      *ctx;
    size_t            size;

    /* a copy from dup(): the keyed context it goes back to */
    ngx_edge_hmac_t  *origin;

    /* a keyed context: the copies it keeps; a kept copy: the next one */
    ngx_edge_hmac_t  *kept;
    ngx_edge_hmac_t  *next;
    size_t            nkept;
};


struct ngx_edge_digest_s {
    EVP_MD_CTX   *ctx;
    size_t        size;
};


ngx_edge_hmac_t *
ngx_edge_hmac_create(const char *digest, const unsigned char *key,
    size_t key_len, const char **failed)
{
    EVP_MAC                    *mac;
    OSSL_PARAM                  params[2];
    ngx_edge_hmac_t            *hmac;

    hmac = OPENSSL_zalloc(sizeof(ngx_edge_hmac_t));
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

    if (hmac->size == 0 || hmac->size > NGX_HTTP_PRECANCEL_HMAC_MAX) {
        *failed = "EVP_MAC_CTX_get_mac_size()";
        goto failed;
    }

    return hmac;

failed:

    ngx_edge_hmac_free(hmac);

    return NULL;
}


ngx_edge_hmac_t *
ngx_edge_hmac_dup(ngx_edge_hmac_t *hmac, const char **failed)
{
    ngx_edge_hmac_t  *copy;

    copy = hmac->kept;

    if (copy) {
        hmac->kept = copy->next;
        hmac->nkept--;
        copy->next = NULL;

    } else {
        copy = OPENSSL_zalloc(sizeof(ngx_edge_hmac_t));
        if (copy == NULL) {
            *failed = "OPENSSL_zalloc()";
            return NULL;
        }

        copy->ctx = EVP_MAC_CTX_dup(hmac->ctx);
        copy->size = hmac->size;
        copy->origin = hmac;

        if (copy->ctx == NULL) {
            *failed = "EVP_MAC_CTX_dup()";
            OPENSSL_free(copy);
            return NULL;
        }
    }

    /*
     * The original may be in the middle of another message, a kept copy
     * is where its last message left it.
     */

    if (ngx_edge_hmac_init(copy, failed) != 0) {
        ngx_edge_hmac_free(copy);
        return NULL;
    }

    return copy;
}


void
ngx_edge_hmac_release(ngx_edge_hmac_t *copy)
{
    ngx_edge_hmac_t  *origin;

    if (copy == NULL) {
        return;
    }

    origin = copy->origin;

    if (origin == NULL || origin->nkept >= NGX_EDGE_HMAC_KEEP) {
        ngx_edge_hmac_free(copy);
        return;
    }

    copy->next = origin->kept;
    origin->kept = copy;
    origin->nkept++;
}


void
ngx_edge_hmac_free(ngx_edge_hmac_t *hmac)
{
    ngx_edge_hmac_t  *copy;

    if (hmac == NULL) {
        return;
    }

    while (hmac->kept) {
        copy = hmac->kept;
        hmac->kept = copy->next;
        ngx_edge_hmac_free(copy);
    }

    EVP_MAC_CTX_free(hmac->ctx);
    OPENSSL_free(hmac);
}


size_t
ngx_edge_hmac_hex_len(const ngx_edge_hmac_t *hmac)
{
    return 2 * hmac->size;
}


int
ngx_edge_hmac_init(ngx_edge_hmac_t *hmac,
    const char **failed)
{
    /* no key: restore the keyed state prepared by create() */

    if (!EVP_MAC_init(hmac->ctx, NULL, 0, NULL)) {
        *failed = "EVP_MAC_init()";
        return -1;
    }

    return 0;
}


int
ngx_edge_hmac_update(ngx_edge_hmac_t *hmac,
    const unsigned char *data, size_t len, const char **failed)
{
    if (!EVP_MAC_update(hmac->ctx, data, len)) {
        *failed = "EVP_MAC_update()";
        return -1;
    }

    return 0;
}


int
ngx_edge_hmac_final(ngx_edge_hmac_t *hmac,
    unsigned char *md, const char **failed)
{
    size_t  n;

    if (!EVP_MAC_final(hmac->ctx, md, &n, hmac->size) || n != hmac->size) {
        *failed = "EVP_MAC_final()";
        return -1;
    }

    return 0;
}


int
ngx_edge_hmac_hex(ngx_edge_hmac_t *hmac,
    const unsigned char *data, size_t len, unsigned char *hex,
    const char **failed)
{
    unsigned char  md[NGX_HTTP_PRECANCEL_HMAC_MAX];

    if (ngx_edge_hmac_init(hmac, failed) != 0
        || ngx_edge_hmac_update(hmac, data, len, failed) != 0
        || ngx_edge_hmac_final(hmac, md, failed) != 0)
    {
        return -1;
    }

    ngx_edge_hex_encode(hex, md, hmac->size);

    return 0;
}


ngx_edge_digest_t *
ngx_edge_digest_create(const char *digest, const char **failed)
{
    int                           size;
    EVP_MD                       *type;
    ngx_edge_digest_t            *md;

    md = OPENSSL_zalloc(sizeof(ngx_edge_digest_t));
    if (md == NULL) {
        *failed = "OPENSSL_zalloc()";
        return NULL;
    }

    type = EVP_MD_fetch(NULL, digest, NULL);
    if (type == NULL) {
        *failed = "EVP_MD_fetch()";
        goto failed;
    }

    md->ctx = EVP_MD_CTX_new();

    if (md->ctx == NULL) {
        EVP_MD_free(type);
        *failed = "EVP_MD_CTX_new()";
        goto failed;
    }

    /* the context holds its own reference to the algorithm */

    if (!EVP_DigestInit_ex2(md->ctx, type, NULL)) {
        EVP_MD_free(type);
        *failed = "EVP_DigestInit_ex2()";
        goto failed;
    }

    EVP_MD_free(type);

    size = EVP_MD_CTX_get_size(md->ctx);

    if (size <= 0 || size > NGX_HTTP_PRECANCEL_HMAC_MAX) {
        *failed = "EVP_MD_CTX_get_size()";
        goto failed;
    }

    md->size = size;

    return md;

failed:

    ngx_edge_digest_free(md);

    return NULL;
}


ngx_edge_digest_t *
ngx_edge_digest_dup(const ngx_edge_digest_t *md,
    const char **failed)
{
    ngx_edge_digest_t  *copy;

    copy = OPENSSL_zalloc(sizeof(ngx_edge_digest_t));
    if (copy == NULL) {
        *failed = "OPENSSL_zalloc()";
        return NULL;
    }

    copy->size = md->size;
    copy->ctx = EVP_MD_CTX_new();

    if (copy->ctx == NULL) {
        *failed = "EVP_MD_CTX_new()";
        goto failed;
    }

    /* a copy of the initialised state: no algorithm fetch per message */

    if (!EVP_MD_CTX_copy_ex(copy->ctx, md->ctx)) {
        *failed = "EVP_MD_CTX_copy_ex()";
        goto failed;
    }

    return copy;

failed:

    ngx_edge_digest_free(copy);

    return NULL;
}


void
ngx_edge_digest_free(ngx_edge_digest_t *md)
{
    if (md == NULL) {
        return;
    }

    EVP_MD_CTX_free(md->ctx);
    OPENSSL_free(md);
}


size_t
ngx_edge_digest_size(const ngx_edge_digest_t *md)
{
    return md->size;
}


int
ngx_edge_digest_update(ngx_edge_digest_t *md,
    const unsigned char *data, size_t len, const char **failed)
{
    if (!EVP_DigestUpdate(md->ctx, data, len)) {
        *failed = "EVP_DigestUpdate()";
        return -1;
    }

    return 0;
}


int
ngx_edge_digest_final(ngx_edge_digest_t *md,
    unsigned char *out, const char **failed)
{
    unsigned int  n;

    if (!EVP_DigestFinal_ex(md->ctx, out, &n) || n != md->size) {
        *failed = "EVP_DigestFinal_ex()";
        return -1;
    }

    return 0;
}
