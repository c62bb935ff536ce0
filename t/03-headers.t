# What reaches the provider besides the body: Content-Type, Signature and
# Signature-Public-Key, and nothing of the browser's request: no Cookie,
# no Authorization, no other header, no query string (behaviour 3).

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup();
run_tests();

__DATA__

=== TEST 1: the browser's cookies, credentials and query string stay behind
--- config
    location = /account/cancel {
        precancel_pass   /_precancel;
        precancel_field  subscription_id  $arg_sub;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel?sub=sub_3&utm=x
--- more_headers
Cookie: session=s3cr3t; csrf=abc
Authorization: Bearer browser-token
X-Forwarded-For: 203.0.113.9
User-Agent: Mozilla/5.0
Referer: https://app.example.com/account
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&subscription_id=sub_3&x-headers=none&x-query=none
--- no_error_log
[error]



=== TEST 2: the provider sees the signature headers and the JSON type
--- config
    location = /account/cancel {
        precancel_pass /_precancel;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/headers;
    }
    location = /headers {
        return 200 '{"valid":true,"message":"https://x.example.com/?ct=$http_content_type&pk=$http_signature_public_key&sig=$sig_shape&cl=$http_content_length&m=$request_method&ck=$http_cookie"}';
    }
--- http_config
    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;

    # the signature's shape, not the signature: a session URL holding the
    # request's own signature is refused (docs/failures.md, redaction)
    map $http_signature $sig_shape {
        "~^[0-9a-f]{128}$"  hex128;
        default             bad;
    }
--- request
GET /account/cancel
--- more_headers
Cookie: session=s3cr3t
--- error_code: 302
--- response_headers_like
Location: ^https://x\.example\.com/\?ct=application/json&pk=pk_test_1&sig=hex128&cl=\d+&m=POST&ck=$



=== TEST 3: an extra proxy_set_header in the user's location still works
--- config
    location = /account/cancel {
        precancel_pass /_precancel;
    }
    location = /_precancel {
        internal;
        proxy_set_header X-Edge precancel;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&x-headers=x-edge&x-query=none
