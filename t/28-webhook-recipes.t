# The recipes and warnings of docs/webhook.md, each as it behaves: the
# exact-match location that lets near-miss paths reach a lenient
# application router, and the recipe that closes it; error_page 401 to
# a named location that does not verify; subrequests, which are not
# verified; satisfy any with allow.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;

WebhookTest::setup();
no_root_location();

our $BODY = '{"id":"evt_recipe","type":"customer.subscription.deleted"}';
our $T = $WebhookTest::NOW;
our $SIG = "t=$T,v1="
           . WebhookTest::stripe(WebhookTest::secret("stripe"), $T, $BODY);

# the docs' recipe: exact locations verify, everything else under
# /webhooks (any case) is answered 404, and "location /" is the
# application with a router that takes /webhooks/stripe/ and the like
our $RECIPE = <<"_EOC_";
    location ~* ^/webhooks {
        return 404;
    }
    location = /webhooks/stripe {
        webhook_verify             stripe;
        webhook_verify_secret_file $PrecancelTest::KEYS/webhook-stripe.secret;
        add_header X-Verify \$webhook_verify_status always;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT};
    }
    location / {
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT};
    }
_EOC_

# the exact location alone, as the provider recipes show it
our $EXACT = $RECIPE =~ s/\A    location ~\* \^\/webhooks \{.*?\n    \}\n//sr;

run_tests();

__DATA__

=== TEST 1: the exact location alone: /webhooks/stripe/ reaches the application unverified
--- config eval
$::EXACT
--- request eval
"POST /webhooks/stripe/\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)



=== TEST 2: the recipe: /webhooks/stripe/ gets 404
--- config eval
$::RECIPE
--- request eval
"POST /webhooks/stripe/\n$::BODY"
--- error_code: 404
--- response_body_unlike
method POST



=== TEST 3: the recipe: /Webhooks/Stripe gets 404
--- config eval
$::RECIPE
--- request eval
"POST /Webhooks/Stripe\n$::BODY"
--- error_code: 404
--- response_body_unlike
method POST



=== TEST 4: the recipe: /webhooks/stripe;x gets 404
--- config eval
$::RECIPE
--- request eval
"POST /webhooks/stripe;x\n$::BODY"
--- error_code: 404
--- response_body_unlike
method POST



=== TEST 5: the recipe: /webhooks/stripe%2F gets 404
--- config eval
$::RECIPE
--- request eval
"POST /webhooks/stripe%2F\n$::BODY"
--- error_code: 404
--- response_body_unlike
method POST



=== TEST 6: the recipe: paths that nginx normalises to /webhooks/stripe are verified
--- config eval
$::RECIPE
--- pipelined_requests eval
["POST //webhooks/stripe\n$::BODY", "POST /%77ebhooks/./stripe\n$::BODY"]
--- error_code eval
[401, 401]
--- response_body_like eval
[qr/401 Authorization Required/, qr/401 Authorization Required/]



=== TEST 7: the recipe: a signed webhook on the exact path goes on
--- config eval
$::RECIPE
--- more_headers eval
"Stripe-Signature: $::SIG"
--- request eval
"POST /webhooks/stripe\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok



=== TEST 8: error_page 401 = @named without webhook_verify forwards the forged body
--- config
    location = /webhooks/stripe {
        webhook_verify             stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
        error_page 401 = @fallback;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
    location @fallback {
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- more_headers eval
"Stripe-Signature: t=$::T,v1=" . ("0" x 64)
--- request eval
"POST /webhooks/stripe\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- error_log
webhook verification failed (mismatch, scheme stripe)



=== TEST 9: the same named location verifying too: refused
--- config
    location = /webhooks/stripe {
        webhook_verify             stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
        error_page 401 = @fallback;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
    location @fallback {
        webhook_verify             stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- more_headers eval
"Stripe-Signature: t=$::T,v1=" . ("0" x 64)
--- request eval
"POST /webhooks/stripe\n$::BODY"
--- error_code: 401
--- response_body_unlike
method POST



=== TEST 10: a subrequest is not verified: auth_request into a verifying location passes
--- needs: auth_request
--- config
    location = /webhooks/stripe {
        webhook_verify             stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
    location = /page {
        auth_request /webhooks/stripe;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- request
GET /page
--- response_body_like eval
qr/\Amethod GET\nlength 0\n/
--- no_error_log
webhook verification failed



=== TEST 11: a server-level satisfy any with allow lets an unsigned webhook through
--- config
    satisfy any;
    allow 127.0.0.1;
    deny all;
    location = /webhooks/stripe {
        webhook_verify             stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
--- request eval
"POST /webhooks/stripe\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)



=== TEST 12: satisfy all in the webhook location puts the signature back
--- config
    satisfy any;
    allow 127.0.0.1;
    deny all;
    location = /webhooks/stripe {
        satisfy all;
        webhook_verify             stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
--- request eval
"POST /webhooks/stripe\n$::BODY"
--- error_code: 401
--- response_body_unlike
method POST



=== TEST 13: one provider: a prefix location verifies the slash, ";" and "%2F" forms
--- config
    location /webhooks/stripe {
        webhook_verify             stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
    location / {
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- pipelined_requests eval
["POST /webhooks/stripe/\n$::BODY", "POST /webhooks/stripe;x\n$::BODY",
 "POST /webhooks/stripe%2F\n$::BODY", "POST /Webhooks/Stripe\n$::BODY"]
--- error_code eval
[401, 401, 401, 200]
--- response_body_like eval
[qr/401 Authorization Required/, qr/401 Authorization Required/,
 qr/401 Authorization Required/, qr/\Amethod POST\n/]
