
/*
 * libFuzzer harness of the hex and base64 decoders: whatever either
 * accepts, encoded again, gives back the input (hex in lowercase, base64
 * without the padding it may have had); whatever is refused comes with a
 * reason.
 */


#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_edge_codec.h"
#include "fuzz_base64_ref.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, n, out, unpadded;
    const char     *err;
    unsigned char  *buf, *again;

    buf = malloc(ngx_edge_base64_decoded_max(size) + 1);
    again = malloc(2 * size + 4);

    if (buf == NULL || again == NULL) {
        abort();
    }

    /* hex */

    err = ngx_edge_hex_decode(buf, data, size);

    if (err) {
        if (err[0] == '\0') {
            abort();
        }

    } else {
        ngx_edge_hex_encode(again, buf, size / 2);

        for (i = 0; i < size; i++) {
            if (again[i] != tolower(data[i])) {
                abort();
            }
        }
    }

    /* base64 */

    err = ngx_edge_base64_decode(buf, &n, data, size);

    if (err) {
        if (err[0] == '\0') {
            abort();
        }

    } else {
        if (n > ngx_edge_base64_decoded_max(size)) {
            abort();
        }

        out = fuzz_base64_ref(again, buf, n);

        unpadded = size;

        while (unpadded && data[unpadded - 1] == '=') {
            unpadded--;
        }

        if (out != unpadded || memcmp(again, data, out) != 0) {
            abort();
        }
    }

    free(again);
    free(buf);

    return 0;
}
