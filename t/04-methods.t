# Which browser requests start the flow: GET and POST; every other method
# gets 405 with an Allow header and no precancel is made (behaviour 1).

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("config", <<'_EOC_') unless defined $block->config;
    location = /account/cancel {
        precancel_pass      /_precancel;
        precancel_fallback  /account/cancel/direct;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: GET
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/[A-Za-z0-9_-]+$



=== TEST 2: POST with a form body
--- request
POST /account/cancel
confirm=yes
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/[A-Za-z0-9_-]+$



=== TEST 3: PUT is not allowed
--- request
PUT /account/cancel
x
--- error_code: 405
--- response_headers
Allow: GET, POST
--- no_error_log
precancel subrequest



=== TEST 4: DELETE is not allowed
--- request
DELETE /account/cancel
--- error_code: 405
--- response_headers
Allow: GET, POST
--- no_error_log
precancel subrequest



=== TEST 5: HEAD is not allowed: a link prefetcher must not start a session
--- request
HEAD /account/cancel
--- error_code: 405
--- response_headers
Allow: GET, POST
--- no_error_log
precancel subrequest
