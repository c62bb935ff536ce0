
/*
 * Hex and base64 for signatures: see ngx_edge_codec.h.  Decoding
 * takes no branch on a digit's value beyond the validity check, and reads
 * no table by anything but the input byte, which is not secret here (it
 * is the signature the client sent).
 */


#include <stdint.h>
#include <string.h>

#include "ngx_edge_codec.h"


/* "000102...ff": the two lowercase hex digits of every byte value */
static const char  ngx_edge_hex_pairs[] =
    "000102030405060708090a0b0c0d0e0f"
    "101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f"
    "303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f"
    "505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f"
    "707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f"
    "909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
    "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
    "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";


/*
 * The value of every byte as a hex digit of either case, 16 for a byte
 * that is not one: one look-up a digit, and the check of a pair is one
 * test of their OR.
 */
static const unsigned char  ngx_edge_hex_values[256] = {
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
     0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 16, 16, 16, 16, 16, 16,
    16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
    16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
};


static int ngx_edge_base64_value(unsigned char c);


void
ngx_edge_hex_encode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    /*
     * Two hex digits a byte, one look-up; four bytes a step while four
     * are left, as the loop costs more than the look-ups.
     */

    for ( /* void */ ; len >= 4; len -= 4) {
        memcpy(dst, &ngx_edge_hex_pairs[2 * src[0]], 2);
        memcpy(dst + 2, &ngx_edge_hex_pairs[2 * src[1]], 2);
        memcpy(dst + 4, &ngx_edge_hex_pairs[2 * src[2]], 2);
        memcpy(dst + 6, &ngx_edge_hex_pairs[2 * src[3]], 2);
        src += 4;
        dst += 8;
    }

    while (len--) {
        memcpy(dst, &ngx_edge_hex_pairs[2 * *src++], 2);
        dst += 2;
    }
}


void
ngx_edge_next_id(unsigned char ctr[16], unsigned char *dst)
{
    int  i;

    /* the carry runs from the last byte while it wraps to zero */

    for (i = 15; i >= 0; i--) {
        if (++ctr[i] != 0) {
            break;
        }
    }

    ngx_edge_hex_encode(dst, ctr, 16);
}


const char *
ngx_edge_hex_decode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t         i;
    unsigned char  hi, lo;

    if (len % 2) {
        return "odd number of hex digits";
    }

    for (i = 0; i < len; i += 2) {
        hi = ngx_edge_hex_values[src[i]];
        lo = ngx_edge_hex_values[src[i + 1]];

        if ((hi | lo) & 0x10) {
            return "not a hex digit";
        }

        *dst++ = (unsigned char) (hi << 4 | lo);
    }

    return NULL;
}


const char *
ngx_edge_base64_decode(unsigned char *dst, size_t *n,
    const unsigned char *src, size_t len)
{
    int             v;
    size_t          i, pad, rest;
    unsigned int    acc;
    unsigned char  *p;

    /* "=" may only end the text, one or two of them, to a multiple of 4 */

    pad = 0;

    while (pad < len && src[len - 1 - pad] == '=') {
        pad++;
    }

    if (pad && (pad > 2 || len % 4)) {
        return "misplaced base64 padding";
    }

    len -= pad;
    rest = len % 4;

    if (rest == 1) {
        return "base64 text of an impossible length";
    }

    p = dst;
    acc = 0;

    for (i = 0; i < len; i++) {
        v = ngx_edge_base64_value(src[i]);

        if (v < 0) {
            return src[i] == '=' ? "misplaced base64 padding"
                                 : "not a base64 character";
        }

        acc = acc << 6 | (unsigned int) v;

        if (i % 4 == 3) {
            *p++ = (unsigned char) (acc >> 16);
            *p++ = (unsigned char) (acc >> 8);
            *p++ = (unsigned char) acc;
            acc = 0;
        }
    }

    /* 2 or 3 characters left: 1 or 2 bytes, and 4 or 2 unused bits */

    if (rest == 2) {
        if (acc & 0xf) {
            return "base64 text with unused bits set";
        }

        *p++ = (unsigned char) (acc >> 4);

    } else if (rest == 3) {
        if (acc & 0x3) {
            return "base64 text with unused bits set";
        }

        *p++ = (unsigned char) (acc >> 10);
        *p++ = (unsigned char) (acc >> 2);
    }

    if (pad && pad != 4 - rest) {
        return "misplaced base64 padding";
    }

    *n = p - dst;

    return NULL;
}


static int
ngx_edge_base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}


/*
 * Eight bytes a step while eight are left: a word holds a byte outside
 * 0x20..0x7e when one is below 0x20, has its top bit set or is DEL; a
 * byte below 0x20 (or DEL, after the xor: 0) is found by the borrow its
 * subtraction leaves in its top bit, and a borrow only spreads upwards
 * from a byte that was found itself, so nothing is reported wrongly.
 */

size_t
ngx_edge_printable_len(const unsigned char *s, size_t len)
{
    size_t    n;
    uint64_t  w, d;

    static const uint64_t  ones = 0x0101010101010101ULL;
    static const uint64_t  tops = 0x8080808080808080ULL;

    for (n = 0; len - n >= 8; n += 8) {
        memcpy(&w, s + n, 8);

        d = w ^ (0x7f * ones);

        if ((((w - 0x20 * ones) & ~w) | w | ((d - ones) & ~d)) & tops) {
            break;
        }
    }

    while (n < len && s[n] >= 0x20 && s[n] < 0x7f) {
        n++;
    }

    return n;
}
