
/*
 * libFuzzer harness of the webhook header parsers: the first byte picks a
 * scheme (each plain one, Stripe's list, Standard Webhooks' list), the
 * rest is the header value.  Whatever is accepted must hold between 1 and
 * NGX_HTTP_WEBHOOK_VERIFY_SIGS_MAX signatures of each kind (MACs, and
 * Standard Webhooks' v1a Ed25519 signatures, which only that scheme
 * has), each of which, encoded again the scheme's way, stands in the
 * input (hex in either case); a
 * Stripe timestamp must point into the input; whatever is refused must
 * come with a reason.  The same input also goes through the unix time
 * parser (digits only, at most NGX_HTTP_WEBHOOK_VERIFY_TIME_MAX), the
 * whsec_ key decoder and the whpk_ public key decoder.
 */


#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_edge_codec.h"
#include "ngx_http_webhook_verify_scheme.h"
#include "fuzz_base64_ref.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_time(const uint8_t *data, size_t size);
static void check_key(const uint8_t *data, size_t size);
static void check_public_key(const uint8_t *data, size_t size);

static int contains_hex(const uint8_t *in, size_t len,
    const unsigned char *mac, size_t n);
static int contains_base64(const uint8_t *in, size_t len,
    const unsigned char *mac, size_t n);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                                   i, nschemes, mac_size;
    const char                              *err;
    ngx_http_webhook_verify_sig_t            sig;
    const ngx_http_webhook_verify_scheme_t  *s;

    if (size == 0) {
        return 0;
    }

    for (nschemes = 0; ngx_http_webhook_verify_schemes[nschemes].name;
         nschemes++)
    {
        /* void */
    }

    s = &ngx_http_webhook_verify_schemes[data[0] % nschemes];
    data++;
    size--;

    mac_size = ngx_http_webhook_verify_macs[s->mac].size;

    check_time(data, size);
    check_key(data, size);
    check_public_key(data, size);

    err = ngx_http_webhook_verify_parse(s, data, size, &sig);

    if (err != NULL) {
        if (err[0] == '\0') {
            abort();
        }

        return 0;
    }

    if (sig.n + sig.ned25519 == 0
        || sig.n > NGX_HTTP_WEBHOOK_VERIFY_SIGS_MAX
        || sig.ned25519 > NGX_HTTP_WEBHOOK_VERIFY_SIGS_MAX
        || (sig.ned25519 && s->format != NGX_HTTP_WEBHOOK_VERIFY_STANDARD))
    {
        abort();
    }

    for (i = 0; i < sig.ned25519; i++) {
        if (!contains_base64(data, size, sig.ed25519[i],
                             NGX_HTTP_WEBHOOK_VERIFY_ED25519_SIG))
        {
            abort();
        }
    }

    if (sig.time
        && (sig.time < data || sig.time + sig.time_len > data + size))
    {
        abort();
    }

    if (s->format == NGX_HTTP_WEBHOOK_VERIFY_STRIPE && sig.time == NULL) {
        abort();
    }

    for (i = 0; i < sig.n; i++) {
        if (s->encoding == NGX_HTTP_WEBHOOK_VERIFY_HEX) {
            if (!contains_hex(data, size, sig.mac[i], mac_size)) {
                abort();
            }

        } else if (!contains_base64(data, size, sig.mac[i], mac_size)) {
            abort();
        }

        /* the match finds every candidate */

        if (!ngx_http_webhook_verify_match(&sig, sig.mac[i], mac_size)) {
            abort();
        }
    }

    return 0;
}


static int
contains_hex(const uint8_t *in, size_t len, const unsigned char *mac,
    size_t n)
{
    size_t         i, j;
    unsigned char  hex[2 * NGX_HTTP_PRECANCEL_HMAC_MAX];

    ngx_edge_hex_encode(hex, mac, n);

    for (i = 0; i + 2 * n <= len; i++) {
        for (j = 0; j < 2 * n; j++) {
            if (tolower(in[i + j]) != hex[j]) {
                break;
            }
        }

        if (j == 2 * n) {
            return 1;
        }
    }

    return 0;
}


static int
contains_base64(const uint8_t *in, size_t len, const unsigned char *mac,
    size_t n)
{
    size_t         i, out;
    unsigned char  b64[(NGX_HTTP_PRECANCEL_HMAC_MAX + 2) / 3 * 4];

    /* encoded here, unpadded: the decoder must have read exactly this */

    out = fuzz_base64_ref(b64, mac, n);

    for (i = 0; i + out <= len; i++) {
        if (memcmp(in + i, b64, out) == 0) {
            return 1;
        }
    }

    return 0;
}


static void
check_time(const uint8_t *data, size_t size)
{
    size_t   i;
    time_t   t, v;

    if (ngx_http_webhook_verify_parse_time(data, size, &t) != NULL) {
        return;
    }

    if (size == 0 || size > NGX_HTTP_WEBHOOK_VERIFY_TIME_MAX) {
        abort();
    }

    v = 0;

    for (i = 0; i < size; i++) {
        if (!isdigit(data[i])) {
            abort();
        }

        v = v * 10 + (data[i] - '0');
    }

    if (v != t || t < 0) {
        abort();
    }
}


static void
check_key(const uint8_t *data, size_t size)
{
    size_t                                   n;
    unsigned char                           *key;
    const char                              *err;
    const ngx_http_webhook_verify_scheme_t  *s;

    s = ngx_http_webhook_verify_scheme_find((unsigned char *) "standard", 8);

    key = malloc(size + 1);
    if (s == NULL || key == NULL) {
        abort();
    }

    err = ngx_http_webhook_verify_key(s, data, size, key, &n);

    if (err != NULL ? err[0] == '\0' : (n == 0 || n > size)) {
        abort();
    }

    free(key);
}


static void
check_public_key(const uint8_t *data, size_t size)
{
    const char     *err;
    unsigned char   key[NGX_HTTP_WEBHOOK_VERIFY_ED25519_KEY];

    err = ngx_http_webhook_verify_public_key(data, size, key);

    if (err != NULL) {
        if (err[0] == '\0') {
            abort();
        }

        return;
    }

    /* accepted: "whpk_" and the very base64 of the 32 bytes */

    if (!ngx_http_webhook_verify_is_public(data, size)
        || !contains_base64(data + 5, size - 5, key, sizeof(key)))
    {
        abort();
    }
}
