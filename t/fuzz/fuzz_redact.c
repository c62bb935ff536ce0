
/*
 * libFuzzer harness of the redaction of secrets.  The input is up to 3
 * secrets (a length byte, then that many bytes each), a byte for the
 * maximum output, then the text.  The copy must equal one made the
 * slow way (every byte of every occurrence marked, each run of marked
 * bytes one "[redacted]"); counting alone must give the same lengths; a
 * cut copy must be a prefix of the whole one, ending within a piece and
 * a UTF-8 sequence of the maximum; find() must agree with the marks.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_precancel_redact.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                        n, i, j, len, max, used, full, cut, e, o;
    uint8_t                      *mark, *ref, *out, *part;
    const uint8_t                *text;
    ngx_http_precancel_secret_t   secrets[3];

    if (size < 2) {
        return 0;
    }

    n = data[0] % 4;
    data++;
    size--;

    for (i = 0; i < n; i++) {
        if (size < 1 || (size_t) data[0] % 16 + 1 > size - 1) {
            return 0;
        }

        secrets[i].len = data[0] % 16 + 1;
        secrets[i].data = data + 1;

        data += 1 + secrets[i].len;
        size -= 1 + secrets[i].len;
    }

    if (size < 1) {
        return 0;
    }

    max = data[0];
    text = data + 1;
    len = size - 1;

    mark = calloc(len + 1, 1);
    ref = malloc(len * NGX_HTTP_PRECANCEL_REDACTED_LEN + 1);
    out = malloc(len * NGX_HTTP_PRECANCEL_REDACTED_LEN + 1);
    part = malloc(max + 1);

    if (mark == NULL || ref == NULL || out == NULL || part == NULL) {
        abort();
    }

    /* the slow way */

    e = 0;

    for (i = 0; i < len; i++) {
        for (j = 0; j < n; j++) {
            if (secrets[j].len <= len - i
                && memcmp(text + i, secrets[j].data, secrets[j].len) == 0)
            {
                memset(mark + i, 1, secrets[j].len);
                e = 1;
            }
        }
    }

    if (ngx_http_precancel_redact_find(text, len, secrets, n) != (int) e) {
        abort();
    }

    o = 0;

    for (i = 0; i < len; /* void */) {
        if (!mark[i]) {
            ref[o++] = text[i++];
            continue;
        }

        while (i < len && mark[i]) {
            i++;
        }

        memcpy(ref + o, NGX_HTTP_PRECANCEL_REDACTED,
               NGX_HTTP_PRECANCEL_REDACTED_LEN);
        o += NGX_HTTP_PRECANCEL_REDACTED_LEN;
    }

    e = len * NGX_HTTP_PRECANCEL_REDACTED_LEN;

    full = ngx_http_precancel_redact(out, e, text, len, secrets, n, &used);

    if (full != o || used != len || memcmp(out, ref, o) != 0) {
        abort();
    }

    if (ngx_http_precancel_redact(NULL, e, text, len, secrets, n, &used)
        != full
        || used != len)
    {
        abort();
    }

    /* cut at max: a prefix, short of max by less than a marker */

    cut = ngx_http_precancel_redact(part, max, text, len, secrets, n, &used);

    if (cut > max || cut > full || memcmp(part, out, cut) != 0
        || used > len
        || (used < len && cut + NGX_HTTP_PRECANCEL_REDACTED_LEN <= max)
        || (used == len && cut != full))
    {
        abort();
    }

    free(mark);
    free(ref);
    free(out);
    free(part);

    return 0;
}
