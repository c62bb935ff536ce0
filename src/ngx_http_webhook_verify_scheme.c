
/*
 * The webhook schemes and their header parsers: see
 * ngx_http_webhook_verify_scheme.h.  Parsing is strict where a provider
 * writes one exact form (a prefix, a length, an alphabet) and lenient only
 * in white space around list items, which proxies and hand-written tests
 * add and which changes nothing that is signed.
 */


#include <string.h>

#include <openssl/crypto.h>

#include "ngx_edge_codec.h"
#include "ngx_http_webhook_verify_scheme.h"


static const char *ngx_http_webhook_verify_parse_plain(
    const ngx_http_webhook_verify_scheme_t *scheme, const unsigned char *p,
    const unsigned char *end, ngx_http_webhook_verify_sig_t *sig);
static const char *ngx_http_webhook_verify_parse_list(
    const ngx_http_webhook_verify_scheme_t *scheme, const unsigned char *p,
    const unsigned char *end, ngx_http_webhook_verify_sig_t *sig);
static const char *ngx_http_webhook_verify_add(
    const ngx_http_webhook_verify_scheme_t *scheme, const unsigned char *p,
    size_t len, ngx_http_webhook_verify_sig_t *sig);
static const char *ngx_http_webhook_verify_add_ed25519(
    const unsigned char *p, size_t len, ngx_http_webhook_verify_sig_t *sig);


/*
 * Every list in one place, each entry at the index of its enum value, so
 * a value added to an enum without its entry is an empty slot that
 * t/unit/test_webhook_scheme.c finds.
 */

const ngx_http_webhook_verify_mac_t
    ngx_http_webhook_verify_macs[NGX_HTTP_WEBHOOK_VERIFY_MACS] =
{
    [NGX_HTTP_WEBHOOK_VERIFY_SHA1] =
        { .word = "sha1", .digest = "SHA1", .size = 20 },
    [NGX_HTTP_WEBHOOK_VERIFY_SHA256] =
        { .word = "sha256", .digest = "SHA256", .size = 32 },
    [NGX_HTTP_WEBHOOK_VERIFY_SHA512] =
        { .word = "sha512", .digest = "SHA512", .size = 64 }
};


const ngx_http_webhook_verify_digest_t
    ngx_http_webhook_verify_digests[NGX_HTTP_WEBHOOK_VERIFY_DIGESTS] =
{
    [NGX_HTTP_WEBHOOK_VERIFY_RAW_BODY] =
        { .word = "body", .digest = NULL },
    [NGX_HTTP_WEBHOOK_VERIFY_MD5_HEX] =
        { .word = "md5_hex", .digest = "MD5" },
    [NGX_HTTP_WEBHOOK_VERIFY_SHA256_HEX] =
        { .word = "sha256_hex", .digest = "SHA256" }
};


const char  *const
    ngx_http_webhook_verify_encodings[NGX_HTTP_WEBHOOK_VERIFY_ENCODINGS] =
{
    [NGX_HTTP_WEBHOOK_VERIFY_HEX] = "hex",
    [NGX_HTTP_WEBHOOK_VERIFY_BASE64] = "base64"
};


/*
 * Fields by name: a table of this many fields read by position invites a
 * value in the wrong column.
 */

