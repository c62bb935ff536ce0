
/*
 * Known-answer tests of the webhook verifier's pure part: its tables (an
 * entry for every MAC, body digest and encoding, agreeing with OpenSSL),
 * each scheme's header parser (what it accepts and what it refuses), the
 * unix time parser, the signed prefix, the "whsec_" key, the constant-time
 * match, and whole verifications: the examples GitHub, Slack and Standard
 * Webhooks publish in their documentation, and for the schemes without a
 * published example (CheddarGetter, Stripe, Shopify, Chargebee Retention)
 * vectors computed with "openssl dgst" and Perl's Digest::SHA, which
 * agree.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_edge_codec.h"
#include "ngx_edge_hmac.h"
#include "ngx_http_webhook_verify_scheme.h"
#include "tap.h"


typedef struct {
    const char  *scheme;
    const char  *header;
    size_t       n;            /* signatures expected; 0: refused */
    const char  *title;
} parse_case_t;


typedef struct {
    const char  *scheme;
    const char  *secret;
    const char  *header;
    const char  *id;
    const char  *time;
    const char  *body;
    int          match;
    const char  *title;
} verify_case_t;


static const ngx_http_webhook_verify_scheme_t *scheme(const char *name);
static void check_tables(void);
static void check_parse(const parse_case_t *c);
static void check_verify(const verify_case_t *c);
static int verify(const verify_case_t *c, const char **why);


#define H64  "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
#define U64  "757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"
#define H40  "be1c94b1953e91df323eefbcb6b8f140275a757c"
#define B44  "hOhMkZePchMO4WL6QIaNIAEzjzDXU1UlABvhOMJF8Co="
#define B43  "hOhMkZePchMO4WL6QIaNIAEzjzDXU1UlABvhOMJF8Co"
#define SW   "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

/* RFC 8032, 7.1, TEST 1: the Ed25519 public key and signature, base64 */
#define EDPK "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define EDSG "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc" \
             "+bRr0lv18FlbviRlUUFDjnoQCw=="

#define SLACK_BODY                                                            \
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain="           \
    "testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA"  \
    "&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url="    \
    "https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F"  \
    "96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."           \
    "803a0bc887a14d10d2c447fce8b6703c"

#define CG_BODY                                                               \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><customers>"                   \
    "<customer code=\"c1\"/></customers>"


