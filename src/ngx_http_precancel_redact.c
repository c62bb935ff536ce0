
/*
 * Redaction of secrets: see ngx_http_precancel_redact.h.  The text is a
 * provider's error message or session URL, at most a reply long, and the
 * list a few dozen forms of one or two keys: a plain scan at each byte is
 * enough.
 */


#include <string.h>

#include "ngx_http_precancel_redact.h"


static size_t ngx_http_precancel_redact_add(
    ngx_http_precancel_secret_t *forms, size_t n, unsigned char *p,
    size_t len);
static size_t ngx_http_precancel_redact_base64(unsigned char *dst,
    const unsigned char *src, size_t len, int url);
static size_t ngx_http_precancel_redact_pct(unsigned char *dst,
    const unsigned char *src, size_t len, const char *hex);
static size_t ngx_http_precancel_redact_end(const unsigned char *src,
    size_t len, size_t i, const ngx_http_precancel_secret_t *secrets,
    size_t n);


static const char  ngx_http_precancel_upper[] = "0123456789ABCDEF";
static const char  ngx_http_precancel_lower[] = "0123456789abcdef";


size_t
ngx_http_precancel_redact_forms_size(size_t len)
{
    size_t  b64;

    b64 = (len + 2) / 3 * 4;

    /* the secret and two percent-encodings; 4 Base64 texts, 8 bytes each */

    return 7 * len + 4 * 8 * b64;
}


size_t
ngx_http_precancel_redact_forms(ngx_http_precancel_secret_t *forms,
    unsigned char *buf, const unsigned char *secret, size_t len)
{
    size_t          n, b, off, glen;
    unsigned char  *p, *b64;

    n = 0;
    p = buf;

    memcpy(p, secret, len);
    n += ngx_http_precancel_redact_add(forms, n, p, len);
    p += len;

    b = ngx_http_precancel_redact_pct(p, secret, len,
                                      ngx_http_precancel_upper);
    n += ngx_http_precancel_redact_add(forms, n, p, b);
    p += b;

    b = ngx_http_precancel_redact_pct(p, secret, len,
                                      ngx_http_precancel_lower);
    n += ngx_http_precancel_redact_add(forms, n, p, b);
    p += b;

    /*
     * off 3 stands for the whole secret, its last group padded; 0, 1, 2
     * for its whole groups from that byte on
     */

    for (off = 0; off < 4; off++) {

        if (off == 3) {
            glen = len;

        } else {
            glen = len > off ? (len - off) / 3 * 3 : 0;

            if (glen < 6) {
                continue;
            }
        }

        b64 = p;
        b = ngx_http_precancel_redact_base64(p, secret + off % 3, glen, 0);
        n += ngx_http_precancel_redact_add(forms, n, p, b);
        p += b;

        b = ngx_http_precancel_redact_base64(p, secret + off % 3, glen, 1);
        n += ngx_http_precancel_redact_add(forms, n, p, b);
        p += b;

        /* each form keeps its bytes, listed or not: b64 is still there */

        glen = (glen * 4 + 2) / 3;

        b = ngx_http_precancel_redact_pct(p, b64, glen,
                                          ngx_http_precancel_upper);
        n += ngx_http_precancel_redact_add(forms, n, p, b);
        p += b;

        b = ngx_http_precancel_redact_pct(p, b64, glen,
                                          ngx_http_precancel_lower);
        n += ngx_http_precancel_redact_add(forms, n, p, b);
        p += b;
    }

    return n;
}


/* lists p[0..len) as forms[n] unless it is empty or listed: 1, else 0 */

static size_t
ngx_http_precancel_redact_add(ngx_http_precancel_secret_t *forms, size_t n,
    unsigned char *p, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (forms[i].len == len && memcmp(forms[i].data, p, len) == 0) {
            return 0;
        }
    }

    forms[n].data = p;
    forms[n].len = len;

    return 1;
}


/* Base64 of src without padding, URL-safe if url; returns its length */

