
/*
 * Known-answer tests of the hex and base64 coding: RFC 4648 section 10's
 * base64 vectors with and without padding, both cases of hex, and what
 * each decoder refuses.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_edge_codec.h"
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
static void check_next_id(void);
static void check_printable(void);


int
main(void)
{
    int            ok, digit;
    size_t         i;
    unsigned char  all[256], hex[512], back[256], pair[3], pair4[20];

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

    ngx_edge_hex_encode(hex, all, 256);

    tap_ok(memcmp(hex, "000102", 6) == 0
           && memcmp(hex + 2 * 0xab, "ab", 2) == 0
           && memcmp(hex + 510, "ff", 2) == 0,
           "hex encode writes lowercase pairs");

    /* every length up to 9: the steps of four bytes and what is left */

    ok = 1;

    for (i = 0; i <= 9; i++) {
        memset(pair4, '-', sizeof(pair4));
        ngx_edge_hex_encode(pair4, all + 0xf6, i);
        ok &= memcmp(pair4, hex + 2 * 0xf6, 2 * i) == 0
              && pair4[2 * i] == '-';
    }

    tap_ok(ok, "hex encode of 0 to 9 bytes writes 2 digits a byte, no more");

    tap_ok(ngx_edge_hex_decode(back, hex, 512) == NULL
           && memcmp(back, all, 256) == 0,
           "hex decode inverts encode for every byte");

    /* every byte value as either digit of a pair: a digit, or refused */

    ok = 1;

    for (i = 0; i < 256; i++) {
        digit = (i >= '0' && i <= '9') || (i >= 'a' && i <= 'f')
                || (i >= 'A' && i <= 'F');

        pair[0] = (unsigned char) i;
        pair[1] = '7';
        pair[2] = '\0';
        ok &= (ngx_edge_hex_decode(back, pair, 2) == NULL) == digit
              && (!digit || back[0] == (unsigned char) (strtol((char *) pair,
                                                               NULL, 16)));

        pair[0] = '7';
        pair[1] = (unsigned char) i;
        ok &= (ngx_edge_hex_decode(back, pair, 2) == NULL) == digit;
    }

    tap_ok(ok, "hex decode takes 0-9, a-f and A-F only, in either place");

    check_next_id();
    check_printable();

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
    err = ngx_edge_base64_decode(out, &n, (unsigned char *) c->text,
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

    err = ngx_edge_hex_decode(out, (unsigned char *) c->text,
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


/* the click id counter: one step, a carry, a carry through all, the wrap */

static void
check_next_id(void)
{
    unsigned char  ctr[16], id[33];

    static const struct {
        const char  *from;       /* 16 bytes */
        const char  *to;         /* the id written */
    } steps[] = {
        { "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
          "00000000000000000000000000000001" },
        { "\x12\x34\x56\x78\x9a\xbc\xde\xf0"
          "\x0f\xed\xcb\xa9\x87\x65\x43\x20",
          "123456789abcdef00fedcba987654321" },
        { "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff",
          "00000000000000000000000000000100" },
        { "\x01\xff\xff\xff\xff\xff\xff\xff"
          "\xff\xff\xff\xff\xff\xff\xff\xff",
          "02000000000000000000000000000000" },
        { "\xff\xff\xff\xff\xff\xff\xff\xff"
          "\xff\xff\xff\xff\xff\xff\xff\xff",
          "00000000000000000000000000000000" },
    };

    size_t  i;
    char    name[64];

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        memcpy(ctr, steps[i].from, 16);
        memset(id, '#', sizeof(id));

        ngx_edge_next_id(ctr, id);

        snprintf(name, sizeof(name), "next id after step %u is %.8s...",
                 (unsigned) i, steps[i].to);
        tap_ok(memcmp(id, steps[i].to, 32) == 0 && id[32] == '#', name);
    }

    /* the counter itself moved: the next call gives the next id */

    ngx_edge_next_id(ctr, id);
    tap_ok(memcmp(id, "00000000000000000000000000000001", 32) == 0,
           "next id continues from the wrapped counter");
}


/*
 * Every byte value at every place of a 19-byte run of printable bytes
 * (two eight-byte steps and three bytes after them): the run found must
 * end at it exactly when it is not printable, however far the bytes
 * around it are from 0x20 and 0x7f.
 */

static void
check_printable(void)
{
    int            ok;
    size_t         at, got, fill, expect;
    unsigned int   b;
    unsigned char  buf[19];
    char           name[80];

    static const unsigned char  fills[] = { ' ', '~', 'a', '!' };

    for (fill = 0; fill < sizeof(fills); fill++) {
        ok = 1;

        for (b = 0; b < 256 && ok; b++) {
            for (at = 0; at < sizeof(buf) && ok; at++) {
                memset(buf, fills[fill], sizeof(buf));
                buf[at] = (unsigned char) b;

                expect = (b >= 0x20 && b < 0x7f) ? sizeof(buf) : at;
                got = ngx_edge_printable_len(buf, sizeof(buf));

                if (got != expect) {
                    printf("# byte 0x%02x at %zu: %zu, expected %zu\n", b,
                           at, got, expect);
                    ok = 0;
                }
            }
        }

        snprintf(name, sizeof(name), "printable_len: every byte at every "
                 "place among '%c'", fills[fill]);
        tap_ok(ok, name);
    }

    /* two bytes out of range in one word: the first one counts */

    memcpy(buf, "abc\x7f" "def\x1fghijklmnop", sizeof(buf));
    tap_ok(ngx_edge_printable_len(buf, sizeof(buf)) == 3,
           "printable_len: DEL then a control byte in one word");

    memcpy(buf, "abcdefg\x80" "\x01" "hijklmnopq", sizeof(buf));
    tap_ok(ngx_edge_printable_len(buf, sizeof(buf)) == 7,
           "printable_len: a top bit then a control byte");

    tap_ok(ngx_edge_printable_len(buf, 0) == 0, "printable_len: empty");
}
