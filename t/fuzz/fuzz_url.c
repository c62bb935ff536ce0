
/*
 * libFuzzer harness of the redirect URL check: whatever it accepts must
 * be an absolute https URL of printable ASCII without a backslash or user
 * information, no longer than NGX_HTTP_PRECANCEL_URL_MAX; whatever it
 * refuses must come with a reason.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_precancel_url.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t       i;
    const char  *err;

    static const char  scheme[] = "https://";

    err = ngx_http_precancel_url_check(data, size);

    if (err != NULL) {
        if (err[0] == '\0') {
            abort();
        }

        return 0;
    }

    if (size > NGX_HTTP_PRECANCEL_URL_MAX || size < sizeof(scheme) - 1) {
        abort();
    }

    for (i = 0; i < sizeof(scheme) - 1; i++) {
        if (data[i] != (uint8_t) scheme[i]
            && !(data[i] >= 'A' && data[i] <= 'Z'
                 && data[i] + ('a' - 'A') == (uint8_t) scheme[i]))
        {
            abort();
        }
    }

    for (i = 0; i < size; i++) {
        if (data[i] < 0x21 || data[i] > 0x7e || data[i] == '\\') {
            abort();
        }
    }

    /* the authority runs to the first '/', '?' or '#' after the scheme */

    for (i = sizeof(scheme) - 1; i < size; i++) {
        if (data[i] == '/' || data[i] == '?' || data[i] == '#') {
            break;
        }

        if (data[i] == '@') {
            abort();
        }
    }

    /* and it holds a host */

    if (i == sizeof(scheme) - 1) {
        abort();
    }

    return 0;
}
