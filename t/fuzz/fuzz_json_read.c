
/*
 * libFuzzer harness of the strict JSON reader: arbitrary bytes go to
 * ngx_http_precancel_json_lookup() with the wants the module asks for
 * (and a few more), and what it returns is checked against its contract.
 * The scratch buffer is exactly len bytes of its own, so that ASan sees
 * any write or read past what the header promises.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_precancel_json.h"


#define NWANTS  5


static const char  *paths[NWANTS] = {
    "valid", "message", "url", "hosted_page.url", "a.b.c"
};


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void check_alone(const uint8_t *data, size_t size,
    const ngx_http_precancel_json_want_t *want);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                           i, err_off;
    const char                      *err;
    unsigned char                   *scratch;
    const unsigned char             *s;
    ngx_http_precancel_json_want_t   wants[NWANTS];

    scratch = malloc(size);
    if (scratch == NULL && size != 0) {
        abort();
    }

    for (i = 0; i < NWANTS; i++) {
        /* wrong values in the outputs: the reader must set them all */
        wants[i].path = paths[i];
        wants[i].type = NGX_HTTP_PRECANCEL_JSON_OBJECT;
        wants[i].str = (const unsigned char *) &wants[i];
        wants[i].len = (size_t) -7;
    }

    err_off = (size_t) -1;

    err = ngx_http_precancel_json_lookup(data, size, wants, NWANTS, scratch,
                                         &err_off);

    if (err != NULL) {
        if (err_off > size || err[0] == '\0') {
            abort();
        }

        free(scratch);
        return 0;
    }

    for (i = 0; i < NWANTS; i++) {

        switch (wants[i].type) {

        case NGX_HTTP_PRECANCEL_JSON_STRING:
            /* the input's own bytes, or decoded in scratch */
            s = wants[i].str;

            if (s == NULL
                || !((s >= data && s <= data + size
                      && wants[i].len <= (size_t) (data + size - s))
                     || (s >= scratch && s <= scratch + size
                         && wants[i].len <= (size_t) (scratch + size - s))))
            {
                abort();
            }

            if (!ngx_http_precancel_utf8_valid(s, wants[i].len)) {
                abort();
            }

            break;

        case NGX_HTTP_PRECANCEL_JSON_NUMBER:
            /* a number is its text as it stands in the input */
            s = wants[i].str;

            if (s == NULL || wants[i].len == 0
                || s < data || s > data + size
                || wants[i].len > (size_t) (data + size - s))
            {
                abort();
            }

            break;

        case NGX_HTTP_PRECANCEL_JSON_ABSENT:
        case NGX_HTTP_PRECANCEL_JSON_NULL:
        case NGX_HTTP_PRECANCEL_JSON_FALSE:
        case NGX_HTTP_PRECANCEL_JSON_TRUE:
        case NGX_HTTP_PRECANCEL_JSON_ARRAY:
        case NGX_HTTP_PRECANCEL_JSON_OBJECT:
            break;

        default:
            abort();
        }
    }

    /*
     * Which wants are asked for changes only which duplicate members are
     * errors, so each want asked for alone reads the same, and a reader
     * with no wants accepts the document too.
     */

    for (i = 0; i < NWANTS; i++) {
        check_alone(data, size, &wants[i]);
    }

    if (ngx_http_precancel_json_lookup(data, size, NULL, 0, scratch,
                                       &err_off)
        != NULL)
    {
        abort();
    }

    free(scratch);

    return 0;
}


static void
check_alone(const uint8_t *data, size_t size,
    const ngx_http_precancel_json_want_t *want)
{
    size_t                           err_off;
    unsigned char                   *scratch;
    ngx_http_precancel_json_want_t   one;

    scratch = malloc(size);
    if (scratch == NULL && size != 0) {
        abort();
    }

    one.path = want->path;

    if (ngx_http_precancel_json_lookup(data, size, &one, 1, scratch,
                                       &err_off)
        != NULL)
    {
        abort();
    }

    if (one.type != want->type || one.len != want->len) {
        abort();
    }

    switch (one.type) {

    case NGX_HTTP_PRECANCEL_JSON_STRING:
        if (memcmp(one.str, want->str, one.len) != 0) {
            abort();
        }

        break;

    case NGX_HTTP_PRECANCEL_JSON_NUMBER:
        if (one.str != want->str) {
            abort();
        }

        break;

    default:
        break;
    }

    free(scratch);
}
