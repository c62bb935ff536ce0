# Every way the precancel can fail has a defined answer: a 302 to
# precancel_fallback (or 502 without one), an error-log line with the
# reason, and $precancel_status / $precancel_error (behaviour 5).  The
# fault matrix in t/08-transport-failures.t holds one row per failure; this file holds
# what the matrix does not: no fallback, fallbacks with variables, the
# provider's own messages, a missing provider location.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup();

run_tests();

__DATA__

=== TEST 1: provider unreachable and no fallback: 502
--- provider
http://127.0.0.1:1/precancel
--- no_fallback: 1
--- request
GET /account/cancel
--- error_code: 502
--- response_headers
X-Status: upstream_failed
--- error_log
precancel failed: provider request to "/_precancel" failed with 502, answering 502 (no precancel_fallback)



=== TEST 2: provider says 400 Invalid Key Id
--- config
    precancel_public_key pk_unknown;
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=rejected$
X-Error: ^provider answered 400: "Invalid Key Id"$
--- error_log
precancel failed: provider answered 400: "Invalid Key Id"



=== TEST 3: provider fails with 500
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 500 'oops'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=upstream_status$
X-Error: ^provider answered 500$
--- error_log
precancel failed: provider answered 500,



=== TEST 4: a reply with trailing garbage
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '{"valid": true, "message": "https://cancel.example.com/s/1"} {"valid": true}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_reply$
X-Error: ^provider reply is not valid JSON: trailing.*



=== TEST 5: the provider's message is quoted and stripped of control characters
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 400 '{"valid": false, "message": "bad\\nline\u0000x"}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Error: ^provider answered 400: "bad\?line\?x"$
--- error_log
precancel failed: provider answered 400: "bad?line?x"



=== TEST 6: the fallback may hold variables
--- provider
http://127.0.0.1:1/precancel
--- no_fallback: 1
--- config
    precancel_fallback https://$host/billing/cancel?reason=$precancel_status;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers
Location: https://localhost/billing/cancel?reason=upstream_failed



=== TEST 7: the provider's location missing is a failure too
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/nothing-here
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_status$
X-Error: ^provider answered 404$
