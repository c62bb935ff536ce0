
/*
 * Pure hex and base64 coding shared by the precancel signer and the
 * webhook verifier, and the counter behind $precancel_click_id; no nginx
 * headers, so t/unit and t/fuzz reach it.
 */


#ifndef _NGX_EDGE_CODEC_H_INCLUDED_
#define _NGX_EDGE_CODEC_H_INCLUDED_


#include <stddef.h>


/* the most bytes base64 text of len characters can decode to */
#define ngx_edge_base64_decoded_max(len)  (((len) + 3) / 4 * 3)


/* writes 2 * len lowercase hex digits of src into dst, no NUL */
void ngx_edge_hex_encode(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * Decodes len hex digits of either case into len / 2 bytes of dst.
 * Returns NULL, or a static reason when len is odd or a character is not
 * a hex digit.
 */
const char *ngx_edge_hex_decode(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * Decodes standard base64 (RFC 4648 section 4) with or without its "="
 * padding into dst (ngx_edge_base64_decoded_max(len) bytes)
 * and sets *n to the number of bytes written.  Returns NULL, or a static
 * reason for a character outside the alphabet, misplaced padding, a
 * length no encoder writes, or unused bits that are not zero.
 */
const char *ngx_edge_base64_decode(unsigned char *dst, size_t *n,
    const unsigned char *src, size_t len);

/*
 * Adds one to the 128-bit big-endian counter ctr (wrapping to zero after
 * all ones) and writes its 32 lowercase hex digits into dst, no NUL: an
 * id unique for as long as one counter is used, from a random start.
 */
void ngx_edge_next_id(unsigned char ctr[16], unsigned char *dst);

/*
 * The length of the run of printable ASCII (0x20 to 0x7e) at the start of
 * s: len when all of it is, as a header value sent on must be.
 */
size_t ngx_edge_printable_len(const unsigned char *s, size_t len);


#endif /* _NGX_EDGE_CODEC_H_INCLUDED_ */
