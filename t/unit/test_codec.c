
/*
 * Known-answer tests of the hex and base64 coding: RFC 4648 section 10's
 * base64 vectors with and without padding, both cases of hex, and what
 * each decoder refuses.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_http_precancel_codec.h"
#include "tap.h"


typedef struct {
    const char  *text;
    const char  *bytes;        /* NULL: refused */
    size_t       len;
} codec_case_t;


static void check_base64(const codec_case_t *c);
static void check_hex(const codec_case_t *c);
static void name_of(char *name, size_t size, const codec_case_t *c,
    const char *what);


int
main(void)
{
    size_t         i;
    unsigned char  all[256], hex[512], back[256];

    static const codec_case_t  base64[] = {
        { "", "", 0 },
        { "Zg==", "f", 1 },
        { "Zm8=", "fo", 2 },
        { "Zm9v", "foo", 3 },
        { "Zm9vYg==", "foob", 4 },
        { "Zm9vYmE=", "fooba", 5 },
        { "Zm9vYmFy", "foobar", 6 },
        { "Zg", "f", 1 },
        { "Zm8", "fo", 2 },
        { "Zm9vYg", "foob", 4 },
        { "Zm9vYmE", "fooba", 5 },
        { "+/+/", "\xfb\xff\xbf", 3 },

        { "Z", NULL, 0 },
        { "Zm9vY", NULL, 0 },
        { "Zg=", NULL, 0 },
        { "Zg===", NULL, 0 },
        { "Zm9v====", NULL, 0 },
        { "Zm8==", NULL, 0 },
        { "Zg==Zg==", NULL, 0 },
        { "=Zg=", NULL, 0 },
        { "====", NULL, 0 },
        { "Zh==", NULL, 0 },             /* unused bits set */
        { "Zm9=", NULL, 0 },
        { "Zm9v YmFy", NULL, 0 },
        { "Zm9v-_", NULL, 0 },           /* the URL-safe alphabet */
        { "Zm9v\n", NULL, 0 },
    };

    static const codec_case_t  hexes[] = {
        { "", "", 0 },
        { "00ff7f80", "\x00\xff\x7f\x80", 4 },
        { "DEADbeef", "\xde\xad\xbe\xef", 4 },
        { "0123456789abcdefABCDEF", "\x01\x23\x45\x67\x89\xab\xcd\xef"
                                    "\xab\xcd\xef", 11 },

        { "0", NULL, 0 },
        { "abc", NULL, 0 },
        { "0g", NULL, 0 },
        { "g0", NULL, 0 },
        { "0x00", NULL, 0 },
        { " 00", NULL, 0 },
        { "00:", NULL, 0 },
    };

    for (i = 0; i < sizeof(base64) / sizeof(base64[0]); i++) {
        check_base64(&base64[i]);
    }

    for (i = 0; i < sizeof(hexes) / sizeof(hexes[0]); i++) {
        check_hex(&hexes[i]);
    }

    /* every byte value, through encode and back */

    for (i = 0; i < 256; i++) {
        all[i] = (unsigned char) i;
    }

    ngx_http_precancel_hex_encode(hex, all, 256);

    tap_ok(memcmp(hex, "000102", 6) == 0
           && memcmp(hex + 2 * 0xab, "ab", 2) == 0
           && memcmp(hex + 510, "ff", 2) == 0,
           "hex encode writes lowercase pairs");

    tap_ok(ngx_http_precancel_hex_decode(back, hex, 512) == NULL
           && memcmp(back, all, 256) == 0,
           "hex decode inverts encode for every byte");

    return tap_done();
}


static void
check_base64(const codec_case_t *c)
{
    size_t          n;
    const char     *err;
    char            name[128];
    unsigned char   out[64];

    n = (size_t) -1;
    err = ngx_http_precancel_base64_decode(out, &n, (unsigned char *) c->text,
                                           strlen(c->text));

    name_of(name, sizeof(name), c, "base64");

    if (c->bytes) {
        tap_ok(err == NULL && n == c->len && memcmp(out, c->bytes, n) == 0,
               name);

    } else {
        tap_ok(err != NULL && err[0] != '\0', name);
    }
}


static void
check_hex(const codec_case_t *c)
{
    const char     *err;
    char            name[128];
    unsigned char   out[64];

    err = ngx_http_precancel_hex_decode(out, (unsigned char *) c->text,
                                        strlen(c->text));

    name_of(name, sizeof(name), c, "hex");

    if (c->bytes) {
        tap_ok(err == NULL && memcmp(out, c->bytes, c->len) == 0, name);

    } else {
        tap_ok(err != NULL && err[0] != '\0', name);
    }
}


/* the test's name, with control characters shown as "?" to keep TAP whole */

static void
name_of(char *name, size_t size, const codec_case_t *c, const char *what)
{
    char  *p;

    snprintf(name, size, "%s \"%s\" %s", what, c->text,
             c->bytes ? "decodes" : "is refused");

    for (p = name; *p; p++) {
        if ((unsigned char) *p < 0x20) {
            *p = '?';
        }
    }
}