int
main(void)
{
    size_t                                   i, n;
    time_t                                   t;
    const char                              *err;
    unsigned char                            buf[64];
    ngx_http_webhook_verify_sig_t            sig;
    const ngx_http_webhook_verify_scheme_t  *s;

    static const parse_case_t  parses[] = {
        { "cheddargetter", H64, 1, "lowercase hex" },
        { "cheddargetter", U64, 1, "uppercase hex" },
        { "cheddargetter", H64 "0", 0, "65 hex digits" },
        { "cheddargetter", H64 "00", 0, "66 hex digits" },
        { "cheddargetter", "sha256=" H64, 0, "a prefix it does not have" },
        { "cheddargetter", "", 0, "empty" },
        { "cheddargetter", "z57107ea0eb2509fc211221cce984b8a37570b6d7586c22"
                           "c46f4379c8b043e17", 0, "a non-hex digit" },

        { "github", "sha256=" H64, 1, "its prefix" },
        { "github", "sha256=" U64, 1, "uppercase hex" },
        { "github", H64, 0, "no prefix" },
        { "github", "SHA256=" H64, 0, "the prefix in uppercase" },
        { "github", "sha1=" H40, 0, "the SHA-1 header's form" },
        { "github", "sha256= " H64, 0, "a space after the prefix" },

        { "shopify", B44, 1, "padded base64" },
        { "shopify", B43, 1, "base64 without padding" },
        { "shopify", B44 "=", 0, "extra padding" },
        { "shopify", "hOhMkZePchMO4WL6QIaNIAEzjzDXU1UlABvhOMJF8C==", 0,
          "31 bytes" },
        { "shopify", H64, 0, "hex" },
        { "shopify", "hOhMkZePchMO4WL6QIaNIAEzjzDXU1UlABvhOMJF8Co_", 0,
          "a URL-safe character" },

        { "slack", "v0=" H64, 1, "its prefix" },
        { "slack", "v1=" H64, 0, "another version" },
        { "slack", H64, 0, "no prefix" },

        { "retention", "sha1=" H40, 1, "with the sha1= prefix" },
        { "retention", H40, 1, "without a prefix" },
        { "retention", "sha1=" H64, 0, "a SHA-256 length" },
        { "retention", "sha256=" H40, 0, "another prefix" },

        { "stripe", "t=1700000000,v1=" H64, 1, "one v1" },
        { "stripe", "t=1700000000,v1=" H64 ",v1=" U64, 2, "two v1" },
        { "stripe", "v1=" H64 ",t=1700000000", 1, "t after v1" },
        { "stripe", "t=1700000000,v1=" H64 ",v0=" H64, 1, "v0 skipped" },
        { "stripe", "t=1700000000, v1=" H64, 1, "a space after a comma" },
        { "stripe", "t=1700000000 ,v1=" H64 " ", 1, "spaces before commas" },
        { "stripe", "t=1700000000,v1=" H64 ",v1=", 0, "an empty v1" },
        { "stripe", "t=1700000000,v1=" H64 ",", 0, "a trailing comma" },
        { "stripe", ",t=1700000000,v1=" H64, 0, "a leading comma" },
        { "stripe", "t=1700000000,,v1=" H64, 0, "two commas" },
        { "stripe", "v1=" H64, 0, "no t" },
        { "stripe", "t=1,t=2,v1=" H64, 0, "two t" },
        { "stripe", "t=1700000000", 0, "no v1" },
        { "stripe", "t=1700000000,v0=" H64, 0, "only v0" },
        { "stripe", "t=1700000000,v1=" H40, 0, "a short v1" },
        { "stripe", "t=1700000000,v1=" H64 "x", 0, "a long v1" },
        { "stripe", "t=1700000000 v1=" H64, 0, "a space for a comma" },
        { "stripe", "t=1700000000,v1 =" H64, 0, "a space before =" },
        { "stripe", "t=1700000000,=" H64, 0, "no key" },
        { "stripe", "t=1700000000,v1" H64, 0, "no =" },
        { "stripe", "", 0, "empty" },
        { "stripe", "t=1,v1=" H64 ",v1=" H64 ",v1=" H64 ",v1=" H64 ",v1=" H64
                    ",v1=" H64 ",v1=" H64 ",v1=" H64, 8, "eight v1" },
        { "stripe", "t=1,v1=" H64 ",v1=" H64 ",v1=" H64 ",v1=" H64 ",v1=" H64
                    ",v1=" H64 ",v1=" H64 ",v1=" H64 ",v1=" H64, 0,
          "nine v1" },

        { "standard", "v1," SW, 1, "one v1" },
        { "standard", "v1," SW " v1," B44, 2, "two v1" },
        { "standard", "v1a," EDSG " v1," SW, 1, "v1a kept apart" },
        { "standard", "v1a,AAAA v1," SW, 0, "a v1a of 3 bytes" },
        { "standard", "v1a," SW " v1," SW, 0, "a v1a of 32 bytes" },
        { "standard", "v1a,", 0, "an empty v1a" },
        { "standard", "v1a," EDSG "=", 0, "a v1a with extra padding" },
        { "standard", "v1A," EDSG " v1," SW, 1, "v1A is another version" },
        { "standard", "v1,"  SW "   v1," B44 " ", 2, "runs of spaces" },
        { "standard", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", 1,
          "v1 without padding" },
        { "standard", "v2," SW, 0, "only another version" },
        { "standard", "v1" SW, 0, "no comma" },
        { "standard", "," SW, 0, "no version" },
        { "standard", "v1,", 0, "an empty v1" },
        { "standard", "v1," H64, 0, "hex" },
        { "standard", "v1=" SW, 0, "Stripe's form" },
        { "standard", "", 0, "empty" },
        { "standard", "v1," SW ",v1," SW, 0, "a comma for a space" },
    };

    static const verify_case_t  verifies[] = {

        /* GitHub's documentation, "Validating webhook deliveries" */
        { "github", "It's a Secret to Everybody", "sha256=" H64, NULL, NULL,
          "Hello, World!", 1, "GitHub's published example" },
        { "github", "It's a Secret to Everybody", "sha256=" U64, NULL, NULL,
          "Hello, World!", 1, "GitHub's example in uppercase hex" },
        { "github", "It's a Secret to Everybody", "sha256=" H64, NULL, NULL,
          "Hello, World?", 0, "GitHub's example, one byte changed" },
        { "github", "It's a secret to everybody", "sha256=" H64, NULL, NULL,
          "Hello, World!", 0, "GitHub's example, another secret" },

        /* Slack's documentation, "Verifying requests from Slack" */
        { "slack", "8f742231b10e8888abcd99yyyzzz85a5",
          "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
          NULL, "1531420618", SLACK_BODY, 1, "Slack's published example" },
        { "slack", "8f742231b10e8888abcd99yyyzzz85a5",
          "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
          NULL, "1531420619", SLACK_BODY, 0,
          "Slack's example, another timestamp" },

        /* the Standard Webhooks specification's example */
        { "standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "v1," SW,
          "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
          "{\"test\": 2432232314}", 1, "Standard Webhooks' example" },
        { "standard", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
          "v1a," EDSG " v1," SW,
          "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
          "{\"test\": 2432232314}", 1,
          "Standard Webhooks' example, secret without whsec_" },
        { "standard", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "v1," SW,
          "msg_p5jXN8AQM9LWM0D4loKWxJeK", "1614265330",
          "{\"test\": 2432232314}", 0,
          "Standard Webhooks' example, another id" },

        /* computed with openssl dgst and Digest::SHA */
        { "stripe", "whsec_test_secret",
          "t=1700000000,v1=0000000000000000000000000000000000000000000000000000"
          "000000000000,v1=46dc069361a7691082640523fa33fe5d6c8c88d5f5e257cdf8cf"
          "11539d166595", NULL, NULL,
          "{\"id\":\"evt_1\",\"type\":\"invoice.paid\"}", 1,
          "Stripe, the second v1 matches" },
        { "stripe", "test_secret",
          "t=1700000000,v1=46dc069361a7691082640523fa33fe5d6c8c88d5f5e257cdf8cf"
          "11539d166595", NULL, NULL,
          "{\"id\":\"evt_1\",\"type\":\"invoice.paid\"}", 0,
          "Stripe, the secret without its whsec_ prefix" },
        { "shopify", "shpss_hush", B44, NULL, NULL,
          "{\"id\":1,\"topic\":\"orders/create\"}", 1, "Shopify" },
        { "shopify", "shpss_hush", B43, NULL, NULL,
          "{\"id\":1,\"topic\":\"orders/create\"}", 1,
          "Shopify without padding" },
        { "cheddargetter", "cg-product-secret",
          "4dae483f003a0f1c8e37eb29e3d255048b50dd52fb616328dc52be47d9488121",
          NULL, NULL, CG_BODY, 1, "CheddarGetter" },
        { "cheddargetter", "cg-product-secret",
          "d3cb9be5ba45d6ae5bf0e4cfd7b9e2b3c2a18da2c01ecf6e8a02c1fd6c4f8c11",
          NULL, NULL, CG_BODY, 0, "CheddarGetter, another signature" },
        { "retention", "ret-secret", "sha1=" H40, NULL, NULL,
          "{\"event\":\"subscription_cancelled\"}", 1,
          "Chargebee Retention with sha1=" },
        { "retention", "ret-secret", H40, NULL, NULL,
          "{\"event\":\"subscription_cancelled\"}", 1,
          "Chargebee Retention without a prefix" },
    };

    check_tables();

    for (i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
        check_parse(&parses[i]);
    }

    s = scheme("stripe");
    tap_ok(s && ngx_http_webhook_verify_parse(s, (unsigned char *)
                   "v1=" H64 ", t=42", 3 + 64 + 6, &sig) == NULL
           && sig.time_len == 2 && memcmp(sig.time, "42", 2) == 0,
           "stripe: the t= value is found where it stands");

    tap_ok(s && ngx_http_webhook_verify_parse(s, (unsigned char *)
                   "t=1,v1=" H64 ",v1=" U64, 7 + 64 + 4 + 64, &sig) == NULL
           && sig.n == 2 && memcmp(sig.mac[0], sig.mac[1], 32) == 0
           && sig.mac[0][0] == 0x75 && sig.mac[0][31] == 0x17,
           "stripe: both cases of hex decode to the same bytes");

    tap_ok(ngx_http_webhook_verify_scheme_find((unsigned char *) "custom", 6)
           == NULL
           && ngx_http_webhook_verify_scheme_find((unsigned char *) "Stripe", 6)
              == NULL
           && ngx_http_webhook_verify_scheme_find((unsigned char *) "strip", 5)
              == NULL, "no scheme by a wrong or partial name");

    /* unix times */

    tap_ok(ngx_http_webhook_verify_parse_time((unsigned char *) "1614265330",
                                              10, &t) == NULL
           && t == 1614265330, "time: 1614265330");
    tap_ok(ngx_http_webhook_verify_parse_time((unsigned char *) "0", 1, &t)
           == NULL && t == 0, "time: 0");
    tap_ok(ngx_http_webhook_verify_parse_time((unsigned char *)
                                              "999999999999", 12, &t) == NULL
           && t == 999999999999LL, "time: twelve digits");

    {
        static const char  *bad[] = {
            "", "-1", "+1", " 1", "1 ", "1.5", "1e9", "0x10", "abc",
            "1234567890123", "2024-01-01T00:00:00Z"
        };

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char  title[80];

            snprintf(title, sizeof(title), "time: \"%s\" is refused", bad[i]);
            tap_ok(ngx_http_webhook_verify_parse_time((unsigned char *) bad[i],
                                                      strlen(bad[i]), &t)
                   != NULL, title);
        }
    }

    /* signed prefixes */

    s = scheme("stripe");
    n = ngx_http_webhook_verify_signed_prefix(s, NULL, NULL, 0,
                                              (unsigned char *) "17", 2);
    tap_ok(n == 3 && ngx_http_webhook_verify_signed_prefix(s, buf, NULL, 0,
                         (unsigned char *) "17", 2) == 3
           && memcmp(buf, "17.", 3) == 0, "stripe signs \"T.\" first");

    s = scheme("standard");
    n = ngx_http_webhook_verify_signed_prefix(s, buf, (unsigned char *) "id",
                                              2, (unsigned char *) "17", 2);
    tap_ok(n == 6 && memcmp(buf, "id.17.", 6) == 0,
           "standard signs \"ID.T.\" first");

    s = scheme("slack");
    n = ngx_http_webhook_verify_signed_prefix(s, buf, NULL, 0,
                                              (unsigned char *) "17", 2);
    tap_ok(n == 6 && memcmp(buf, "v0:17:", 6) == 0,
           "slack signs \"v0:T:\" first");

    tap_ok(ngx_http_webhook_verify_signed_prefix(scheme("github"), buf, NULL,
                                                 0, NULL, 0) == 0,
           "github signs the body alone");

    /* keys */

    s = scheme("standard");
    err = ngx_http_webhook_verify_key(s, (unsigned char *) "whsec_Zm9vYmFy",
                                      14, buf, &n);
    tap_ok(err == NULL && n == 6 && memcmp(buf, "foobar", 6) == 0,
           "standard: whsec_ secret decoded");

    err = ngx_http_webhook_verify_key(s, (unsigned char *) "whsec_", 6, buf,
                                      &n);
    tap_ok(err != NULL, "standard: whsec_ alone is refused");

    err = ngx_http_webhook_verify_key(s, (unsigned char *) "whsec_Zm9v!mFy",
                                      14, buf, &n);
    tap_ok(err != NULL && strstr(err, "Zm9v") == NULL,
           "standard: bad base64 is refused, without quoting it");

    err = ngx_http_webhook_verify_key(scheme("stripe"),
                                      (unsigned char *) "whsec_Zm9vYmFy", 14,
                                      buf, &n);
    tap_ok(err == NULL && n == 14 && memcmp(buf, "whsec_Zm9vYmFy", 14) == 0,
           "stripe: the secret as written, whsec_ included");

    /* Standard Webhooks' v1a: Ed25519 signatures and whpk_ keys */

    s = scheme("standard");

    tap_ok(s && ngx_http_webhook_verify_parse(s, (unsigned char *)
                   "v1a," EDSG, 4 + 88, &sig) == NULL
           && sig.n == 0 && sig.ned25519 == 1
           && sig.ed25519[0][0] == 0xe5 && sig.ed25519[0][63] == 0x0b,
           "standard: a v1a alone, decoded to RFC 8032's signature");

    tap_ok(s && ngx_http_webhook_verify_parse(s, (unsigned char *)
                   "v1," SW " v1a," EDSG " v1a," EDSG, 3 + 44 + 10 + 176,
                   &sig) == NULL
           && sig.n == 1 && sig.ned25519 == 2,
           "standard: v1 and v1a entries mixed");

    tap_ok(s && ngx_http_webhook_verify_parse(s, (unsigned char *)
                   "v1a," EDSG " v1a," EDSG " v1a," EDSG " v1a," EDSG
                   " v1a," EDSG " v1a," EDSG " v1a," EDSG " v1a," EDSG
                   " v1a," EDSG, 9 * 92 + 8, &sig) != NULL,
           "standard: nine v1a are too many");

    tap_ok(s && ngx_http_webhook_verify_parse(scheme("stripe"),
                   (unsigned char *) "t=1,v1a=" EDSG, 8 + 88, &sig) != NULL,
           "stripe: v1a is not Stripe's");

    tap_ok(ngx_http_webhook_verify_is_public((unsigned char *) "whpk_" EDPK,
                                             5 + 44)
           && !ngx_http_webhook_verify_is_public((unsigned char *) "whsec_x",
                                                 7)
           && !ngx_http_webhook_verify_is_public((unsigned char *) "whpk", 4),
           "whpk_: a public key by its prefix only");

    err = ngx_http_webhook_verify_public_key((unsigned char *) "whpk_" EDPK,
                                             5 + 44, buf);
    tap_ok(err == NULL && buf[0] == 0xd7 && buf[31] == 0x1a,
           "whpk_: RFC 8032's public key decoded");

    err = ngx_http_webhook_verify_public_key((unsigned char *) "whpk_" SW
                                             "AAAA", 5 + 48, buf);
    tap_ok(err != NULL && strstr(err, "32 bytes") != NULL,
           "whpk_: 35 bytes are refused");

    err = ngx_http_webhook_verify_public_key((unsigned char *) "whpk_Zm9v",
                                             9, buf);
    tap_ok(err != NULL && strstr(err, "32 bytes") != NULL,
           "whpk_: 3 bytes are refused");

    err = ngx_http_webhook_verify_public_key((unsigned char *) "whpk_", 5,
                                             buf);
    tap_ok(err != NULL, "whpk_: alone is refused");

    err = ngx_http_webhook_verify_public_key((unsigned char *) "whpk_11qY!"
                                             "YKxCrfVS/7TyWQHOg7hcvPapiMlrwIa"
                                             "aPcHURo=", 5 + 44, buf);
    tap_ok(err != NULL && strstr(err, "11qY") == NULL,
           "whpk_: bad base64 is refused, without quoting it");

    err = ngx_http_webhook_verify_public_key((unsigned char *) "whsec_" EDPK,
                                             6 + 44, buf);
    tap_ok(err != NULL, "whpk_: a whsec_ is not a public key");

    for (i = 0; i < sizeof(verifies) / sizeof(verifies[0]); i++) {
        check_verify(&verifies[i]);
    }

    return tap_done();
}


