
/*
 * Pure check of a provider-supplied redirect target.  It is deliberately
 * narrower than RFC 3986: the URL goes out verbatim in a Location header
 * and browsers parse odd URLs leniently, so anything that could split the
 * header or move the browser to another origin than the one shown is
 * refused rather than interpreted.
 */


#include <string.h>

#include "ngx_http_precancel_url.h"


/* what a byte is to the check: ngx_http_precancel_url_chars[] */
#define NGX_HTTP_PRECANCEL_URL_BAD        0x01  /* not printable ASCII */
#define NGX_HTTP_PRECANCEL_URL_BACKSLASH  0x02
#define NGX_HTTP_PRECANCEL_URL_END        0x04  /* "/", "?", "#" */
#define NGX_HTTP_PRECANCEL_URL_AT         0x08
#define NGX_HTTP_PRECANCEL_URL_NAME       0x10  /* a DNS name's */


static int ngx_http_precancel_url_host_valid(const unsigned char *p,
    const unsigned char *end);
static int ngx_http_precancel_url_port_valid(const unsigned char *p,
    const unsigned char *end);


/*
 * Every byte's classes: one look-up a byte, not a comparison with each
 * character of interest.  BAD for controls, space, DEL and non-ASCII;
 * NAME for letters, digits, "." and "-".
 */

static const unsigned char  ngx_http_precancel_url_chars[256] = {
    /* 0x00 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0x10 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0x20 */
    0x01, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x10, 0x04,
    /* 0x30 */
    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
    0x10, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
    /* 0x40 */
    0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
    /* 0x50 */
    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
    0x10, 0x10, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00,
    /* 0x60 */
    0x00, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
    /* 0x70 */
    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
    0x10, 0x10, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01,
    /* 0x80 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0x90 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0xa0 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0xb0 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0xc0 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0xd0 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0xe0 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    /* 0xf0 */
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
};


const char *
ngx_http_precancel_url_check(const unsigned char *url, size_t len)
{
    size_t                i;
    unsigned char         seen;
    const unsigned char  *p, *end, *host, *last;

    static const char  scheme[] = "https://";

    if (len == 0) {
        return "empty URL";
    }

    if (len > NGX_HTTP_PRECANCEL_URL_MAX) {
        return "URL too long";
    }

    /* the classes of all bytes first: a bad byte anywhere comes first */

    seen = 0;

    for (i = 0; i < len; i++) {
        seen |= ngx_http_precancel_url_chars[url[i]];
    }

    if (seen & NGX_HTTP_PRECANCEL_URL_BAD) {
        return "URL contains whitespace, control or non-ASCII characters";
    }

    /* browsers read "\" as "/", so "https://a\@b/" would be a host of b */

    if (seen & NGX_HTTP_PRECANCEL_URL_BACKSLASH) {
        return "URL contains a backslash";
    }

    if (len < sizeof(scheme) - 1) {
        return "not an absolute https URL";
    }

    /* all of "https://" has bit 0x20 set, and the URL only 0x21..0x7e */

    for (i = 0; i < sizeof(scheme) - 1; i++) {
        if ((url[i] | 0x20) != (unsigned char) scheme[i]) {
            return "not an absolute https URL";
        }
    }

    host = url + sizeof(scheme) - 1;
    end = url + len;

    /* the authority runs to the first "/", "?" or "#" */

    seen = 0;

    for (last = host; last < end; last++) {
        if (ngx_http_precancel_url_chars[*last] & NGX_HTTP_PRECANCEL_URL_END) {
            break;
        }

        seen |= ngx_http_precancel_url_chars[*last];
    }

    if (seen & NGX_HTTP_PRECANCEL_URL_AT) {
        return "URL contains user information";
    }

    if (host == last) {
        return "URL has an invalid host or port";
    }

    /* the port follows the last colon, but an IPv6 literal has colons */

    p = last;

    if (*host == '[') {
        for (p = host; p < last && *p != ']'; p++) {
            /* void */
        }

        if (p == last) {
            return "URL has an invalid host or port";
        }

        p++;

        if (p != last && *p != ':') {
            return "URL has an invalid host or port";
        }

    } else {
        p = memchr(host, ':', last - host);

        if (p == NULL) {
            p = last;
        }
    }

    if (!ngx_http_precancel_url_host_valid(host, p)) {
        return "URL has an invalid host or port";
    }

    if (p != last && !ngx_http_precancel_url_port_valid(p + 1, last)) {
        return "URL has an invalid host or port";
    }

    return NULL;
}


/* a DNS name of letters, digits, dots and hyphens, or "[" IPv6 "]" */

static int
ngx_http_precancel_url_host_valid(const unsigned char *p,
    const unsigned char *end)
{
    unsigned char  c;

    if (p == end) {
        return 0;
    }

    if (*p == '[') {
        if (end - p < 3 || end[-1] != ']') {
            return 0;
        }

        for (p++, end--; p < end; p++) {
            c = *p;

            if (!((c >= '0' && c <= '9')
                  || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                  || c == ':' || c == '.'))
            {
                return 0;
            }
        }

        return 1;
    }

    if (*p == '.' || *p == '-' || end[-1] == '.' || end[-1] == '-') {
        return 0;
    }

    for ( /* void */ ; p < end; p++) {
        if (!(ngx_http_precancel_url_chars[*p] & NGX_HTTP_PRECANCEL_URL_NAME)) {
            return 0;
        }
    }

    return 1;
}


static int
ngx_http_precancel_url_port_valid(const unsigned char *p,
    const unsigned char *end)
{
    unsigned long  port;

    if (end - p < 1 || end - p > 5) {
        return 0;
    }

    port = 0;

    for ( /* void */ ; p < end; p++) {
        if (*p < '0' || *p > '9') {
            return 0;
        }

        port = port * 10 + (*p - '0');
    }

    return port >= 1 && port <= 65535;
}
