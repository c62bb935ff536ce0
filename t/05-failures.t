# Every way the precancel can fail has a defined answer: a 302 to
# precancel_fallback (or 502 without one), an error-log line with the
# reason, and $precancel_status / $precancel_error (behaviour 5).

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup();

run_tests();

__DATA__

=== TEST 1: provider unreachable
--- provider
http://127.0.0.1:1/precancel
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=upstream_failed$
X-Status: ^upstream_failed$
X-Error: ^provider request to "/_precancel" failed with 502$
Cache-Control: ^no-store$
--- error_log
connect() failed (111: Connection refused)
precancel failed: provider request to "/_precancel" failed with 502, redirecting to fallback "/account/cancel/direct?r=upstream_failed"



=== TEST 2: provider unreachable and no fallback: 502
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



=== TEST 3: provider accepts and never answers: timeout
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/hang
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=upstream_timeout$
X-Error: ^provider timed out$
--- error_log
upstream timed out
precancel failed: provider timed out



=== TEST 4: provider says 400 Invalid Key Id
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



=== TEST 5: provider fails with 500
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



=== TEST 6: 200 with "valid": false
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '{"valid": false, "message": "Subscription not found"}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=rejected$
X-Error: ^provider answered 200 with "valid": false: "Subscription not found"$



=== TEST 7: a reply that is not JSON
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '<html>Bad gateway</html>'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_reply$
X-Error: ^provider reply is not valid JSON: .* at byte 0$



=== TEST 8: a reply with trailing garbage
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



=== TEST 9: a duplicate "valid" is refused, not guessed
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '{"valid": false, "valid": true, "message": "https://cancel.example.com/s/1"}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_reply$
X-Error: ^provider reply is not valid JSON: duplicate member.*



=== TEST 10: "valid" as a string is the wrong shape
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '{"valid": "true", "message": "https://cancel.example.com/s/1"}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Error: ^provider reply has no boolean "valid"$



=== TEST 11: "message" as a number is the wrong shape
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '{"valid": true, "message": 42}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply has no session URL string in "message"$



=== TEST 12: a reply larger than subrequest_output_buffer_size
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/big?size=20000
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_reply$
X-Error: ^provider reply is larger than subrequest_output_buffer_size.*



=== TEST 13: a plain http session URL is refused
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '{"valid": true, "message": "http://cancel.example.com/s/1"}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_url$
X-Error: ^session URL rejected: not an absolute https URL$



=== TEST 14: a javascript: session URL is refused
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '{"valid": true, "message": "javascript:alert(document.cookie)"}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_url$



=== TEST 15: a session URL with CR LF cannot split the header
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    location = /fake { return 200 '{"valid": true, "message": "https://cancel.example.com/s\\r\\nSet-Cookie: a=b"}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_url$
--- response_headers
!Set-Cookie



=== TEST 16: a session URL outside precancel_redirect_allow is refused
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake
--- config
    precancel_redirect_allow ^https://[a-z0-9-]+\.example\.com/;
    location = /fake { return 200 '{"valid": true, "message": "https://cancel.example.com.evil.net/s/1"}'; }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_url$
X-Error: ^session URL "https://cancel\.example\.com\.evil\.net/s/1" does not match precancel_redirect_allow$



=== TEST 17: a gzip-encoded reply is refused
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/gzip
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Error: ^provider reply has Content-Encoding "gzip"$



=== TEST 18: the provider's message is quoted and stripped of control characters
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



=== TEST 19: the fallback may hold variables
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



=== TEST 20: the provider's location missing is a failure too
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/nothing-here
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_status$
X-Error: ^provider answered 404$
