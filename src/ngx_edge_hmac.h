
/*
 * Pure HMAC over OpenSSL 3's EVP_MAC, and the plain digest some webhook
 * schemes sign instead of the body.  The key schedule is prepared once
 * (at configuration time); each signature then starts from a copy of the
 * prepared state, either in place (one message at a time: the precancel
 * signer) or in a context of its own (a request body hashed as it
 * arrives, while other requests use the prepared one).  A context of its
 * own is given back when the message is done and kept by the prepared
 * one for the next message, so that a worker copies OpenSSL's keyed
 * context only as often as it has messages in flight at once.
 */


#ifndef _NGX_EDGE_HMAC_H_INCLUDED_
#define _NGX_EDGE_HMAC_H_INCLUDED_


#include <stddef.h>


#define NGX_HTTP_PRECANCEL_HMAC_MAX      64
#define NGX_HTTP_PRECANCEL_HMAC_MAX_HEX  (2 * NGX_HTTP_PRECANCEL_HMAC_MAX)

/*
 * Contexts a keyed hmac keeps for reuse: more messages in flight at once
 * than this get contexts copied and freed each (about 1 KiB each).
 */
#define NGX_EDGE_HMAC_KEEP               64


typedef struct ngx_edge_hmac_s    ngx_edge_hmac_t;
typedef struct ngx_edge_digest_s  ngx_edge_digest_t;


/*
 * digest is an OpenSSL digest name ("SHA512", "SHA256", "SHA1").  Returns
 * NULL on failure and sets *failed to the name of the OpenSSL call that
 * failed.  The caller may cleanse its copy of the key as soon as this
 * returns.
 */
ngx_edge_hmac_t *ngx_edge_hmac_create(const char *digest,
    const unsigned char *key, size_t key_len, const char **failed);

/*
 * A context of its own holding the keyed state of hmac, ready for
 * update(): one that release() gave back to hmac, or a new copy.  The
 * keyed state of hmac is not changed.  NULL with *failed on failure.
 */
ngx_edge_hmac_t *ngx_edge_hmac_dup(ngx_edge_hmac_t *hmac,
    const char **failed);

/*
 * Gives back a context from dup(): hmac keeps it for its next dup() (up
 * to NGX_EDGE_HMAC_KEEP of them), or frees it.  Every context from dup()
 * is released or freed before the hmac it came from is freed.  Accepts
 * NULL.
 */
void ngx_edge_hmac_release(ngx_edge_hmac_t *copy);

/* frees (and so cleanses) hmac and the contexts it keeps; accepts NULL */
void ngx_edge_hmac_free(ngx_edge_hmac_t *hmac);

/* number of hex digits a signature has (twice the digest size) */
size_t ngx_edge_hmac_hex_len(const ngx_edge_hmac_t *hmac);

/*
 * A message in pieces: init() restores the keyed state, update() hashes a
 * piece, final() writes the raw MAC (hex_len() / 2 bytes) into md.  Each
 * returns 0, or -1 with *failed naming the OpenSSL call that failed.
 */
int ngx_edge_hmac_init(ngx_edge_hmac_t *hmac,
    const char **failed);
int ngx_edge_hmac_update(ngx_edge_hmac_t *hmac,
    const unsigned char *data, size_t len, const char **failed);
int ngx_edge_hmac_final(ngx_edge_hmac_t *hmac,
    unsigned char *md, const char **failed);

/*
 * Writes the lowercase hex MAC of data into hex (hex_len() bytes, no NUL).
 * It reuses the keyed state in hmac, so one hmac serves one thread.
 * Returns 0, or -1 with *failed naming the OpenSSL call that failed.
 */
int ngx_edge_hmac_hex(ngx_edge_hmac_t *hmac,
    const unsigned char *data, size_t len, unsigned char *hex,
    const char **failed);


/*
 * A plain digest ("MD5", "SHA256") of a message in pieces, with the same
 * conventions: create() makes the prepared context once, dup() a context
 * of its own for each message, ready for update(); final() writes size()
 * bytes; free() accepts NULL.
 */
ngx_edge_digest_t *ngx_edge_digest_create(
    const char *digest, const char **failed);
ngx_edge_digest_t *ngx_edge_digest_dup(
    const ngx_edge_digest_t *md, const char **failed);
void ngx_edge_digest_free(ngx_edge_digest_t *md);
size_t ngx_edge_digest_size(const ngx_edge_digest_t *md);
int ngx_edge_digest_update(ngx_edge_digest_t *md,
    const unsigned char *data, size_t len, const char **failed);
int ngx_edge_digest_final(ngx_edge_digest_t *md,
    unsigned char *out, const char **failed);


#endif /* _NGX_EDGE_HMAC_H_INCLUDED_ */
