
/*
 * A reference base64 encoder for the fuzz harnesses (RFC 4648 section 4,
 * without padding), written apart from the module's decoder so that the
 * harnesses check the decoder against something it does not share.
 */


#ifndef _FUZZ_BASE64_REF_H_INCLUDED_
#define _FUZZ_BASE64_REF_H_INCLUDED_


#include <stddef.h>


/* writes the unpadded base64 of src[0..n) into dst, returns its length */

static size_t
fuzz_base64_ref(unsigned char *dst, const unsigned char *src, size_t n)
{
    size_t        i, k, out;
    unsigned int  v;

    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    out = 0;

    for (i = 0; i < n; i += 3) {
        k = n - i;
        v = (unsigned int) src[i] << 16;
        v |= (k > 1) ? (unsigned int) src[i + 1] << 8 : 0;
        v |= (k > 2) ? src[i + 2] : 0;

        dst[out++] = alphabet[(v >> 18) & 63];
        dst[out++] = alphabet[(v >> 12) & 63];

        if (k > 1) {
            dst[out++] = alphabet[(v >> 6) & 63];
        }

        if (k > 2) {
            dst[out++] = alphabet[v & 63];
        }
    }

    return out;
}


#endif /* _FUZZ_BASE64_REF_H_INCLUDED_ */
