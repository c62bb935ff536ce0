
/*
 * Minimal TAP producer for the unit tests: tap_ok() prints one
 * "ok N - description" or "not ok N - description" line, tap_done() the
 * plan "1..N" and returns the exit status, non-zero if any test failed.
 */


#ifndef _TAP_H_INCLUDED_
#define _TAP_H_INCLUDED_


#include <stdio.h>


static unsigned  tap_run, tap_failed;


/* static inline, so that a test using only some of them does not warn */

static inline int
tap_ok(int ok, const char *description)
{
    tap_run++;

    if (!ok) {
        tap_failed++;
    }

    printf("%sok %u - %s\n", ok ? "" : "not ", tap_run, description);

    return ok;
}


static inline void
tap_diag(const char *message)
{
    printf("# %s\n", message);
}


static inline int
tap_done(void)
{
    printf("1..%u\n", tap_run);

    if (tap_failed) {
        printf("# failed %u of %u\n", tap_failed, tap_run);
    }

    fflush(stdout);

    return tap_failed ? 1 : 0;
}


#endif /* _TAP_H_INCLUDED_ */
