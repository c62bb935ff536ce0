
/*
 * Known-answer tests of the HMAC signer: RFC 4231 (HMAC-SHA-512, test
 * cases 1-4, 6, 7) and one HMAC-SHA-256 vector, RFC 2202 for HMAC-SHA-1,
 * plus reuse of one keyed context for several messages; the same MACs
 * from a message hashed in pieces, in a copy of the keyed context while
 * the original is in use, and in a copy given back and kept; and the
 * plain digests (RFC 1321 MD5, FIPS 180 SHA-256) the same way.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_edge_codec.h"
#include "ngx_edge_hmac.h"
#include "tap.h"


typedef struct {
    const char  *name;
    const char  *digest;
    const char  *key;
    size_t       key_len;
    const char  *data;
    size_t       data_len;
    const char  *hex;
} kat_t;


static void fill(char *buf, int c, size_t n);
static void pieces(const char *digest, const char *key, size_t key_len,
    const char *data, size_t data_len, const char *hex, const char *name);
static void digest(const char *name, const char *data, const char *hex);


static char  key_aa131[131], key_0b[20], key_aa20[20], data_dd[50];
static char  key_01_19[25], data_cd[50];


int
main(void)
{
    size_t                      i, k;
    const char                 *failed;
    unsigned char               hex[NGX_HTTP_PRECANCEL_HMAC_MAX_HEX];
    ngx_edge_hmac_t  *h;

    static const char  tc6[] =
        "Test Using Larger Than Block-Size Key - Hash Key First";
    static const char  tc7[] =
        "This is a test using a larger than block-size key and a larger "
        "than block-size data. The key needs to be hashed before being "
        "used by the HMAC algorithm.";

    fill(key_0b, 0x0b, 20);
    fill(key_aa20, 0xaa, 20);
    fill(data_dd, 0xdd, 50);
    fill(data_cd, 0xcd, 50);
    fill(key_aa131, 0xaa, 131);

    for (i = 0; i < 25; i++) {
        key_01_19[i] = (char) (i + 1);
    }

    kat_t  kats[] = {
        { "RFC 4231 test case 1", "SHA512", key_0b, 20, "Hi There", 8,
          "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
          "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
        { "RFC 4231 test case 2", "SHA512", "Jefe", 4,
          "what do ya want for nothing?", 28,
          "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
          "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
        { "RFC 4231 test case 3", "SHA512", key_aa20, 20, data_dd, 50,
          "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
          "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
        { "RFC 4231 test case 4", "SHA512", key_01_19, 25, data_cd, 50,
          "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
          "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
        { "RFC 4231 test case 6", "SHA512", key_aa131, 131, tc6,
          sizeof(tc6) - 1,
          "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
          "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
        { "RFC 4231 test case 7", "SHA512", key_aa131, 131, tc7,
          sizeof(tc7) - 1,
          "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
          "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
        { "RFC 4231 test case 2, SHA-256", "SHA256", "Jefe", 4,
          "what do ya want for nothing?", 28,
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
        { "RFC 2202 test case 1, SHA-1", "SHA1", key_0b, 20, "Hi There", 8,
          "b617318655057264e28bc0b6fb378c8ef146be00" },
        { "RFC 2202 test case 2, SHA-1", "SHA1", "Jefe", 4,
          "what do ya want for nothing?", 28,
          "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
    };

    for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
        h = ngx_edge_hmac_create(kats[i].digest,
                                 (unsigned char *) kats[i].key,
                                 kats[i].key_len, &failed);
        if (h == NULL) {
            tap_ok(0, kats[i].name);
            continue;
        }

        /* twice with one context: the keyed state must be restored */

        for (k = 0; k < 2; k++) {
            memset(hex, 0, sizeof(hex));

            tap_ok(ngx_edge_hmac_hex(h, (unsigned char *)
                                     kats[i].data,
                                     kats[i].data_len, hex,
                                     &failed) == 0
                   && ngx_edge_hmac_hex_len(h)
                      == strlen(kats[i].hex)
                   && memcmp(hex, kats[i].hex, strlen(kats[i].hex)) == 0,
                   kats[i].name);
        }

        ngx_edge_hmac_free(h);

        pieces(kats[i].digest, kats[i].key, kats[i].key_len, kats[i].data,
               kats[i].data_len, kats[i].hex, kats[i].name);
    }

    digest("MD5", "", "d41d8cd98f00b204e9800998ecf8427e");
    digest("MD5", "abc", "900150983cd24fb0d6963f7d28e17f72");
    digest("MD5", "12345678901234567890123456789012345678901234567890123456"
           "789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a");
    digest("SHA256", "abc",
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    digest("SHA256", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
           "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    h = ngx_edge_hmac_create("NO-SUCH-DIGEST",
                             (unsigned char *) "k", 1, &failed);
    tap_ok(h == NULL && failed != NULL, "unknown digest is refused");

    tap_ok(ngx_edge_digest_create("NO-SUCH-DIGEST", &failed)
           == NULL, "unknown plain digest is refused");

    return tap_done();
}