const ngx_http_webhook_verify_scheme_t  ngx_http_webhook_verify_schemes[] = {

    { .name = "cheddargetter",
      .header = "X-CG-SIGNATURE",
      .mac = NGX_HTTP_WEBHOOK_VERIFY_SHA256,
      .body_digest = NGX_HTTP_WEBHOOK_VERIFY_MD5_HEX,
      .format = NGX_HTTP_WEBHOOK_VERIFY_PLAIN,
      .encoding = NGX_HTTP_WEBHOOK_VERIFY_HEX },

    { .name = "stripe",
      .header = "Stripe-Signature",
      .mac = NGX_HTTP_WEBHOOK_VERIFY_SHA256,
      .format = NGX_HTTP_WEBHOOK_VERIFY_STRIPE,
      .encoding = NGX_HTTP_WEBHOOK_VERIFY_HEX,
      .signed_prefix = NGX_HTTP_WEBHOOK_VERIFY_SIGNED_T_DOT,
      .timed = 1 },

    { .name = "github",
      .header = "X-Hub-Signature-256",
      .prefix = "sha256=",
      .mac = NGX_HTTP_WEBHOOK_VERIFY_SHA256,
      .format = NGX_HTTP_WEBHOOK_VERIFY_PLAIN,
      .encoding = NGX_HTTP_WEBHOOK_VERIFY_HEX },

    { .name = "standard",
      .header = "webhook-signature",
      .id_header = "webhook-id",
      .time_header = "webhook-timestamp",
      .mac = NGX_HTTP_WEBHOOK_VERIFY_SHA256,
      .format = NGX_HTTP_WEBHOOK_VERIFY_STANDARD,
      .encoding = NGX_HTTP_WEBHOOK_VERIFY_BASE64,
      .signed_prefix = NGX_HTTP_WEBHOOK_VERIFY_SIGNED_ID_T_DOT,
      .timed = 1,
      .whsec = 1 },

    { .name = "shopify",
      .header = "X-Shopify-Hmac-Sha256",
      .mac = NGX_HTTP_WEBHOOK_VERIFY_SHA256,
      .format = NGX_HTTP_WEBHOOK_VERIFY_PLAIN,
      .encoding = NGX_HTTP_WEBHOOK_VERIFY_BASE64 },

    { .name = "slack",
      .header = "X-Slack-Signature",
      .time_header = "X-Slack-Request-Timestamp",
      .prefix = "v0=",
      .mac = NGX_HTTP_WEBHOOK_VERIFY_SHA256,
      .format = NGX_HTTP_WEBHOOK_VERIFY_PLAIN,
      .encoding = NGX_HTTP_WEBHOOK_VERIFY_HEX,
      .signed_prefix = NGX_HTTP_WEBHOOK_VERIFY_SIGNED_V0_T,
      .timed = 1 },

    { .name = "retention",
      .header = "X-Hub-Signature",
      .prefix = "sha1=",
      .prefix_optional = 1,
      .mac = NGX_HTTP_WEBHOOK_VERIFY_SHA1,
      .format = NGX_HTTP_WEBHOOK_VERIFY_PLAIN,
      .encoding = NGX_HTTP_WEBHOOK_VERIFY_HEX },

    { .name = NULL }
};


const ngx_http_webhook_verify_scheme_t *
ngx_http_webhook_verify_scheme_find(const unsigned char *name, size_t len)
{
    const ngx_http_webhook_verify_scheme_t  *s;

    for (s = ngx_http_webhook_verify_schemes; s->name; s++) {
        if (strlen(s->name) == len && memcmp(s->name, name, len) == 0) {
            return s;
        }
    }

    return NULL;
}


const char *
ngx_http_webhook_verify_parse(const ngx_http_webhook_verify_scheme_t *scheme,
    const unsigned char *in, size_t len, ngx_http_webhook_verify_sig_t *sig)
{
    memset(sig, 0, sizeof(ngx_http_webhook_verify_sig_t));

    if (scheme->format == NGX_HTTP_WEBHOOK_VERIFY_PLAIN) {
        return ngx_http_webhook_verify_parse_plain(scheme, in, in + len, sig);
    }

    return ngx_http_webhook_verify_parse_list(scheme, in, in + len, sig);
}


static const char *
ngx_http_webhook_verify_parse_plain(
    const ngx_http_webhook_verify_scheme_t *scheme, const unsigned char *p,
    const unsigned char *end, ngx_http_webhook_verify_sig_t *sig)
{
    size_t  n;

    if (scheme->prefix) {
        n = strlen(scheme->prefix);

        if ((size_t) (end - p) >= n && memcmp(p, scheme->prefix, n) == 0) {
            p += n;

        } else if (!scheme->prefix_optional) {
            return "no signature prefix";
        }
    }

    return ngx_http_webhook_verify_add(scheme, p, end - p, sig);
}


/*
 * Stripe: comma-separated "key=value" items: one "t", any number of "v1";
 * other keys ("v0", a test-mode signature) are skipped, as Stripe's own
 * libraries do.  Standard Webhooks: space-separated "version,signature"
 * items: "v1" (HMAC) and "v1a" (Ed25519), kept apart since each is
 * checked with secrets of its own kind; other versions are skipped.
 */

