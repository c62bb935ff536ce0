
/*
 * libFuzzer harness of the form writer: the input is split into pairs at
 * 0x00 (name) and 0x01 (value) bytes; the length pass must agree with the
 * bytes written, the output must use only the form alphabet, and an
 * independent decoder here must give every non-empty pair back byte for
 * byte.  Also: whatever the id check accepts is 1 to 50 bytes of
 * [A-Za-z0-9_-].
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_precancel_form.h"


#define MAX_PAIRS  64


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int unhex(int c);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                              hi, lo;
    size_t                           i, n, len, k, start, got;
    unsigned char                   *out, *end, *dec, *p, *q;
    const unsigned char             *want;
    size_t                           want_len;
    const char                      *err;
    ngx_http_precancel_form_pair_t   pairs[MAX_PAIRS];

    /* the id check on the whole input */

    err = ngx_http_precancel_form_id_check(data, size);

    if (err == NULL) {
        if (size == 0 || size > 50) {
            abort();
        }

        for (i = 0; i < size; i++) {
            if (!((data[i] >= 'a' && data[i] <= 'z')
                  || (data[i] >= 'A' && data[i] <= 'Z')
                  || (data[i] >= '0' && data[i] <= '9')
                  || data[i] == '_' || data[i] == '-'))
            {
                abort();
            }
        }
    }

    /* "name\1value\0name\1value..." into pairs */

    n = 0;
    start = 0;

    for (i = 0; i <= size && n < MAX_PAIRS; i++) {
        if (i < size && data[i] != 0) {
            continue;
        }

        pairs[n].name = data + start;
        pairs[n].name_len = i - start;
        pairs[n].value = NULL;
        pairs[n].value_len = 0;

        for (k = start; k < i; k++) {
            if (data[k] == 1) {
                pairs[n].name_len = k - start;
                pairs[n].value = data + k + 1;
                pairs[n].value_len = i - k - 1;
                break;
            }
        }

        n++;
        start = i + 1;
    }

    len = ngx_http_precancel_form_len(pairs, n);

    out = malloc(len + 1);
    dec = malloc(len + 1);

    if (out == NULL || dec == NULL) {
        abort();
    }

    end = ngx_http_precancel_form_write(out, pairs, n);

    if ((size_t) (end - out) != len) {
        abort();
    }

    /* decode, pair by pair, and compare with the non-empty inputs */

    p = out;
    k = 0;

    for (i = 0; i < n; i++) {
        if (pairs[i].value_len == 0) {
            continue;
        }

        if (k++ && (p == end || *p++ != '&')) {
            abort();
        }

        for (got = 0; got < 2; got++) {
            want = got ? pairs[i].value : pairs[i].name;
            want_len = got ? pairs[i].value_len : pairs[i].name_len;
            q = dec;

            while (p < end && *p != '&' && (got || *p != '=')) {
                if (*p == '%') {
                    if (end - p < 3) {
                        abort();
                    }

                    hi = unhex(p[1]);
                    lo = unhex(p[2]);

                    if (hi < 0 || lo < 0) {
                        abort();
                    }

                    *q++ = (unsigned char) (hi << 4 | lo);
                    p += 3;

                } else if (*p == '+') {
                    *q++ = ' ';
                    p++;

                } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                           || (*p >= '0' && *p <= '9') || *p == '-'
                           || *p == '.' || *p == '_' || *p == '*')
                {
                    *q++ = *p++;

                } else {
                    abort();
                }
            }

            if ((size_t) (q - dec) != want_len
                || (want_len && memcmp(dec, want, want_len) != 0))
            {
                abort();
            }

            if (!got && (p == end || *p++ != '=')) {
                abort();
            }
        }
    }

    if (p != end) {
        abort();
    }

    free(out);
    free(dec);

    return 0;
}


static int
unhex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }

    return -1;
}
