# The private key is never in a response, an error page or a log line at
# any level, debug included, whatever happens (behaviour 7).  The error
# log of these tests is written at debug level.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup();

# every test key, and a piece of each: none may show anywhere (the
# response headers and body are checked for every block by PrecancelTest)
our @Secrets = PrecancelTest::secrets();

add_block_preprocessor(sub {
    my $block = shift;

    return unless defined $block->provider;

    $block->set_value("no_fallback", 1);
    $block->set_value("cancel_config",
                      'precancel_field subscription_id $http_x_sub;');

    $block->set_value("no_error_log", [@Secrets]);
});

run_tests();

__DATA__

=== TEST 1: a successful precancel
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^redirected$



=== TEST 2: a rejected signature (the 502 error page)
--- config
    precancel_private_key_file $TEST_NGINX_KEYS/test2.key;
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- request
GET /account/cancel
--- error_code: 502
--- response_headers_like
X-Error: ^provider answered 400: "Invalid Signature"$



=== TEST 3: a provider that echoes what it got back into its error
--- provider
http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo
--- config
    location = /echo {
        return 400 '{"valid":false,"message":"sig=$http_signature pk=$http_signature_public_key"}';
    }
--- request
GET /account/cancel
--- error_code: 502



=== TEST 4: a hostile field value
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- more_headers
X-Sub: $private_key ${key} %s %n
--- request
GET /account/cancel
--- error_code: 302
