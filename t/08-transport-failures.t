# The fault matrix: a provider stand-in that misbehaves on demand, hostile
# replies, hostile session URLs, hostile variable values and odd browser
# requests.  Every row checks what the browser gets, $precancel_status /
# $precancel_error and the error-log line.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;
use Digest::SHA qw(sha256_hex);

PrecancelTest::setup();
run_tests();

__DATA__

=== TEST 1: connection refused
--- provider
http://127.0.0.1:1/precancel
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=upstream_failed$
X-Status: ^upstream_failed$
X-Error: ^provider request to "/_precancel" failed with 502$
--- error_log
connect() failed (111: Connection refused)
precancel failed: provider request to "/_precancel" failed with 502, redirecting to fallback



=== TEST 2: accepts, then never answers (read timeout)
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/hang
--- provider_config
proxy_read_timeout 1s;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=upstream_timeout$
X-Status: ^upstream_timeout$
X-Error: ^provider timed out$
--- error_log
upstream timed out
precancel failed: provider timed out, redirecting to fallback



=== TEST 3: answers slowly but within the timeout: success
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=700
--- provider_config
proxy_read_timeout 3s;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/[A-Za-z0-9_-]+$
X-Status: ^redirected$
--- no_error_log
[error]



=== TEST 4: closes in the middle of the body
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/close-mid-body
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=upstream_failed$
X-Error: ^provider connection failed while reading the reply$
--- error_log
upstream prematurely closed connection
precancel failed: provider connection failed while reading the reply



=== TEST 5: resets the connection
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/reset
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_failed$
X-Error: ^provider request to "/_precancel" failed with 502$
--- error_log eval
[qr/recv\(\) failed \(104: Connection reset by peer\)|upstream prematurely closed/,
 qr/precancel failed: provider request to "\/_precancel" failed with 502/]



=== TEST 6: 500
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=500&body=%7B%22valid%22%3Afalse%2C%22message%22%3A%22Internal%20Error%22%7D
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^rejected$
X-Error: ^provider answered 500: "Internal Error"$
--- error_log
precancel failed: provider answered 500: "Internal Error", redirecting to fallback



=== TEST 7: 502 from the provider itself
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=502&body=Bad%20Gateway&type=text/html
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_status$
X-Error: ^provider answered 502$
--- error_log
precancel failed: provider answered 502, redirecting to fallback



=== TEST 8: 429
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=429&body=%7B%22valid%22%3Afalse%2C%22message%22%3A%22Too%20Many%20Requests%22%7D
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^rejected$
X-Error: ^provider answered 429: "Too Many Requests"$
--- error_log
precancel failed: provider answered 429: "Too Many Requests"



=== TEST 9: 400 Invalid Signature (signed with the wrong key)
--- cancel_config
precancel_private_key_file $TEST_NGINX_KEYS/test2.key;
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^rejected$
X-Error: ^provider answered 400: "Invalid Signature"$
--- error_log
precancel failed: provider answered 400: "Invalid Signature", redirecting to fallback



=== TEST 10: 200 with "valid": false
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=200&body=%7B%22valid%22%3Afalse%2C%22message%22%3A%22No%20such%20subscription%22%7D
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^rejected$
X-Error: ^provider answered 200 with "valid": false: "No such subscription"$
--- error_log
precancel failed: provider answered 200 with "valid": false



=== TEST 11: 204, no body
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=204
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is not valid JSON: empty reply at byte 0$
--- error_log
precancel failed: provider reply is not valid JSON: empty reply



=== TEST 12: 301 from the provider is not followed
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/redirect
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=rejected$
X-Error: ^provider answered 301: "Moved Permanently"$
--- error_log
precancel failed: provider answered 301



=== TEST 13: reply not JSON
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=200&body=%3Chtml%3Eoops%3C%2Fhtml%3E
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is not valid JSON: unexpected character at byte 0$
--- error_log
precancel failed: provider reply is not valid JSON



=== TEST 14: truncated JSON
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=200&body=%7B%22valid%22%3A%20true%2C%20%22message%22%3A%20%22https%3A%2F%2Fcancel.exa
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is not valid JSON: unterminated string at byte \d+$



=== TEST 15: wrong shape: "message" a number
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=200&body=%7B%22valid%22%3Atrue%2C%22message%22%3A12%7D
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply has no session URL string in "message"$



=== TEST 16: wrong shape: "valid" a string
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=200&body=%7B%22valid%22%3A%22true%22%2C%22message%22%3A%22https%3A%2F%2Fcancel.example.com%2Fs%22%7D
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply has no boolean "valid"$



