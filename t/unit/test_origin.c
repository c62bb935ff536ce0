
/*
 * Known-answer tests of the cross-origin policy, with the Fetch Metadata
 * and Origin headers Chromium sends for each kind of request.
 */


#include <string.h>

#include "ngx_http_precancel_origin.h"
#include "tap.h"


typedef struct {
    const char  *what;
    const char  *site;          /* NULL: no such header */
    const char  *mode;
    const char  *dest;
    const char  *origin;
    const char  *host;
    int          navigation;
    const char  *reason;        /* NULL: allowed */
} origin_case_t;


static void s(ngx_http_precancel_origin_str_t *dst, const char *src);


#define NOT_SAME    "Sec-Fetch-Site is not same-origin"
#define NOT_NAV     "a request from another site that is not " \
                    "a top-level navigation"
#define MISMATCH    "Origin does not match Host"


static const origin_case_t  cases[] = {

    /* the customer's own clicks on the app's pages */
    { "same-origin link", "same-origin", "navigate", "document", NULL,
      "shop.example", 0, NULL },
    { "same-origin form POST", "same-origin", "navigate", "document",
      "https://shop.example", "shop.example", 0, NULL },
    { "same-origin fetch POST", "same-origin", "cors", "empty",
      "https://shop.example", "shop.example", 0, NULL },
    { "email link in a mail program", "none", "navigate", "document", NULL,
      "shop.example", 0, NULL },
    { "email link, page flow", "none", "navigate", "document", NULL,
      "shop.example", 1, NULL },
    { "bookmark with Origin absent, GET", "none", "navigate", "document",
      NULL, "shop.example", 1, NULL },

    /* another site */
    { "cross-site form POST", "cross-site", "navigate", "document",
      "https://evil.example", "shop.example", 0, NOT_SAME },
    { "cross-site link, subscription flow", "cross-site", "navigate",
      "document", NULL, "shop.example", 0, NOT_SAME },
    { "cross-site link (webmail), page flow", "cross-site", "navigate",
      "document", NULL, "shop.example", 1, NULL },
    { "cross-site img, page flow", "cross-site", "no-cors", "image", NULL,
      "shop.example", 1, NOT_NAV },
    { "cross-site iframe, page flow", "cross-site", "navigate", "iframe",
      NULL, "shop.example", 1, NOT_NAV },
    { "cross-site fetch, page flow", "cross-site", "cors", "empty",
      "https://evil.example", "shop.example", 1, NOT_NAV },
    { "cross-site no-cors fetch, page flow", "cross-site", "no-cors",
      "empty", NULL, "shop.example", 1, NOT_NAV },
    { "cross-site navigation without Sec-Fetch-Dest", "cross-site",
      "navigate", NULL, NULL, "shop.example", 1, NOT_NAV },
    { "same-site form POST", "same-site", "navigate", "document",
      "https://blog.shop.example", "shop.example", 0, NOT_SAME },
    { "same-site img", "same-site", "no-cors", "image", NULL,
      "shop.example", 1, NOT_NAV },
    { "unknown Sec-Fetch-Site", "elsewhere", "navigate", "document", NULL,
      "shop.example", 1, "unknown Sec-Fetch-Site value" },
    { "Sec-Fetch-Site in capitals", "SAME-ORIGIN", NULL, NULL, NULL,
      "shop.example", 0, NULL },
    { "Sec-Fetch-Site with a control character", "same\rorigin", NULL,
      NULL, NULL, "shop.example", 0, "unknown Sec-Fetch-Site value" },

    /* trusted origins: the app on another subdomain */
    { "trusted same-site form POST", "same-site", "navigate", "document",
      "https://app.shop.example", "billing.shop.example", 0, NULL },
    { "trusted, in capitals", "cross-site", "cors", "empty",
      "HTTPS://App.Shop.Example", "billing.shop.example", 0, NULL },
    { "trusted host, other scheme", "same-site", "navigate", "document",
      "http://app.shop.example", "billing.shop.example", 0, NOT_SAME },
    { "trusted host, other port", "same-site", "navigate", "document",
      "https://app.shop.example:8443", "billing.shop.example", 0,
      NOT_SAME },

    /* no Fetch Metadata: older browsers and programs */
    { "no metadata, no Origin, GET", NULL, NULL, NULL, NULL,
      "shop.example", 0, NULL },
    { "no metadata, same Origin", NULL, NULL, NULL, "https://shop.example",
      "shop.example", 0, NULL },
    { "no metadata, same Origin and port", NULL, NULL, NULL,
      "http://127.0.0.1:8080", "127.0.0.1:8080", 0, NULL },
    { "no metadata, Host with the default port", NULL, NULL, NULL,
      "https://shop.example", "shop.example:443", 0, NULL },
    { "no metadata, Host with :80 for https", NULL, NULL, NULL,
      "https://shop.example", "shop.example:80", 0, MISMATCH },
    { "no metadata, Host in capitals", NULL, NULL, NULL,
      "https://shop.example", "SHOP.example", 0, NULL },
    { "no metadata, other Origin", NULL, NULL, NULL, "https://evil.example",
      "shop.example", 1, MISMATCH },
    { "no metadata, Origin a suffix of Host", NULL, NULL, NULL,
      "https://hop.example", "shop.example", 0, MISMATCH },
    { "no metadata, Host a prefix of Origin", NULL, NULL, NULL,
      "https://shop.example.evil", "shop.example", 0, MISMATCH },
    { "no metadata, other port", NULL, NULL, NULL,
      "http://127.0.0.1:9090", "127.0.0.1:8080", 0, MISMATCH },
    { "no metadata, Origin null", NULL, NULL, NULL, "null", "shop.example",
      0, "Origin is \"null\"" },
    { "no metadata, Origin without a scheme", NULL, NULL, NULL,
      "shop.example", "shop.example", 0, MISMATCH },
    { "no metadata, Origin, no Host", NULL, NULL, NULL,
      "https://shop.example", NULL, 0,
      "Origin without a Host to compare it with" },
};