static const char *
ngx_http_webhook_verify_parse_list(
    const ngx_http_webhook_verify_scheme_t *scheme, const unsigned char *p,
    const unsigned char *end, ngx_http_webhook_verify_sig_t *sig)
{
    int                   stripe;
    const char           *err;
    unsigned char         sep, kv;
    const unsigned char  *item, *last, *key_end;

    stripe = (scheme->format == NGX_HTTP_WEBHOOK_VERIFY_STRIPE);
    sep = stripe ? ',' : ' ';
    kv = stripe ? '=' : ',';

    for ( ;; ) {

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == end) {
            if (stripe) {
                return "empty item";
            }

            break;
        }

        item = p;

        while (p < end && *p != sep && *p != ' ' && *p != '\t') {
            p++;
        }

        last = p;

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p < end && *p != sep && stripe) {
            return "white space inside an item";
        }

        key_end = memchr(item, kv, last - item);

        if (key_end == NULL || key_end == item) {
            return stripe ? "an item is not \"key=value\""
                          : "an item is not \"version,signature\"";
        }

        if (stripe && key_end - item == 1 && item[0] == 't') {
            if (sig->time) {
                return "more than one timestamp";
            }

            sig->time = key_end + 1;
            sig->time_len = last - (key_end + 1);

        } else if (key_end - item == 2 && item[0] == 'v' && item[1] == '1') {
            err = ngx_http_webhook_verify_add(scheme, key_end + 1,
                                              last - (key_end + 1), sig);
            if (err) {
                return err;
            }

        } else if (!stripe && key_end - item == 3
                   && memcmp(item, "v1a", 3) == 0)
        {
            err = ngx_http_webhook_verify_add_ed25519(key_end + 1,
                                                  last - (key_end + 1), sig);
            if (err) {
                return err;
            }
        }

        if (p == end) {
            break;
        }

        if (stripe) {
            /* the separator */
            p++;
        }
    }

    if (stripe && sig->time == NULL) {
        return "no timestamp";
    }

    if (stripe && sig->n == 0) {
        return "no v1 signature";
    }

    if (sig->n == 0 && sig->ned25519 == 0) {
        return "no v1 or v1a signature";
    }

    return NULL;
}


static const char *
ngx_http_webhook_verify_add(const ngx_http_webhook_verify_scheme_t *scheme,
    const unsigned char *p, size_t len, ngx_http_webhook_verify_sig_t *sig)
{
    size_t          n, size;
    const char     *err;
    unsigned char  *mac;
    unsigned char   buf[NGX_HTTP_PRECANCEL_HMAC_MAX + 3];

    if (sig->n == NGX_HTTP_WEBHOOK_VERIFY_SIGS_MAX) {
        return "too many signatures";
    }

    mac = sig->mac[sig->n];
    size = ngx_http_webhook_verify_macs[scheme->mac].size;

    if (scheme->encoding == NGX_HTTP_WEBHOOK_VERIFY_HEX) {
        if (len != 2 * size) {
            return "signature of the wrong length";
        }

        err = ngx_edge_hex_decode(mac, p, len);

    } else {
        if (ngx_edge_base64_decoded_max(len) > sizeof(buf)) {
            return "signature of the wrong length";
        }

        err = ngx_edge_base64_decode(buf, &n, p, len);

        if (err == NULL) {
            if (n != size) {
                return "signature of the wrong length";
            }

            memcpy(mac, buf, n);
        }
    }

    if (err) {
        return err;
    }

    sig->n++;

    return NULL;
}


/* a v1a entry: the base64 of a 64-byte Ed25519 signature */

static const char *
ngx_http_webhook_verify_add_ed25519(const unsigned char *p, size_t len,
    ngx_http_webhook_verify_sig_t *sig)
{
    size_t          n;
    const char     *err;
    unsigned char   buf[NGX_HTTP_WEBHOOK_VERIFY_ED25519_SIG + 3];

    if (sig->ned25519 == NGX_HTTP_WEBHOOK_VERIFY_SIGS_MAX) {
        return "too many signatures";
    }

    if (ngx_edge_base64_decoded_max(len) > sizeof(buf)) {
        return "signature of the wrong length";
    }

    err = ngx_edge_base64_decode(buf, &n, p, len);
    if (err) {
        return err;
    }

    if (n != NGX_HTTP_WEBHOOK_VERIFY_ED25519_SIG) {
        return "signature of the wrong length";
    }

    memcpy(sig->ed25519[sig->ned25519++], buf, n);

    return NULL;
}


