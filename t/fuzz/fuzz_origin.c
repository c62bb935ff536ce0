
/*
 * libFuzzer harness of the cross-origin policy: the input is split at
 * NUL bytes into Sec-Fetch-Site, -Mode, -Dest, Origin and Host (a piece
 * of one byte 0x01 stands for an absent header).  Whatever the bytes,
 * the check must return a reason or allow; same-origin and none are
 * always allowed, and a request from another site that is not a
 * navigation is never allowed without a trusted Origin.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_precancel_origin.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const unsigned char  trusted_origin[] = "https://app.example.com";


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                               navigation;
    size_t                            i, n, start;
    const char                       *err, *err2;
    ngx_http_precancel_origin_str_t  *f[5], trusted;
    ngx_http_precancel_origin_req_t   req;

    if (size == 0) {
        return 0;
    }

    navigation = data[0] & 1;
    data++;
    size--;

    memset(&req, 0, sizeof(req));

    f[0] = &req.site;
    f[1] = &req.mode;
    f[2] = &req.dest;
    f[3] = &req.origin;
    f[4] = &req.host;

    for (i = 0, n = 0, start = 0; i <= size && n < 5; i++) {
        if (i < size && data[i] != '\0') {
            continue;
        }

        if (!(i - start == 1 && data[start] == 0x01)) {
            f[n]->data = data + start;
            f[n]->len = i - start;
        }

        n++;
        start = i + 1;
    }

    trusted.data = trusted_origin;
    trusted.len = sizeof(trusted_origin) - 1;

    err = ngx_http_precancel_origin_check(&req, navigation, &trusted, 1);

    if (err != NULL && err[0] == '\0') {
        abort();
    }

    if (req.site.data
        && ((req.site.len == 11
             && memcmp(req.site.data, "same-origin", 11) == 0)
            || (req.site.len == 4 && memcmp(req.site.data, "none", 4) == 0))
        && err != NULL)
    {
        abort();
    }

    /* without the trusted list, only more is refused, never less */

    err2 = ngx_http_precancel_origin_check(&req, navigation, NULL, 0);

    if (err == NULL && err2 != NULL
        && !(req.origin.data && req.origin.len == trusted.len
             && memcmp(req.origin.data, trusted.data, trusted.len) == 0))
    {
        /* the trusted origin matches case-insensitively too */

        for (i = 0; req.origin.data && i < req.origin.len
                    && req.origin.len == trusted.len; i++)
        {
            if ((req.origin.data[i] | 0x20) != (trusted.data[i] | 0x20)) {
                abort();
            }
        }

        if (req.origin.data == NULL || req.origin.len != trusted.len) {
            abort();
        }
    }

    if (err != NULL && err2 == NULL) {
        abort();
    }

    (void) ngx_http_precancel_origin_valid(data, size);

    return 0;
}
