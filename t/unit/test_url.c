
/*
 * Known-answer tests of the redirect URL check: what may go out in a
 * Location header and what must not, with the reason given.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_http_precancel_url.h"
#include "tap.h"


typedef struct {
    const char  *url;
    size_t       len;
    const char  *reason;
} url_case_t;


static void check(const char *url, size_t len, const char *reason);


static unsigned char  big[NGX_HTTP_PRECANCEL_URL_MAX + 2];


int
main(void)
{
    size_t  i, n;

    static const char  whitespace[] =
        "URL contains whitespace, control or non-ASCII characters";
    static const char  host[] = "URL has an invalid host or port";
    static const char  scheme[] = "not an absolute https URL";

    static const char  nul[] = "https://x.example.com/a\0b";

    static const url_case_t  cases[] = {
        { "https://cancel.example.com/session/12345ABCDE", 0, NULL },
        { "HTTPS://X.EXAMPLE.COM", 0, NULL },
        { "https://x.example.com:8443/a?b=c#d", 0, NULL },
        { "https://[::1]/x", 0, NULL },
        { "https://x.example.com", 0, NULL },
        { "https://x.example.com?q", 0, NULL },
        { "https://x.example.com:65535/", 0, NULL },
        { "https://[2001:db8::1]:443/", 0, NULL },

        { "", 0, "empty URL" },
        { "javascript:alert(1)", 0, scheme },
        { "http://x.example.com/", 0, scheme },
        { "/relative", 0, scheme },
        { "//evil.example.com/", 0, scheme },
        { "https:/x.example.com/", 0, scheme },
        { "https:", 0, scheme },
        { "https://", 0, host },
        { "https:///path", 0, host },
        { "https://?q", 0, host },
        { "https://x.example.com/a\r\nSet-Cookie: a=b", 0, whitespace },
        { nul, sizeof(nul) - 1, whitespace },
        { "https://x.example.com/a b", 0, whitespace },
        { "https://x.example.com/a\tb", 0, whitespace },
        { "https://x.example.com/a\x7f", 0, whitespace },
        { "https://ex\xc3\xa9.com/", 0, whitespace },
        { "https://user@evil.example.com/", 0,
          "URL contains user information" },
        { "https://x.example.com:pw@evil.example.com/", 0,
          "URL contains user information" },
        { "https://x.example.com\\@evil.com/", 0, "URL contains a backslash" },
        { "https:\\\\evil.com/", 0, "URL contains a backslash" },
        { "https://x.example.com:0/", 0, host },
        { "https://x.example.com:99999/", 0, host },
        { "https://x.example.com:65536/", 0, host },
        { "https://x.example.com:/", 0, host },
        { "https://x.example.com:443443/", 0, host },
        { "https://x.example.com:+443/", 0, host },
        { "https://.example.com/", 0, host },
        { "https://x.example.com./", 0, host },
        { "https://-x.example.com/", 0, host },
        { "https://x_y.example.com/", 0, host },
        { "https://x%2eexample.com/", 0, host },
        { "https://:443/", 0, host },
        { "https://[::1/", 0, host },
        { "https://[]/", 0, host },
        { "https://[::g]/", 0, host },
        { "https://[::1]x/", 0, host },
        { "https://[::1]:0/", 0, host },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = cases[i].len ? cases[i].len : strlen(cases[i].url);
        check(cases[i].url, n, cases[i].reason);
    }

    /* the limit: exactly NGX_HTTP_PRECANCEL_URL_MAX bytes pass */

    memcpy(big, "https://x.example.com/", 22);
    memset(big + 22, 'a', sizeof(big) - 22);

    check((char *) big, NGX_HTTP_PRECANCEL_URL_MAX, NULL);
    check((char *) big, NGX_HTTP_PRECANCEL_URL_MAX + 1, "URL too long");

    return tap_done();
}


static void
check(const char *url, size_t len, const char *reason)
{
    char         description[120], shown[48];
    size_t       i, n;
    const char  *got;

    /* the URL shown printable and short, as a TAP line is one line */

    n = 0;

    for (i = 0; i < len && n < sizeof(shown) - 5; i++) {
        if (url[i] < 0x21 || url[i] > 0x7e) {
            n += sprintf(shown + n, "\\x%02x", (unsigned char) url[i]);

        } else {
            shown[n++] = url[i];
        }
    }

    shown[n] = '\0';

    snprintf(description, sizeof(description), "%s \"%s%s\" (%zu bytes)",
             reason ? "rejects" : "accepts", shown, i < len ? "..." : "",
             len);

    got = ngx_http_precancel_url_check((const unsigned char *) url, len);

    if (!tap_ok(reason ? got != NULL && strcmp(got, reason) == 0
                       : got == NULL,
                description))
    {
        printf("# expected: %s\n# got:      %s\n",
               reason ? reason : "(accepted)", got ? got : "(accepted)");
    }
}