const char *
ngx_http_webhook_verify_parse_time(const unsigned char *in, size_t len,
    time_t *t)
{
    size_t  i;
    time_t  v;

    if (len == 0 || len > NGX_HTTP_WEBHOOK_VERIFY_TIME_MAX) {
        return "not a unix time";
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (in[i] < '0' || in[i] > '9') {
            return "not a unix time";
        }

        v = v * 10 + (in[i] - '0');
    }

    *t = v;

    return NULL;
}


size_t
ngx_http_webhook_verify_signed_prefix(
    const ngx_http_webhook_verify_scheme_t *scheme, unsigned char *dst,
    const unsigned char *id, size_t id_len, const unsigned char *time,
    size_t time_len)
{
    unsigned char  *p;

    switch (scheme->signed_prefix) {

    case NGX_HTTP_WEBHOOK_VERIFY_SIGNED_T_DOT:
        if (dst) {
            memcpy(dst, time, time_len);
            dst[time_len] = '.';
        }

        return time_len + 1;

    case NGX_HTTP_WEBHOOK_VERIFY_SIGNED_ID_T_DOT:
        if (dst) {
            p = dst;
            memcpy(p, id, id_len);
            p += id_len;
            *p++ = '.';
            memcpy(p, time, time_len);
            p += time_len;
            *p = '.';
        }

        return id_len + 1 + time_len + 1;

    case NGX_HTTP_WEBHOOK_VERIFY_SIGNED_V0_T:
        if (dst) {
            p = dst;
            memcpy(p, "v0:", 3);
            p += 3;
            memcpy(p, time, time_len);
            p += time_len;
            *p = ':';
        }

        return 3 + time_len + 1;

    default: /* NGX_HTTP_WEBHOOK_VERIFY_SIGNED_BODY */
        return 0;
    }
}


const char *
ngx_http_webhook_verify_key(const ngx_http_webhook_verify_scheme_t *scheme,
    const unsigned char *in, size_t len, unsigned char *key, size_t *key_len)
{
    const char  *err;

    static const char  whsec[] = "whsec_";

    if (!scheme->whsec) {
        memcpy(key, in, len);
        *key_len = len;
        return NULL;
    }

    if (len >= sizeof(whsec) - 1 && memcmp(in, whsec, sizeof(whsec) - 1) == 0)
    {
        in += sizeof(whsec) - 1;
        len -= sizeof(whsec) - 1;
    }

    if (len == 0) {
        return "holds no base64 after \"whsec_\"";
    }

    err = ngx_edge_base64_decode(key, key_len, in, len);
    if (err) {
        return "is not \"whsec_\" followed by base64";
    }

    return NULL;
}


int
ngx_http_webhook_verify_is_public(const unsigned char *in, size_t len)
{
    return len >= 5 && memcmp(in, "whpk_", 5) == 0;
}


const char *
ngx_http_webhook_verify_public_key(const unsigned char *in, size_t len,
    unsigned char *key)
{
    size_t         n;
    unsigned char  buf[NGX_HTTP_WEBHOOK_VERIFY_ED25519_KEY + 3];

    if (!ngx_http_webhook_verify_is_public(in, len)) {
        return "is not \"whpk_\" followed by base64";
    }

    in += 5;
    len -= 5;

    if (ngx_edge_base64_decoded_max(len) > sizeof(buf)) {
        return "holds a \"whpk_\" key that is not 32 bytes of base64";
    }

    if (ngx_edge_base64_decode(buf, &n, in, len) != NULL) {
        return "is not \"whpk_\" followed by base64";
    }

    if (n != NGX_HTTP_WEBHOOK_VERIFY_ED25519_KEY) {
        return "holds a \"whpk_\" key that is not 32 bytes of base64";
    }

    memcpy(key, buf, n);

    return NULL;
}


int
ngx_http_webhook_verify_match(const ngx_http_webhook_verify_sig_t *sig,
    const unsigned char *mac, size_t size)
{
    size_t  i;
    int     found;

    /* every candidate is compared, so the time says nothing of which */

    found = 0;

    for (i = 0; i < sig->n; i++) {
        found |= (CRYPTO_memcmp(sig->mac[i], mac, size) == 0);
    }

    return found;
}
