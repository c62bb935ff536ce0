
/*
 * The cross-origin policy (docs/directives.md, "Cross-origin requests").
 *
 * Browsers say where a request comes from: Sec-Fetch-Site since 2023 in
 * all of them, Origin on every POST for longer.  A request that another
 * site caused (a form that posts itself, an <img>, a fetch) must not make
 * a provider act for the customer, whose session cookie the browser sends
 * along.  The rules follow Go's net/http CrossOriginProtection, with one
 * difference that the flows need: GET is not exempt, since a precancel
 * call is made whatever the method; a flow that only opens a provider's
 * page may still be reached by a top-level navigation from another site
 * (a link in webmail), which cannot read the answer and shows the
 * customer where they are.
 */


#include "ngx_http_precancel_origin.h"


static int ngx_http_precancel_origin_eq(const unsigned char *a, size_t alen,
    const char *b);
static int ngx_http_precancel_origin_caseeq(const unsigned char *a,
    const unsigned char *b, size_t len);
static int ngx_http_precancel_origin_same_host(
    const ngx_http_precancel_origin_str_t *origin,
    const ngx_http_precancel_origin_str_t *host);


const char *
ngx_http_precancel_origin_check(const ngx_http_precancel_origin_req_t *req,
    int navigation, const ngx_http_precancel_origin_str_t *trusted,
    size_t ntrusted)
{
    size_t                                  i;
    const ngx_http_precancel_origin_str_t  *o;

    o = &req->origin;

    if (o->data) {
        for (i = 0; i < ntrusted; i++) {
            if (o->len == trusted[i].len
                && ngx_http_precancel_origin_caseeq(o->data, trusted[i].data,
                                                    o->len))
            {
                return NULL;
            }
        }
    }

    if (req->site.data) {

        if (ngx_http_precancel_origin_eq(req->site.data, req->site.len,
                                         "same-origin")
            || ngx_http_precancel_origin_eq(req->site.data, req->site.len,
                                            "none"))
        {
            /* "none": the customer's own act, a bookmark or a mail client */
            return NULL;
        }

        if (!ngx_http_precancel_origin_eq(req->site.data, req->site.len,
                                          "same-site")
            && !ngx_http_precancel_origin_eq(req->site.data, req->site.len,
                                             "cross-site"))
        {
            return "unknown Sec-Fetch-Site value";
        }

        /* a sibling subdomain may be someone else's: "same-site" as well */

        if (!navigation) {
            return "Sec-Fetch-Site is not same-origin";
        }

        if (req->mode.data == NULL || req->dest.data == NULL
            || !ngx_http_precancel_origin_eq(req->mode.data, req->mode.len,
                                             "navigate")
            || !ngx_http_precancel_origin_eq(req->dest.data, req->dest.len,
                                             "document"))
        {
            return "a request from another site that is not "
                   "a top-level navigation";
        }

        return NULL;
    }

    /*
     * No Fetch Metadata: an older browser or not a browser.  Browsers of
     * that age send Origin on every POST and on cross-origin fetches,
     * never on a plain navigation; a request without Origin is not one
     * another page could make them send.
     */

    if (o->data == NULL) {
        return NULL;
    }

    if (ngx_http_precancel_origin_eq(o->data, o->len, "null")) {
        return "Origin is \"null\"";
    }

    if (req->host.data == NULL) {
        return "Origin without a Host to compare it with";
    }

    if (!ngx_http_precancel_origin_same_host(o, &req->host)) {
        return "Origin does not match Host";
    }

    return NULL;
}


const char *
ngx_http_precancel_origin_valid(const unsigned char *s, size_t len)
{
    size_t                digits;
    const unsigned char  *p, *end;

    end = s + len;

    if (len > 7 && ngx_http_precancel_origin_caseeq(s,
                                      (const unsigned char *) "http://", 7))
    {
        p = s + 7;

    } else if (len > 8 && ngx_http_precancel_origin_caseeq(s,
                                     (const unsigned char *) "https://", 8))
    {
        p = s + 8;

    } else {
        return "does not start with \"http://\" or \"https://\"";
    }

    if (*p == '[') {
        for (p++; p < end && *p != ']'; p++) {
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')
                  || (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
            {
                return "has an invalid host";
            }
        }

        if (p == end) {
            return "has an invalid host";
        }

        p++;

    } else {
        if (p == end || *p == ':') {
            return "has no host";
        }

        for ( /* void */ ; p < end && *p != ':'; p++) {
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')
                  || (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '.'))
            {
                return "is not scheme://host[:port] (a path, a \"/\" at "
                       "the end or an invalid host)";
            }
        }
    }

    if (p == end) {
        return NULL;
    }

    if (*p != ':') {
        return "is not scheme://host[:port] (a path, a \"/\" at the end or "
               "an invalid host)";
    }

    for (p++, digits = 0; p < end; p++, digits++) {
        if (*p < '0' || *p > '9') {
            return "has an invalid port";
        }
    }

    if (digits == 0 || digits > 5) {
        return "has an invalid port";
    }

    return NULL;
}


/* a equals the lowercase string b, case-insensitively */

static int
ngx_http_precancel_origin_eq(const unsigned char *a, size_t alen,
    const char *b)
{
    size_t  blen;

    for (blen = 0; b[blen]; blen++) { /* void */ }

    return alen == blen
           && ngx_http_precancel_origin_caseeq(a, (const unsigned char *) b,
                                               alen);
}


static int
ngx_http_precancel_origin_caseeq(const unsigned char *a,
    const unsigned char *b, size_t len)
{
    size_t         i;
    unsigned char  ca, cb;

    for (i = 0; i < len; i++) {
        ca = (a[i] >= 'A' && a[i] <= 'Z') ? a[i] | 0x20 : a[i];
        cb = (b[i] >= 'A' && b[i] <= 'Z') ? b[i] | 0x20 : b[i];

        if (ca != cb) {
            return 0;
        }
    }

    return 1;
}


/*
 * The Origin's host[:port] against Host, as Go compares them; a Host
 * that names the scheme's default port (a client that writes ":443")
 * is the same as one that leaves it out, as the Origin always does.
 */

static int
ngx_http_precancel_origin_same_host(
    const ngx_http_precancel_origin_str_t *origin,
    const ngx_http_precancel_origin_str_t *host)
{
    size_t                hlen, plen, skip;
    const char           *port;
    const unsigned char  *a;

    if (origin->len > 8 && ngx_http_precancel_origin_caseeq(origin->data,
                                       (const unsigned char *) "https://", 8))
    {
        skip = 8;
        port = ":443";
        plen = 4;

    } else if (origin->len > 7 && ngx_http_precancel_origin_caseeq(
                   origin->data, (const unsigned char *) "http://", 7))
    {
        skip = 7;
        port = ":80";
        plen = 3;

    } else {
        return 0;
    }

    a = origin->data + skip;
    hlen = host->len;

    if (hlen == origin->len - skip
        && ngx_http_precancel_origin_caseeq(a, host->data, hlen))
    {
        return 1;
    }

    /* Host "example.com:443" for the Origin "https://example.com" */

    if (hlen > plen
        && hlen - plen == origin->len - skip
        && ngx_http_precancel_origin_caseeq(host->data + hlen - plen,
                                            (const unsigned char *) port,
                                            plen)
        && ngx_http_precancel_origin_caseeq(a, host->data, hlen - plen))
    {
        return 1;
    }

    return 0;
}
