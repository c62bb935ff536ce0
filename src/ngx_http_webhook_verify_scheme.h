
/*
 * Pure part of the webhook verifier: what each provider's scheme signs and
 * how it writes the signature, the parsers of its headers, the signed
 * prefix put before the body, and the constant-time match.  No nginx
 * headers, so t/unit and t/fuzz drive it alone.
 */


#ifndef _NGX_HTTP_WEBHOOK_VERIFY_SCHEME_H_INCLUDED_
#define _NGX_HTTP_WEBHOOK_VERIFY_SCHEME_H_INCLUDED_


#include <stddef.h>
#include <time.h>

#include "ngx_edge_hmac.h"


/* candidate signatures kept from one header (Stripe's v1=, Standard's v1,) */
#define NGX_HTTP_WEBHOOK_VERIFY_SIGS_MAX  8

/* Standard Webhooks' v1a: an Ed25519 public key and signature */
#define NGX_HTTP_WEBHOOK_VERIFY_ED25519_KEY  32
#define NGX_HTTP_WEBHOOK_VERIFY_ED25519_SIG  64

/* digits of a unix time: enough for any date a clock shows */
#define NGX_HTTP_WEBHOOK_VERIFY_TIME_MAX  12


typedef enum {
    NGX_HTTP_WEBHOOK_VERIFY_PLAIN = 0,     /* [prefix]MAC */
    NGX_HTTP_WEBHOOK_VERIFY_STRIPE,        /* t=T,v1=HEX[,v1=HEX...] */
    NGX_HTTP_WEBHOOK_VERIFY_STANDARD       /* v1[a],BASE64[ v1[a],BASE64...] */
} ngx_http_webhook_verify_format_e;


typedef enum {
    NGX_HTTP_WEBHOOK_VERIFY_HEX = 0,
    NGX_HTTP_WEBHOOK_VERIFY_BASE64,
    NGX_HTTP_WEBHOOK_VERIFY_ENCODINGS      /* how many */
} ngx_http_webhook_verify_encoding_e;


/* the HMAC's digest: ngx_http_webhook_verify_macs[] describes each */
typedef enum {
    NGX_HTTP_WEBHOOK_VERIFY_SHA1 = 0,
    NGX_HTTP_WEBHOOK_VERIFY_SHA256,
    NGX_HTTP_WEBHOOK_VERIFY_SHA512,
    NGX_HTTP_WEBHOOK_VERIFY_MACS           /* how many */
} ngx_http_webhook_verify_mac_e;


/* what the MAC covers: ngx_http_webhook_verify_digests[] describes each */
typedef enum {
    NGX_HTTP_WEBHOOK_VERIFY_RAW_BODY = 0,  /* the body itself */
    NGX_HTTP_WEBHOOK_VERIFY_MD5_HEX,       /* the hex of its MD5 */
    NGX_HTTP_WEBHOOK_VERIFY_SHA256_HEX,    /* the hex of its SHA-256 */
    NGX_HTTP_WEBHOOK_VERIFY_DIGESTS        /* how many */
} ngx_http_webhook_verify_digest_e;


/* what stands before the body (or its digest) in the signed message */
typedef enum {
    NGX_HTTP_WEBHOOK_VERIFY_SIGNED_BODY = 0,   /* nothing */
    NGX_HTTP_WEBHOOK_VERIFY_SIGNED_T_DOT,      /* "T." (Stripe) */
    NGX_HTTP_WEBHOOK_VERIFY_SIGNED_ID_T_DOT,   /* "ID.T." (Standard) */
    NGX_HTTP_WEBHOOK_VERIFY_SIGNED_V0_T        /* "v0:T:" (Slack) */
} ngx_http_webhook_verify_signed_e;


typedef struct {
    const char  *name;
    const char  *header;        /* the signature */
    const char  *id_header;     /* the message id, or NULL */
    const char  *time_header;   /* the timestamp, or NULL (none, or Stripe's
                                   t= in the signature header) */
    const char  *prefix;        /* before the MAC in a plain header, or NULL */

    /* enums, not bit-fields: a new value cannot be cut short */
    ngx_http_webhook_verify_mac_e       mac;
    ngx_http_webhook_verify_digest_e    body_digest;
    ngx_http_webhook_verify_encoding_e  encoding;

    unsigned     format:2;      /* format_e */
    unsigned     signed_prefix:2;   /* signed_e */
    unsigned     prefix_optional:1;
    unsigned     timed:1;       /* there is a timestamp to check */
    unsigned     whsec:1;       /* the secret is [whsec_]BASE64, the key
                                   its decoded bytes */
} ngx_http_webhook_verify_scheme_t;