=== TEST 17: duplicate keys are refused
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=200&body=%7B%22valid%22%3Atrue%2C%22message%22%3A%22https%3A%2F%2Fa.example.com%2F%22%2C%22message%22%3A%22https%3A%2F%2Fevil.example.net%2F%22%7D
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is not valid JSON: duplicate member at byte \d+$



=== TEST 18: deep nesting (10 000 "[")
--- user_files eval
">>> deep.json\n" . ("[" x 10000)
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/deep.json
--- provider_config
proxy_method GET;
subrequest_output_buffer_size 16k;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is not valid JSON: nesting too deep at byte 64$



=== TEST 19: a 1 MB reply beyond subrequest_output_buffer_size
--- user_files eval
">>> big.json\n" . '{"valid":true,"message":"https://cancel.example.com/s/1","pad":"' . ("x" x 1048576) . '"}'
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/big.json
--- provider_config
proxy_method GET;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is larger than subrequest_output_buffer_size \(\d+\)$
--- error_log
precancel failed: provider reply is larger than subrequest_output_buffer_size



=== TEST 20: invalid UTF-8 in the reply
--- user_files eval
">>> bad.json\n" . qq({"valid":true,"message":"https://cancel.example.com/\xff"})
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/bad.json
--- provider_config
proxy_method GET;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is not valid JSON: invalid UTF-8 in string at byte \d+$



=== TEST 21: \u0000 in the session URL
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=200&body=%7B%22valid%22%3Atrue%2C%22message%22%3A%22https%3A%2F%2Fcancel.example.com%2F%5Cu0000x%22%7D
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: URL contains whitespace, control or non-ASCII characters$



=== TEST 22: a chunked reply is read whole: success
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/chunked
--- provider_config
proxy_http_version 1.1;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/[A-Za-z0-9_-]+$
X-Status: ^redirected$



=== TEST 23: a gzip-encoded reply is refused
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/gzip
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply has Content-Encoding "gzip"$



=== TEST 24: session URL javascript:
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/url?u=javascript%3Aalert(1)
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: not an absolute https URL$



=== TEST 25: session URL plain http
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/url?u=http%3A%2F%2Fcancel.example.com%2Fs%2F1
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: not an absolute https URL$



=== TEST 26: session URL relative
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/url?u=%2Fsession%2F1
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: not an absolute https URL$



=== TEST 27: session URL protocol-relative
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/url?u=%2F%2Fevil.example.net%2F
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: not an absolute https URL$



=== TEST 28: session URL with CR LF (header injection)
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/url?u=https%3A%2F%2Fcancel.example.com%2F%0D%0ASet-Cookie%3A%20a%3Db
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_url$
X-Error: ^session URL rejected: URL contains whitespace, control or non-ASCII characters$
--- response_headers
!Set-Cookie



=== TEST 29: session URL longer than 8 KiB
--- user_files eval
">>> long.json\n" . '{"valid":true,"message":"https://cancel.example.com/' . ("a" x 8200) . '"}'
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/long.json
--- provider_config
proxy_method GET;
subrequest_output_buffer_size 16k;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: URL too long$



=== TEST 30: session URL not matching precancel_redirect_allow
--- cancel_config
precancel_redirect_allow ^https://cancel\.example\.com/;
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/url?u=https%3A%2F%2Fcancel.example.com.evil.net%2Fs
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL "https://cancel\.example\.com\.evil\.net/s" does not match precancel_redirect_allow$



=== TEST 31: hostile value: quotes, backslashes and control characters
--- cancel_config
precancel_field subscription_id $http_x_sub;
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect
--- more_headers eval
"X-Sub: \\\\\"}\x01\x08\x0c\x1b\x7f{\"app_id\":\"evil\"}"
--- request
GET /account/cancel
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&subscription_id=%5C%5C%22%7D%01%08%0C%1B%7F%7B%22app_id%22%3A%22evil%22%7D&x-headers=none&x-query=none
X-Status: redirected



=== TEST 32: hostile value: 64 KiB, signed and verified
--- http_config
    large_client_header_buffers 4 256k;
    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
--- cancel_config
precancel_field subscription_id $http_x_sub;
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect
--- more_headers eval
"X-Sub: " . ("a\"\\" x 21846)
--- request
GET /account/cancel
--- error_code: 302
--- response_headers eval
"Location: https://cancel.example.com/inspect?app_id=APP_TEST&subscription_id=sha256-"
. Digest::SHA::sha256_hex("a\"\\" x 21846) . "&x-headers=none&x-query=none"