static void
fill(char *buf, int c, size_t n)
{
    memset(buf, c, n);
}


/*
 * The message fed in pieces of every size from 1 byte up, each time in a
 * copy of the keyed context, while the original is left in the middle of
 * another message: each copy must give the one-shot MAC.  Each copy is
 * given back when done, so from the second size on the copy is the one
 * the keyed context kept, where the last message left it; the first
 * comes after a copy given back in the middle of a message.
 */

static void
pieces(const char *digest, const char *key, size_t key_len, const char *data,
    size_t data_len, const char *hex, const char *name)
{
    int                         ok;
    size_t                      step, off, n;
    char                        title[160];
    const char                 *failed;
    unsigned char               md[NGX_HTTP_PRECANCEL_HMAC_MAX];
    unsigned char               out[NGX_HTTP_PRECANCEL_HMAC_MAX_HEX];
    ngx_edge_hmac_t  *h, *copy, *kept;

    h = ngx_edge_hmac_create(digest, (unsigned char *) key, key_len,
                             &failed);
    if (h == NULL) {
        tap_ok(0, name);
        return;
    }

    ok = ngx_edge_hmac_init(h, &failed) == 0
         && ngx_edge_hmac_update(h, (unsigned char *) "junk", 4,
                                 &failed) == 0;

    kept = ngx_edge_hmac_dup(h, &failed);
    ok = ok && kept != NULL
         && ngx_edge_hmac_update(kept, (unsigned char *) "more junk", 9,
                                 &failed) == 0;
    ngx_edge_hmac_release(kept);

    for (step = 1; ok && step <= data_len; step++) {
        copy = ngx_edge_hmac_dup(h, &failed);
        if (copy == NULL || copy != kept) {
            ngx_edge_hmac_release(copy);
            ok = 0;
            break;
        }

        for (off = 0; ok && off < data_len; off += n) {
            n = data_len - off < step ? data_len - off : step;
            ok = ngx_edge_hmac_update(copy,
                                      (unsigned char *) data + off,
                                      n, &failed) == 0;
        }

        ok = ok && ngx_edge_hmac_final(copy, md, &failed) == 0
             && ngx_edge_hmac_hex_len(copy) == strlen(hex);

        ngx_edge_hmac_release(copy);

        if (ok) {
            ngx_edge_hex_encode(out, md, strlen(hex) / 2);
            ok = memcmp(out, hex, strlen(hex)) == 0;
        }
    }

    /* frees the kept copy too (LeakSanitizer, make unit-asan) */
    ngx_edge_hmac_free(h);

    snprintf(title, sizeof(title), "%s, in pieces of every size", name);
    tap_ok(ok, title);
}


static void
digest(const char *name, const char *data, const char *hex)
{
    int                           ok;
    size_t                        i, len;
    char                          title[160];
    const char                   *failed;
    unsigned char                 md[NGX_HTTP_PRECANCEL_HMAC_MAX];
    unsigned char                 out[NGX_HTTP_PRECANCEL_HMAC_MAX_HEX];
    ngx_edge_digest_t  *proto, *d;

    len = strlen(data);
    ok = 0;

    proto = ngx_edge_digest_create(name, &failed);
    d = proto ? ngx_edge_digest_dup(proto, &failed) : NULL;

    if (d != NULL && ngx_edge_digest_size(d) * 2 == strlen(hex)) {
        ok = 1;

        /* one byte at a time */

        for (i = 0; ok && i < len; i++) {
            ok = ngx_edge_digest_update(d, (unsigned char *) data
                                        + i, 1, &failed) == 0;
        }

        ok = ok && ngx_edge_digest_final(d, md, &failed) == 0;

        if (ok) {
            ngx_edge_hex_encode(out, md, strlen(hex) / 2);
            ok = memcmp(out, hex, strlen(hex)) == 0;
        }
    }

    ngx_edge_digest_free(d);
    ngx_edge_digest_free(proto);

    snprintf(title, sizeof(title), "%s(\"%.20s%s\")", name, data,
             len > 20 ? "..." : "");
    tap_ok(ok, title);
}
