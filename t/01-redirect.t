# The main job: a cancel click answered with a 302 to the session URL of
# a precancel that the provider stand-in verified (behaviour 4).

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup();
run_tests();

__DATA__

=== TEST 1: a GET is answered with 302 to the stand-in's session URL
--- config
    location = /account/cancel {
        precancel_pass      /_precancel;
        precancel_field     subscription_id      sub_42;
        precancel_field     account.internal_id  acct_7;
        precancel_fallback  /account/cancel/direct;
        add_header X-Status $precancel_status always;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel;
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/[A-Za-z0-9_-]+$
Cache-Control: ^no-store$
X-Status: ^redirected$
--- no_error_log
[error]
[warn]



=== TEST 2: a POST starts the flow too, and its body is discarded
--- config
    location = /account/cancel {
        precancel_pass      /_precancel;
        precancel_field     subscription_id  sub_42;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
POST /account/cancel
subscription_id=evil&app_id=evil
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&subscription_id=sub_42&x-headers=none&x-query=none
Cache-Control: no-store
--- no_error_log
[error]



=== TEST 3: the session URL is taken from "url" when the reply has one
--- config
    location = /account/cancel {
        precancel_pass /_precancel;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake;
    }
    location = /fake {
        return 200 '{"valid": true, "message": "Session created", "url": "https://cancel.example.com/s/url"}';
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/s/url
--- no_error_log
[error]



=== TEST 4: JSON escapes in the reply are decoded
--- config
    location = /account/cancel {
        precancel_pass /_precancel;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/fake;
    }
    location = /fake {
        return 200 '{"message":"https:\/\/cancel.example.com\/s\/\u0041b%C3%A9","valid":true}';
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/s/Ab%C3%A9
--- no_error_log
[error]



=== TEST 5: a URL matching precancel_redirect_allow is followed
--- config
    location = /account/cancel {
        precancel_pass            /_precancel;
        precancel_redirect_allow  ^https://[a-z0-9-]+\.example\.com/;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel;
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/[A-Za-z0-9_-]+$
--- no_error_log
[error]



=== TEST 6: the configuration is inherited from server to location
--- http_config
--- config
    precancel_app_id            APP_SRV;
    precancel_public_key        pk_test_2;
    precancel_private_key_file  $TEST_NGINX_KEYS/test2.key;
    precancel_field             custom.plan  gold;

    location = /account/cancel {
        precancel_pass /_precancel;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_SRV&custom.plan=gold&x-headers=none&x-query=none
--- no_error_log
[error]



=== TEST 7: $precancel_duration: the provider round trip, in milliseconds
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=300
--- cancel_config
add_header X-Duration $precancel_duration always;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Duration: ^(3\d\d|[4-9]\d\d|1\d\d\d)$
X-Status: ^redirected$



=== TEST 8: $precancel_duration is empty where no call was made
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- cancel_config
add_header X-Duration "[$precancel_duration]" always;
--- request
PUT /account/cancel
--- error_code: 405
--- response_headers
X-Duration: []