typedef struct {
    unsigned char         mac[NGX_HTTP_WEBHOOK_VERIFY_SIGS_MAX]
                             [NGX_HTTP_PRECANCEL_HMAC_MAX];
    size_t                n;

    /* Standard Webhooks: the v1a (Ed25519) signatures, checked apart */
    unsigned char         ed25519[NGX_HTTP_WEBHOOK_VERIFY_SIGS_MAX]
                                 [NGX_HTTP_WEBHOOK_VERIFY_ED25519_SIG];
    size_t                ned25519;

    /* Stripe: the t= value, where it stands in the header */
    const unsigned char  *time;
    size_t                time_len;
} ngx_http_webhook_verify_sig_t;


typedef struct {
    const char  *word;          /* in "webhook_verify_custom mac=" */
    const char  *digest;        /* OpenSSL's name of the digest */
    size_t       size;          /* bytes in a MAC */
} ngx_http_webhook_verify_mac_t;


typedef struct {
    const char  *word;          /* in "webhook_verify_custom signed=" */
    const char  *digest;        /* OpenSSL's name, or NULL: the body */
} ngx_http_webhook_verify_digest_t;


/* indexed by mac_e, digest_e and encoding_e */
extern const ngx_http_webhook_verify_mac_t
    ngx_http_webhook_verify_macs[NGX_HTTP_WEBHOOK_VERIFY_MACS];
extern const ngx_http_webhook_verify_digest_t
    ngx_http_webhook_verify_digests[NGX_HTTP_WEBHOOK_VERIFY_DIGESTS];
extern const char  *const
    ngx_http_webhook_verify_encodings[NGX_HTTP_WEBHOOK_VERIFY_ENCODINGS];

/* the built-in schemes, ending with one whose name is NULL */
extern const ngx_http_webhook_verify_scheme_t
    ngx_http_webhook_verify_schemes[];

/* the built-in scheme of that name, or NULL */
const ngx_http_webhook_verify_scheme_t *ngx_http_webhook_verify_scheme_find(
    const unsigned char *name, size_t len);

/*
 * Parses the value of the scheme's signature header into sig (which it
 * zeroes first).  Returns NULL, or a static reason ("no v1 signature")
 * that never quotes the input.
 */
const char *ngx_http_webhook_verify_parse(
    const ngx_http_webhook_verify_scheme_t *scheme, const unsigned char *in,
    size_t len, ngx_http_webhook_verify_sig_t *sig);

/* a unix time in decimal digits only; NULL or a static reason */
const char *ngx_http_webhook_verify_parse_time(const unsigned char *in,
    size_t len, time_t *t);

/*
 * Writes what the scheme signs before the body into dst and returns its
 * length; with dst NULL only returns the length.
 */
size_t ngx_http_webhook_verify_signed_prefix(
    const ngx_http_webhook_verify_scheme_t *scheme, unsigned char *dst,
    const unsigned char *id, size_t id_len, const unsigned char *time,
    size_t time_len);

/*
 * The HMAC key of a secret as its file holds it: the same bytes, or for a
 * "whsec" scheme the base64 after an optional "whsec_".  key holds len
 * bytes.  Returns NULL, or a static reason that never quotes the secret.
 */
const char *ngx_http_webhook_verify_key(
    const ngx_http_webhook_verify_scheme_t *scheme, const unsigned char *in,
    size_t len, unsigned char *key, size_t *key_len);

/*
 * 1 when a secret file holds a Standard Webhooks public key ("whpk_"):
 * it verifies v1a entries, not v1.
 */
int ngx_http_webhook_verify_is_public(const unsigned char *in, size_t len);

/*
 * The Ed25519 public key of "whpk_BASE64" into key
 * (NGX_HTTP_WEBHOOK_VERIFY_ED25519_KEY bytes).  Returns NULL, or a static
 * reason that never quotes the input.
 */
const char *ngx_http_webhook_verify_public_key(const unsigned char *in,
    size_t len, unsigned char *key);

/* 1 when mac (size bytes) is one of sig's, in constant time */
int ngx_http_webhook_verify_match(const ngx_http_webhook_verify_sig_t *sig,
    const unsigned char *mac, size_t size);


#endif /* _NGX_HTTP_WEBHOOK_VERIFY_SCHEME_H_INCLUDED_ */