static const char  *trusted_origins[] = {
    "https://app.shop.example",
};


static const struct {
    const char  *origin;
    int          valid;
} valid_cases[] = {
    { "https://app.example.com", 1 },
    { "http://app.example.com:8080", 1 },
    { "HTTPS://APP.example.com", 1 },
    { "https://[::1]:8443", 1 },
    { "https://127.0.0.1", 1 },
    { "https://app.example.com/", 0 },
    { "https://app.example.com/path", 0 },
    { "https://app.example.com:", 0 },
    { "https://app.example.com:123456", 0 },
    { "https://app.example.com:80x", 0 },
    { "https://", 0 },
    { "https://:443", 0 },
    { "ftp://app.example.com", 0 },
    { "app.example.com", 0 },
    { "*", 0 },
    { "https://*.example.com", 0 },
    { "https://[::1", 0 },
    { "https://user@app.example.com", 0 },
};


int
main(void)
{
    char                              desc[256];
    size_t                            i;
    const char                       *got;
    ngx_http_precancel_origin_str_t   trusted[1];
    ngx_http_precancel_origin_req_t   req;

    s(&trusted[0], trusted_origins[0]);

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        s(&req.site, cases[i].site);
        s(&req.mode, cases[i].mode);
        s(&req.dest, cases[i].dest);
        s(&req.origin, cases[i].origin);
        s(&req.host, cases[i].host);

        got = ngx_http_precancel_origin_check(&req, cases[i].navigation,
                                              trusted, 1);

        snprintf(desc, sizeof(desc), "%s: %s", cases[i].what,
                 cases[i].reason ? cases[i].reason : "allowed");

        if (!tap_ok(got == cases[i].reason
                    || (got && cases[i].reason
                        && strcmp(got, cases[i].reason) == 0), desc))
        {
            snprintf(desc, sizeof(desc), "got: %s", got ? got : "allowed");
            tap_diag(desc);
        }
    }

    /* without trusted origins the subdomain is refused */

    s(&req.site, "same-site");
    s(&req.mode, "navigate");
    s(&req.dest, "document");
    s(&req.origin, "https://app.shop.example");
    s(&req.host, "billing.shop.example");

    got = ngx_http_precancel_origin_check(&req, 0, NULL, 0);
    tap_ok(got && strcmp(got, NOT_SAME) == 0,
           "a subdomain without precancel_trusted_origins is refused");

    for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        got = ngx_http_precancel_origin_valid(
                  (const unsigned char *) valid_cases[i].origin,
                  strlen(valid_cases[i].origin));

        snprintf(desc, sizeof(desc), "origin \"%s\" is %s",
                 valid_cases[i].origin,
                 valid_cases[i].valid ? "valid" : "refused");

        tap_ok((got == NULL) == valid_cases[i].valid, desc);
    }

    return tap_done();
}


static void
s(ngx_http_precancel_origin_str_t *dst, const char *src)
{
    dst->data = (const unsigned char *) src;
    dst->len = src ? strlen(src) : 0;
}
