
/*
 * Known-answer tests of the redaction of secrets: the forms a key is
 * sent back in (Base64 and percent-encoding computed by Python's base64
 * and urllib, not by the code under test), and the copy with each run
 * of secret bytes replaced, cut at a maximum without half a secret or
 * half a UTF-8 sequence.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_http_precancel_redact.h"
#include "tap.h"


#define S(s)  { (const unsigned char *) (s), sizeof(s) - 1 }


static int has_form(const ngx_http_precancel_secret_t *forms, size_t n,
    const char *form);
static int contains(const unsigned char *text, size_t len, const char *s);
static int redacts(const ngx_http_precancel_secret_t *secrets, size_t n,
    const char *src, size_t max, const char *want, size_t want_used);


static unsigned char  buf[1 << 14];


int
main(void)
{
    size_t                       n, m, used, i;
    unsigned char                out[512];
    ngx_http_precancel_secret_t  forms[3 * NGX_HTTP_PRECANCEL_REDACT_FORMS];

    static const char  key[] = "test_cbkey_tsTdOhgD4zbjrXchlB7Md10dwsl9rP";
    static const char  bytes[] = "\xfb\xff\xbf\x3e\xfe\x7f\xa0";

    static const ngx_http_precancel_secret_t  two[] = {
        S("abcd"), S("cdef")
    };

    static const ngx_http_precancel_secret_t  utf8[] = {
        S("SECRET")
    };

    /* the forms of a Billing API key (only letters, digits and "_") */

    if (ngx_http_precancel_redact_forms_size(sizeof(key) - 1)
        > sizeof(buf))
    {
        tap_ok(0, "forms fit the test's buffer");
        return tap_done();
    }

    n = ngx_http_precancel_redact_forms(forms, buf, (unsigned char *) key,
                                        sizeof(key) - 1);

    tap_ok(n <= NGX_HTTP_PRECANCEL_REDACT_FORMS, "at most FORMS forms");
    tap_ok(has_form(forms, n, key), "the key itself");
    tap_ok(has_form(forms, n,
                    "dGVzdF9jYmtleV90c1RkT2hnRDR6YmpyWGNobEI3TWQxMGR3c2w5clA"),
           "Base64 of the key, without its padding");

    /* Base64 of "key:" is that of the key's 13 whole groups, then "A6" */
    tap_ok(has_form(forms, n,
                    "dGVzdF9jYmtleV90c1RkT2hnRDR6YmpyWGNobEI3TWQxMGR3c2w5"),
           "Base64 of the key's whole groups (what Base64 of key: shows)");

    /* every form is listed once; an alphanumeric key is its own encoding */
    for (i = 0, m = 0; i < n; i++) {
        m += forms[i].len == sizeof(key) - 1
             && memcmp(forms[i].data, key, sizeof(key) - 1) == 0;
    }

    tap_ok(m == 1, "no duplicate form (percent-encoding adds nothing)");

    /* the Basic credential, in a long message, redacted whole */

    m = ngx_http_precancel_redact(out, sizeof(out),
            (unsigned char *) "invalid api key Basic "
            "dGVzdF9jYmtleV90c1RkT2hnRDR6YmpyWGNobEI3TWQxMGR3c2w5clA6 "
            "for test_cbkey_tsTdOhgD4zbjrXchlB7Md10dwsl9rP.",
            sizeof("invalid api key Basic "
            "dGVzdF9jYmtleV90c1RkT2hnRDR6YmpyWGNobEI3TWQxMGR3c2w5clA6 "
            "for test_cbkey_tsTdOhgD4zbjrXchlB7Md10dwsl9rP.") - 1,
            forms, n, &used);

    /* one Base64 character (4 bits of the key's last byte, then ":") */
    tap_ok(m == sizeof("invalid api key Basic [redacted]6 for [redacted].")
                - 1
           && memcmp(out, "invalid api key Basic [redacted]6 for "
                     "[redacted].", m) == 0,
           "a Basic credential and the key in one message");

    /* Base64 of "xkey:" and "xykey:": the key at other alignments */

    m = ngx_http_precancel_redact(out, sizeof(out), (unsigned char *)
            "eHRlc3RfY2JrZXlfdHNUZE9oZ0Q0emJqclhjaGxCN01kMTBkd3NsOXJQOg==",
            60, forms, n, &used);

    tap_ok(m < 30 && contains(out, m, "[redacted]"),
           "Base64 of text holding the key at its 2nd byte");

    m = ngx_http_precancel_redact(out, sizeof(out), (unsigned char *)
            "eHl0ZXN0X2Nia2V5X3RzVGRPaGdENHpianJYY2hsQjdNZDEwZHdzbDlyUDo=",
            60, forms, n, &used);

    tap_ok(m < 30 && contains(out, m, "[redacted]"),
           "Base64 of text holding the key at its 3rd byte");

    /* bytes that need "+", "/", padding and percent-encoding */

    n = ngx_http_precancel_redact_forms(forms, buf,
                                        (unsigned char *) bytes,
                                        sizeof(bytes) - 1);

    tap_ok(has_form(forms, n, "+/+/Pv5/oA"), "standard Base64");
    tap_ok(has_form(forms, n, "-_-_Pv5_oA"), "URL-safe Base64");
    tap_ok(has_form(forms, n, "%2B%2F%2B%2FPv5%2FoA"),
           "percent-encoded Base64, uppercase");
    tap_ok(has_form(forms, n, "%2b%2f%2b%2fPv5%2foA"),
           "percent-encoded Base64, lowercase");
    tap_ok(has_form(forms, n, "%FB%FF%BF%3E%FE%7F%A0"),
           "percent-encoded bytes, uppercase");
    tap_ok(has_form(forms, n, "%fb%ff%bf%3e%fe%7f%a0"),
           "percent-encoded bytes, lowercase");
    tap_ok(has_form(forms, n, "/78+/n+g"),
           "Base64 of the 2 whole groups from the 2nd byte");
    tap_ok(!has_form(forms, n, "vz7+"),
           "no form of a single group (from the 3rd byte)");

    /* runs */

    tap_ok(redacts(two, 2, "xxabcdefyy", 100, "xx[redacted]yy", 10),
           "overlapping occurrences are one run");
    tap_ok(redacts(two, 2, "abcdabcd", 100, "[redacted]", 8),
           "touching occurrences are one run");
    tap_ok(redacts(two, 2, "abc cde abcdx", 100, "abc cde [redacted]x", 13),
           "partial matches stay");
    tap_ok(redacts(two, 2, "", 100, "", 0), "empty text");
    tap_ok(redacts(NULL, 0, "abcdef", 100, "abcdef", 6), "no secrets");

    /* cuts */

    tap_ok(redacts(two, 2, "0123456789abcdef", 12, "0123456789", 10),
           "a marker that does not fit is left out, not cut");
    tap_ok(redacts(two, 2, "0123456789abcdef", 20, "0123456789[redacted]",
                   16),
           "a marker that fits exactly");
    tap_ok(redacts(NULL, 0, "0123456789", 4, "0123", 4),
           "plain text cut at max");
    tap_ok(redacts(utf8, 1, "a\xc3\xa9", 2, "a", 1),
           "a two-byte sequence is not cut in two");
    tap_ok(redacts(utf8, 1, "a\xe2\x82\xac", 3, "a", 1),
           "a three-byte sequence is not cut in two");
    tap_ok(redacts(utf8, 1, "a\xc3\xa9", 3, "a\xc3\xa9", 3),
           "a sequence that fits stays");
    tap_ok(redacts(utf8, 1, "\xc3\xa9SECRET\x82", 12, "\xc3\xa9[redacted]", 8),
           "no back-off over a marker");
    tap_ok(redacts(utf8, 1, "xSECRE", 100, "xSECRE", 6),
           "half a secret at the end of the text is not one");

    /* counting alone, and finding */

    m = ngx_http_precancel_redact(NULL, 100, (unsigned char *) "xxabcdefyy",
                                  10, two, 2, &used);
    tap_ok(m == 14 && used == 10, "counting without dst");

    tap_ok(ngx_http_precancel_redact_find(
               (unsigned char *) "https://x/?k=cdef", 17, two, 2),
           "find: an occurrence");
    tap_ok(!ngx_http_precancel_redact_find(
               (unsigned char *) "https://x/?k=cde", 16, two, 2),
           "find: none");

    return tap_done();
}


static int
has_form(const ngx_http_precancel_secret_t *forms, size_t n, const char *form)
{
    size_t  i, len;

    len = strlen(form);

    for (i = 0; i < n; i++) {
        if (forms[i].len == len && memcmp(forms[i].data, form, len) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
contains(const unsigned char *text, size_t len, const char *s)
{
    size_t  i, n;

    n = strlen(s);

    for (i = 0; i + n <= len; i++) {
        if (memcmp(text + i, s, n) == 0) {
            return 1;
        }
    }

    return 0;
}


static int
redacts(const ngx_http_precancel_secret_t *secrets, size_t n,
    const char *src, size_t max, const char *want, size_t want_used)
{
    size_t         len, used;
    unsigned char  out[256];

    len = ngx_http_precancel_redact(out, max, (const unsigned char *) src,
                                    strlen(src), secrets, n, &used);

    if (len == strlen(want) && memcmp(out, want, len) == 0
        && used == want_used)
    {
        return 1;
    }

    printf("# got \"%.*s\" (%zu), used %zu\n", (int) len, out, len, used);

    return 0;
}