static const ngx_http_webhook_verify_scheme_t *
scheme(const char *name)
{
    return ngx_http_webhook_verify_scheme_find((unsigned char *) name,
                                               strlen(name));
}


/*
 * An enum value added without its table entry leaves an empty slot; a
 * MAC's size is what OpenSSL makes of its digest, and fits the buffers.
 */

static void
check_tables(void)
{
    int                                      ok;
    size_t                                   i, j;
    char                                     title[120];
    const char                              *failed;
    ngx_edge_hmac_t                         *h;
    ngx_edge_digest_t                       *d;
    const ngx_http_webhook_verify_mac_t     *m;
    const ngx_http_webhook_verify_digest_t  *g;
    const ngx_http_webhook_verify_scheme_t  *s;

    for (i = 0; i < NGX_HTTP_WEBHOOK_VERIFY_MACS; i++) {
        m = &ngx_http_webhook_verify_macs[i];

        snprintf(title, sizeof(title), "mac %zu (%s): an OpenSSL HMAC of "
                 "its size", i, m->word ? m->word : "no word");

        ok = m->word && m->digest && m->size
             && m->size <= NGX_HTTP_PRECANCEL_HMAC_MAX;

        h = ok ? ngx_edge_hmac_create(m->digest, (unsigned char *) "k", 1,
                                      &failed)
               : NULL;

        /* hex digits: two a byte */
        tap_ok(h && ngx_edge_hmac_hex_len(h) / 2 == m->size, title);

        ngx_edge_hmac_free(h);
    }

    for (i = 0; i < NGX_HTTP_WEBHOOK_VERIFY_DIGESTS; i++) {
        g = &ngx_http_webhook_verify_digests[i];

        snprintf(title, sizeof(title), "body digest %zu (%s): %s", i,
                 g->word ? g->word : "no word",
                 i == NGX_HTTP_WEBHOOK_VERIFY_RAW_BODY ? "the body itself"
                                                       : "an OpenSSL digest");

        if (i == NGX_HTTP_WEBHOOK_VERIFY_RAW_BODY) {
            tap_ok(g->word && g->digest == NULL, title);
            continue;
        }

        d = g->digest ? ngx_edge_digest_create(g->digest, &failed) : NULL;

        tap_ok(g->word && d
               && ngx_edge_digest_size(d) <= NGX_HTTP_PRECANCEL_HMAC_MAX,
               title);

        ngx_edge_digest_free(d);
    }

    for (i = 0; i < NGX_HTTP_WEBHOOK_VERIFY_ENCODINGS; i++) {
        snprintf(title, sizeof(title), "encoding %zu has a word", i);
        tap_ok(ngx_http_webhook_verify_encodings[i] != NULL, title);
    }

    /* the words are what webhook_verify_custom matches: one each */

    ok = 1;

    for (i = 0; i < NGX_HTTP_WEBHOOK_VERIFY_MACS; i++) {
        for (j = i + 1; j < NGX_HTTP_WEBHOOK_VERIFY_MACS; j++) {
            ok &= strcmp(ngx_http_webhook_verify_macs[i].word,
                         ngx_http_webhook_verify_macs[j].word) != 0;
        }
    }

    for (i = 0; i < NGX_HTTP_WEBHOOK_VERIFY_DIGESTS; i++) {
        for (j = i + 1; j < NGX_HTTP_WEBHOOK_VERIFY_DIGESTS; j++) {
            ok &= strcmp(ngx_http_webhook_verify_digests[i].word,
                         ngx_http_webhook_verify_digests[j].word) != 0;
        }
    }

    tap_ok(ok, "mac= and signed= words are unique");

    ok = 1;

    for (s = ngx_http_webhook_verify_schemes; s->name; s++) {
        ok &= s->mac < NGX_HTTP_WEBHOOK_VERIFY_MACS
              && s->body_digest < NGX_HTTP_WEBHOOK_VERIFY_DIGESTS
              && s->encoding < NGX_HTTP_WEBHOOK_VERIFY_ENCODINGS;
    }

    tap_ok(ok, "every scheme's mac, body digest and encoding is in a table");
}