static size_t
ngx_http_precancel_redact_base64(unsigned char *dst,
    const unsigned char *src, size_t len, int url)
{
    size_t          i, n;
    unsigned long   v;
    const char     *alphabet;

    static const char  standard[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char  safe[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    alphabet = url ? safe : standard;
    n = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = (unsigned long) src[i] << 16 | src[i + 1] << 8 | src[i + 2];

        dst[n++] = alphabet[v >> 18 & 0x3f];
        dst[n++] = alphabet[v >> 12 & 0x3f];
        dst[n++] = alphabet[v >> 6 & 0x3f];
        dst[n++] = alphabet[v & 0x3f];
    }

    if (len - i == 1) {
        v = (unsigned long) src[i] << 16;

        dst[n++] = alphabet[v >> 18 & 0x3f];
        dst[n++] = alphabet[v >> 12 & 0x3f];

    } else if (len - i == 2) {
        v = (unsigned long) src[i] << 16 | src[i + 1] << 8;

        dst[n++] = alphabet[v >> 18 & 0x3f];
        dst[n++] = alphabet[v >> 12 & 0x3f];
        dst[n++] = alphabet[v >> 6 & 0x3f];
    }

    return n;
}


/* percent-encoding of src, RFC 3986 unreserved bytes kept */

static size_t
ngx_http_precancel_redact_pct(unsigned char *dst, const unsigned char *src,
    size_t len, const char *hex)
{
    size_t         i, n;
    unsigned char  c;

    n = 0;

    for (i = 0; i < len; i++) {
        c = src[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '~')
        {
            dst[n++] = c;
            continue;
        }

        dst[n++] = '%';
        dst[n++] = hex[c >> 4];
        dst[n++] = hex[c & 0x0f];
    }

    return n;
}


int
ngx_http_precancel_redact_find(const unsigned char *text, size_t len,
    const ngx_http_precancel_secret_t *secrets, size_t n)
{
    size_t                j;
    const unsigned char  *p, *last;

    /*
     * On the success path (every session URL): one memchr() a secret for
     * its first byte, not a comparison of every secret at every byte.
     */

    for (j = 0; j < n; j++) {

        if (secrets[j].len == 0 || secrets[j].len > len) {
            continue;
        }

        p = text;
        last = text + len - secrets[j].len;

        while (p <= last) {
            p = memchr(p, secrets[j].data[0], last - p + 1);

            if (p == NULL) {
                break;
            }

            if (memcmp(p, secrets[j].data, secrets[j].len) == 0) {
                return 1;
            }

            p++;
        }
    }

    return 0;
}


size_t
ngx_http_precancel_redact(unsigned char *dst, size_t max,
    const unsigned char *src, size_t len,
    const ngx_http_precancel_secret_t *secrets, size_t n, size_t *used)
{
    size_t  i, k, o, end, e, plain;

    i = 0;
    o = 0;

    /* plain bytes written since the last "[redacted]", for a UTF-8 cut */
    plain = 0;

    while (i < len) {
        end = ngx_http_precancel_redact_end(src, len, i, secrets, n);

        if (end == i) {

            if (o == max) {
                /* a cut: the sequence src[i] continues goes too */

                if ((src[i] & 0xc0) == 0x80) {
                    /* at most 3 continuation bytes in valid UTF-8 */

                    for (k = 0;
                         k < 3 && plain && (src[i - 1] & 0xc0) == 0x80;
                         k++)
                    {
                        i--;
                        o--;
                        plain--;
                    }

                    if (plain && src[i - 1] >= 0xc0) {
                        i--;
                        o--;
                    }
                }

                break;
            }

            if (dst) {
                dst[o] = src[i];
            }

            i++;
            o++;
            plain++;

            continue;
        }

        /* one that starts within the run, or right after it, extends it */

        for (k = i + 1; k <= end && k < len; k++) {
            e = ngx_http_precancel_redact_end(src, len, k, secrets, n);

            if (e > end) {
                end = e;
            }
        }

        if (max - o < NGX_HTTP_PRECANCEL_REDACTED_LEN) {
            break;
        }

        if (dst) {
            memcpy(dst + o, NGX_HTTP_PRECANCEL_REDACTED,
                   NGX_HTTP_PRECANCEL_REDACTED_LEN);
        }

        o += NGX_HTTP_PRECANCEL_REDACTED_LEN;
        i = end;
        plain = 0;
    }

    *used = i;

    return o;
}


/* the end of the longest occurrence starting at src[i], or i if none */

static size_t
ngx_http_precancel_redact_end(const unsigned char *src, size_t len,
    size_t i, const ngx_http_precancel_secret_t *secrets, size_t n)
{
    size_t  j, end;

    end = i;

    for (j = 0; j < n; j++) {
        if (secrets[j].len == 0
            || secrets[j].len > len - i
            || secrets[j].data[0] != src[i]
            || i + secrets[j].len <= end
            || memcmp(secrets[j].data, src + i, secrets[j].len) != 0)
        {
            continue;
        }

        end = i + secrets[j].len;
    }

    return end;
}