=== TEST 33: hostile value: invalid UTF-8
--- cancel_config
precancel_field subscription_id $http_x_sub;
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- more_headers eval
"X-Sub: \xed\xa0\x80"
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_field$
X-Error: ^field "subscription_id" is not valid UTF-8$
--- error_log
precancel failed: field "subscription_id" is not valid UTF-8



=== TEST 34: the browser's HEAD gets 405
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- request
HEAD /account/cancel
--- error_code: 405
--- no_error_log
precancel subrequest



=== TEST 35: the browser's PUT gets 405
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- request
PUT /account/cancel
x
--- error_code: 405
--- response_headers
Allow: GET, POST



=== TEST 36: a huge POST body from the browser is discarded
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect
--- request eval
"POST /account/cancel\n" . ("subscription_id=evil&" x 50000)
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&x-headers=none&x-query=none



=== TEST 37: the browser's cookie and Authorization never reach the provider
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect
--- request
GET /account/cancel?a=b
--- more_headers
Cookie: session=browser-secret
Authorization: Basic dXNlcjpwYXNz
Proxy-Authorization: Basic dXNlcjpwYXNz
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&x-headers=none&x-query=none



=== TEST 38: drips the reply one byte every 250 ms: precancel_timeout cuts it short
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/drip?ms=250
--- cancel_config
precancel_timeout 1s;
--- request
GET /account/cancel
--- timeout: 4
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=deadline$
X-Status: ^deadline$
X-Error: ^provider did not answer within precancel_timeout \(1000 ms\)$
--- error_log
precancel failed: provider did not answer within precancel_timeout (1000 ms), redirecting to fallback
--- no_error_log
[alert]
[crit]



=== TEST 39: never answers, precancel_timeout shorter than proxy_read_timeout
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/hang
--- provider_config
proxy_read_timeout 30s;
--- cancel_config
precancel_timeout 500ms;
--- request
GET /account/cancel
--- timeout: 3
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=deadline$
X-Error: ^provider did not answer within precancel_timeout \(500 ms\)$
--- error_log
precancel failed: provider did not answer within precancel_timeout (500 ms)
--- no_error_log
upstream timed out
[alert]



=== TEST 40: the default precancel_timeout (5s) ends a drip of about 17 s
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/drip?ms=250
--- provider_config
proxy_read_timeout 30s;
--- request
GET /account/cancel
--- timeout: 8
--- error_code: 302
--- response_headers_like
X-Status: ^deadline$
X-Error: ^provider did not answer within precancel_timeout \(5000 ms\)$
--- no_error_log
[alert]



=== TEST 41: the reply carries X-Accel-Redirect: the target never runs
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/accel?to=/internal/leak
--- config
    location /internal/ {
        internal;
        root /nonexistent-accel-target;
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct\?r=bad_reply$
X-Status: ^bad_reply$
X-Error: ^provider reply redirected the subrequest internally to "/internal/leak"$
--- error_log
precancel failed: provider reply redirected the subrequest internally to "/internal/leak", redirecting to fallback
--- no_error_log
nonexistent-accel-target
[alert]



=== TEST 42: X-Accel-Redirect to a location whose output is larger than subrequest_output_buffer_size
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/accel?to=/internal/big
--- config
    location = /internal/big {
        internal;
        subrequest_output_buffer_size 256;
        return 200 "$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id$request_id";
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply redirected the subrequest internally to "/internal/big"$
--- no_error_log
too big subrequest response
[alert]



=== TEST 43: X-Accel-Redirect to a named location
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/accel?to=%40leak
--- config
    location @leak {
        root /nonexistent-accel-named;
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply redirected the subrequest internally to "@leak"$
--- no_error_log
nonexistent-accel-named



=== TEST 44: a hostile X-Accel-Redirect value is quoted without its control characters
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/accel?to=/internal/a%1Bb
--- config
    location /internal/ {
        internal;
        return 200 "{}";
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply redirected the subrequest internally to "/internal/a\?b"$



=== TEST 45: the documented provider location ignores X-Accel-*: the session URL is followed
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/accel?to=/internal/leak
--- provider_config
proxy_ignore_headers X-Accel-Redirect X-Accel-Expires X-Accel-Limit-Rate X-Accel-Buffering X-Accel-Charset;
--- config
    location /internal/ {
        internal;
        root /nonexistent-accel-target;
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/[A-Za-z0-9_-]+$
X-Status: ^redirected$
--- no_error_log
[error]
