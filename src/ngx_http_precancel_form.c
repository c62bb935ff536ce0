
/*
 * application/x-www-form-urlencoded writer and URI-path id check: see
 * ngx_http_precancel_form.h.
 */


#include "ngx_http_precancel_form.h"


/* 1 for the bytes written as they are: ALPHA, DIGIT, "-", ".", "_", "*" */
static const unsigned char  ngx_http_precancel_form_plain[256] = {
    ['*'] = 1, ['-'] = 1, ['.'] = 1, ['_'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1
};


static size_t ngx_http_precancel_form_escape_len(const unsigned char *s,
    size_t len);
static unsigned char *ngx_http_precancel_form_escape(unsigned char *dst,
    const unsigned char *s, size_t len);


size_t
ngx_http_precancel_form_len(const ngx_http_precancel_form_pair_t *pairs,
    size_t n)
{
    size_t  i, len, written;

    len = 0;
    written = 0;

    for (i = 0; i < n; i++) {
        if (pairs[i].value_len == 0) {
            continue;
        }

        len += (written++ ? 1 : 0)
               + ngx_http_precancel_form_escape_len(pairs[i].name,
                                                    pairs[i].name_len)
               + 1
               + ngx_http_precancel_form_escape_len(pairs[i].value,
                                                    pairs[i].value_len);
    }

    return len;
}


unsigned char *
ngx_http_precancel_form_write(unsigned char *dst,
    const ngx_http_precancel_form_pair_t *pairs, size_t n)
{
    size_t  i, written;

    written = 0;

    for (i = 0; i < n; i++) {
        if (pairs[i].value_len == 0) {
            continue;
        }

        if (written++) {
            *dst++ = '&';
        }

        dst = ngx_http_precancel_form_escape(dst, pairs[i].name,
                                             pairs[i].name_len);
        *dst++ = '=';
        dst = ngx_http_precancel_form_escape(dst, pairs[i].value,
                                             pairs[i].value_len);
    }

    return dst;
}


static size_t
ngx_http_precancel_form_escape_len(const unsigned char *s, size_t len)
{
    size_t  i, n;

    n = len;

    for (i = 0; i < len; i++) {
        if (!ngx_http_precancel_form_plain[s[i]] && s[i] != ' ') {
            n += 2;
        }
    }

    return n;
}


static unsigned char *
ngx_http_precancel_form_escape(unsigned char *dst, const unsigned char *s,
    size_t len)
{
    size_t  i;

    static const char  hex[] = "0123456789ABCDEF";

    for (i = 0; i < len; i++) {

        if (ngx_http_precancel_form_plain[s[i]]) {
            *dst++ = s[i];

        } else if (s[i] == ' ') {
            *dst++ = '+';

        } else {
            *dst++ = '%';
            *dst++ = hex[s[i] >> 4];
            *dst++ = hex[s[i] & 0x0f];
        }
    }

    return dst;
}


const char *
ngx_http_precancel_form_id_check(const unsigned char *id, size_t len)
{
    size_t  i;

    if (len == 0) {
        return "empty";
    }

    if (len > 50) {
        return "longer than 50 bytes";
    }

    for (i = 0; i < len; i++) {
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')
              || (id[i] >= '0' && id[i] <= '9') || id[i] == '_'
              || id[i] == '-'))
        {
            return "a character outside A-Z a-z 0-9 _ -";
        }
    }

    return 0;
}
