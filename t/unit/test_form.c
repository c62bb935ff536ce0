
/*
 * Known-answer tests of the form (application/x-www-form-urlencoded)
 * writer and of the URI-path id check.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_http_precancel_form.h"
#include "tap.h"


typedef struct {
    const char  *name;
    const char  *n1;
    size_t       n1_len;
    const char  *v1;
    size_t       v1_len;
    const char  *n2;
    const char  *v2;
    const char  *want;
} kat_t;


static int write_is(const ngx_http_precancel_form_pair_t *pairs, size_t n,
    const char *want, const char *description);


int
main(void)
{
    size_t                          i;
    char                            id51[52], id50[51];
    ngx_http_precancel_form_pair_t  pairs[2];

    static const kat_t  kats[] = {
        { "plain pair", "a", 1, "b", 1, NULL, NULL, "a=b" },
        { "nested name is percent-encoded", "subscription[id]", 16,
          "sub_42", 6, NULL, NULL, "subscription%5Bid%5D=sub_42" },
        { "unreserved bytes stay", "k", 1, "AZaz09-._*", 10, NULL, NULL,
          "k=AZaz09-._*" },
        { "space is +, + is %2B", "q", 1, "a b+c", 5, NULL, NULL,
          "q=a+b%2Bc" },
        { "reserved bytes, uppercase hex", "u", 1,
          "https://x.example/p?a=1&b=2#f", 29, NULL, NULL,
          "u=https%3A%2F%2Fx.example%2Fp%3Fa%3D1%26b%3D2%23f" },
        { "tilde is encoded", "t", 1, "~", 1, NULL, NULL, "t=%7E" },
        { "UTF-8 bytes", "n", 1, "j\xc3\xb6rg", 5, NULL, NULL,
          "n=j%C3%B6rg" },
        { "control bytes and NUL", "c", 1, "\r\n\0\x7f", 4, NULL, NULL,
          "c=%0D%0A%00%7F" },
        { "two pairs joined by &", "a", 1, "1", 1, "b", "2", "a=1&b=2" },
        { "empty first value left out", "a", 1, "", 0, "b", "2", "b=2" },
        { "empty second value left out", "a", 1, "1", 1, "b", "", "a=1" },
        { "all empty: empty body", "a", 1, "", 0, "b", "", "" },
    };

    for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        pairs[0].name = (const unsigned char *) kats[i].n1;
        pairs[0].name_len = kats[i].n1_len;
        pairs[0].value = (const unsigned char *) kats[i].v1;
        pairs[0].value_len = kats[i].v1_len;

        if (kats[i].n2) {
            pairs[1].name = (const unsigned char *) kats[i].n2;
            pairs[1].name_len = strlen(kats[i].n2);
            pairs[1].value = (const unsigned char *) kats[i].v2;
            pairs[1].value_len = strlen(kats[i].v2);
        }

        write_is(pairs, kats[i].n2 ? 2 : 1, kats[i].want, kats[i].name);
    }

    write_is(pairs, 0, "", "no pairs: empty body");

    /* the id check */

    memset(id50, 'a', 50);
    memset(id51, 'a', 51);

    tap_ok(ngx_http_precancel_form_id_check((const unsigned char *) "sub_42",
                                            6) == NULL,
           "id sub_42 passes");
    tap_ok(ngx_http_precancel_form_id_check(
               (const unsigned char *) "AzGqYdSuNdKg2T1-_9", 18) == NULL,
           "id of letters, digits, - and _ passes");
    tap_ok(ngx_http_precancel_form_id_check((const unsigned char *) id50, 50)
           == NULL, "id of 50 bytes passes");
    tap_ok(ngx_http_precancel_form_id_check((const unsigned char *) id51, 51)
           != NULL, "id of 51 bytes is refused");
    tap_ok(ngx_http_precancel_form_id_check((const unsigned char *) "", 0)
           != NULL, "empty id is refused");

    {
        static const char  *bad[] = {
            "..", ".", "a/b", "../customers", "%2F", "a%2e", "a?b", "a#b",
            "a b", "a\r\nb", "a\tb", "a;b", "a:b", "a+b", "a=b", "a&b",
            "\xc3\xa9", "a\\b", "a@b", "~a"
        };

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char  desc[64];

            snprintf(desc, sizeof(desc), "id with a bad byte refused (%zu)",
                     i);
            tap_ok(ngx_http_precancel_form_id_check(
                       (const unsigned char *) bad[i], strlen(bad[i]))
                   != NULL, desc);
        }

        tap_ok(ngx_http_precancel_form_id_check((const unsigned char *) "a\0b",
                                                3)
               != NULL, "id with a NUL refused");
    }

    return tap_done();
}


static int
write_is(const ngx_http_precancel_form_pair_t *pairs, size_t n,
    const char *want, const char *description)
{
    size_t          len;
    unsigned char  *end;
    unsigned char   buf[256];

    len = ngx_http_precancel_form_len(pairs, n);

    memset(buf, 0xee, sizeof(buf));
    end = ngx_http_precancel_form_write(buf, pairs, n);

    return tap_ok(len == strlen(want)
                  && (size_t) (end - buf) == len
                  && memcmp(buf, want, len) == 0
                  && buf[len] == 0xee,
                  description);
}