static void
check_parse(const parse_case_t *c)
{
    const char                              *err;
    char                                     title[200];
    ngx_http_webhook_verify_sig_t            sig;
    const ngx_http_webhook_verify_scheme_t  *s;

    s = scheme(c->scheme);

    snprintf(title, sizeof(title), "%s: %s %s", c->scheme, c->title,
             c->n ? "is accepted" : "is refused");

    if (s == NULL) {
        tap_ok(0, title);
        return;
    }

    err = ngx_http_webhook_verify_parse(s, (unsigned char *) c->header,
                                        strlen(c->header), &sig);

    if (c->n) {
        tap_ok(err == NULL && sig.n == c->n, title);

    } else {
        tap_ok(err != NULL && err[0] != '\0' && sig.n <= 8, title);
    }
}


static void
check_verify(const verify_case_t *c)
{
    int          rc;
    char         title[200];
    const char  *why;

    why = NULL;
    rc = verify(c, &why);

    if (why == NULL) {
        why = "";
    }

    snprintf(title, sizeof(title), "%s %s%s%s", c->title,
             c->match ? "matches" : "does not match", why[0] ? ": " : "",
             why);

    tap_ok(rc == c->match, title);
}


/* the whole verification as the module makes it, body in 7-byte pieces */

static int
verify(const verify_case_t *c, const char **why)
{
    int                                      match;
    size_t                                   i, n, key_len, len;
    time_t                                   t;
    const char                              *failed;
    unsigned char                            key[128], md[64], hex[128];
    unsigned char                            prefix[256];
    const unsigned char                     *time;
    ngx_http_webhook_verify_sig_t            sig;
    ngx_edge_hmac_t               *h, *copy;
    ngx_edge_digest_t             *d, *dd;
    const ngx_http_webhook_verify_scheme_t  *s;

    s = scheme(c->scheme);

    if (s == NULL) {
        *why = "no such scheme";
        return -1;
    }

    *why = ngx_http_webhook_verify_parse(s, (unsigned char *) c->header,
                                         strlen(c->header), &sig);
    if (*why) {
        return -1;
    }

    time = sig.time ? sig.time : (unsigned char *) c->time;
    len = sig.time ? sig.time_len : (c->time ? strlen(c->time) : 0);

    if (s->timed
        && (*why = ngx_http_webhook_verify_parse_time(time, len, &t)))
    {
        return -1;
    }

    *why = ngx_http_webhook_verify_key(s, (unsigned char *) c->secret,
                                       strlen(c->secret), key, &key_len);
    if (*why) {
        return -1;
    }

    h = ngx_edge_hmac_create(ngx_http_webhook_verify_macs[s->mac].digest,
                             key, key_len, &failed);
    copy = h ? ngx_edge_hmac_dup(h, &failed) : NULL;

    if (copy == NULL) {
        *why = failed;
        ngx_edge_hmac_free(h);
        return -1;
    }

    n = ngx_http_webhook_verify_signed_prefix(s, prefix,
                                              (unsigned char *) c->id,
                                              c->id ? strlen(c->id) : 0,
                                              time, len);
    ngx_edge_hmac_update(copy, prefix, n, &failed);

    d = NULL;
    dd = NULL;

    if (s->body_digest != NGX_HTTP_WEBHOOK_VERIFY_RAW_BODY) {
        d = ngx_edge_digest_create(
                ngx_http_webhook_verify_digests[s->body_digest].digest,
                &failed);
        dd = d ? ngx_edge_digest_dup(d, &failed) : NULL;
    }

    len = strlen(c->body);

    for (i = 0; i < len; i += n) {
        n = len - i < 7 ? len - i : 7;

        if (dd) {
            ngx_edge_digest_update(dd, (unsigned char *) c->body + i,
                                   n, &failed);

        } else {
            ngx_edge_hmac_update(copy, (unsigned char *) c->body + i,
                                 n, &failed);
        }
    }

    if (dd) {
        ngx_edge_digest_final(dd, md, &failed);
        n = ngx_edge_digest_size(dd);
        ngx_edge_hex_encode(hex, md, n);
        ngx_edge_hmac_update(copy, hex, 2 * n, &failed);
    }

    match = ngx_edge_hmac_final(copy, md, &failed) == 0
            && ngx_http_webhook_verify_match(&sig, md,
                                   ngx_http_webhook_verify_macs[s->mac].size);

    ngx_edge_digest_free(dd);
    ngx_edge_digest_free(d);
    ngx_edge_hmac_free(copy);
    ngx_edge_hmac_free(h);

    return match;
}
