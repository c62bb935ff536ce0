
/*
 * Pure redaction of secrets from text a provider sent back (an error
 * message, a session URL) before it is quoted into a log line or a
 * variable; no nginx headers, so t/unit and t/fuzz reach it.  It knows
 * nothing of requests: a list of byte strings goes in, text with every
 * occurrence of each replaced by "[redacted]" comes out.
 */


#ifndef _NGX_HTTP_PRECANCEL_REDACT_H_INCLUDED_
#define _NGX_HTTP_PRECANCEL_REDACT_H_INCLUDED_


#include <stddef.h>


#define NGX_HTTP_PRECANCEL_REDACTED      "[redacted]"
#define NGX_HTTP_PRECANCEL_REDACTED_LEN  (sizeof(NGX_HTTP_PRECANCEL_REDACTED) \
                                          - 1)

/* the most forms ngx_http_precancel_redact_forms() makes of one secret */
#define NGX_HTTP_PRECANCEL_REDACT_FORMS  19


/* one byte string to be redacted; one of zero length is never found */
typedef struct {
    const unsigned char  *data;
    size_t                len;
} ngx_http_precancel_secret_t;


/* bytes of buffer ngx_http_precancel_redact_forms() needs for len bytes */
size_t ngx_http_precancel_redact_forms_size(size_t len);

/*
 * The forms a secret is sent back in, written into buf (forms_size(len)
 * bytes) and listed in forms (NGX_HTTP_PRECANCEL_REDACT_FORMS entries):
 * the secret itself; its percent-encoding (RFC 3986 unreserved bytes
 * kept) with uppercase and with lowercase hex digits; its Base64 without
 * padding, standard and URL-safe, and the standard one percent-encoded;
 * and the same four of the Base64 of its whole 3-byte groups taken from
 * its 1st, 2nd and 3rd byte, which is what any longer text holding the
 * secret (such as "key:") shows when it is Base64-encoded, at whatever
 * alignment.  A form equal to an earlier one is left out, and so is a
 * group form shorter than 8 characters (it would match by chance).
 * Returns the number of forms listed.
 */
size_t ngx_http_precancel_redact_forms(ngx_http_precancel_secret_t *forms,
    unsigned char *buf, const unsigned char *secret, size_t len);

/* 1 when text holds an occurrence of one of the n secrets, else 0 */
int ngx_http_precancel_redact_find(const unsigned char *text, size_t len,
    const ngx_http_precancel_secret_t *secrets, size_t n);

/*
 * Copies src[0..len) to dst with the bytes of every occurrence of each of
 * the n secrets (occurrences may overlap or touch) replaced: each run of
 * such bytes becomes one "[redacted]".  At most max bytes are written:
 * the copy stops before a byte or a "[redacted]" that would not fit, and
 * before the start of a UTF-8 sequence it would cut.  A byte written is
 * never part of an occurrence, so a cut cannot leave half a secret.
 * *used is set to the bytes of src consumed (len unless cut).  Returns
 * the bytes written; with dst NULL, only counts them.
 */
size_t ngx_http_precancel_redact(unsigned char *dst, size_t max,
    const unsigned char *src, size_t len,
    const ngx_http_precancel_secret_t *secrets, size_t n, size_t *used);


#endif /* _NGX_HTTP_PRECANCEL_REDACT_H_INCLUDED_ */
