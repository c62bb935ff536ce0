# Method: providers sign the body only, so a captured webhook could be
# replayed as PUT or DELETE to the same location.  Only POST is verified
# and passed by default; any other method gets 405 with Allow, one error
# line and $webhook_verify_status "method", without its body being read
# for verification or the application being called.
# webhook_verify_methods allows others.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;

WebhookTest::setup();

our $BODY = '{"id":"evt_method","type":"customer.subscription.deleted"}';
our $SIG = WebhookTest::github(WebhookTest::secret("github"), $BODY);

run_tests();

__DATA__

=== TEST 1: a correctly signed webhook replayed as PUT: 405, the application not called
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"PUT /hook\n$::BODY"
--- error_code: 405
--- response_headers
Allow: POST
X-Verify: method
--- response_body_unlike
method PUT
--- error_log
webhook verification failed (method, scheme github): the method PUT is not in "webhook_verify_methods",
--- no_error_log
webhook verify body filter
http init upstream



=== TEST 2: replayed as DELETE
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"DELETE /hook\n$::BODY"
--- error_code: 405
--- response_headers
Allow: POST
X-Verify: method
--- error_log
the method DELETE is not in "webhook_verify_methods"
--- no_error_log
http init upstream



=== TEST 3: GET is refused too
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: " . WebhookTest::github(WebhookTest::secret("github"), "")
--- request
GET /hook
--- error_code: 405
--- response_headers
Allow: POST
--- no_error_log
http init upstream



=== TEST 4: POST still verifies and passes
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok
!Allow



=== TEST 5: the method is refused before the signature is looked at
--- webhook: github
--- request eval
"PATCH /hook\n$::BODY"
--- error_code: 405
--- response_headers
X-Verify: method
--- no_error_log
no "X-Hub-Signature-256" header



=== TEST 6: webhook_verify_methods POST PUT: a signed PUT passes
--- webhook: github
--- hook_config
webhook_verify_methods POST PUT;
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"PUT /hook\n$::BODY"
--- response_body_like eval
qr/\Amethod PUT\nlength ${\ length $::BODY}\n/
--- response_headers
X-Verify: ok



=== TEST 7: webhook_verify_methods POST PUT: a forged PUT is refused as any other
--- webhook: github
--- hook_config
webhook_verify_methods POST PUT;
--- more_headers eval
"X-Hub-Signature-256: " . WebhookTest::github("not-the-secret", $::BODY)
--- request eval
"PUT /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 8: webhook_verify_methods POST PUT: DELETE gets 405 with both in Allow
--- webhook: github
--- hook_config
webhook_verify_methods PUT POST;
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"DELETE /hook\n$::BODY"
--- error_code: 405
--- response_headers
Allow: POST, PUT



=== TEST 9: inherited from the server level
--- config
    webhook_verify_methods PUT;
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 405
--- response_headers
Allow: PUT



=== TEST 10: an unknown method fails nginx -t, naming the directive, file and line
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        webhook_verify_methods POST FETCH;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown method "FETCH" in "webhook_verify_methods" \(known: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\) in \S+nginx\.conf:\d+/



=== TEST 11: methods are case-sensitive
--- config
    webhook_verify_methods post;
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown method "post" in "webhook_verify_methods"/



=== TEST 12: given twice at one level
--- config
    webhook_verify_methods POST;
    webhook_verify_methods PUT;
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_methods" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 13: a large body with a refused method is not read for verification
--- webhook: github
--- hook_config
client_body_buffer_size 1k;
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"PUT /hook\n" . ("x" x 200000)
--- error_code: 405
--- no_error_log
a client request body is buffered to a temporary file
webhook verify body filter



=== TEST 14: an error_page for 405 into a named location that verifies too: 405 again, one Allow
--- config
    webhook_verify github;
    webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
    location = /hook {
        error_page 405 = @app;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
    location @app {
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"PUT /hook\n$::BODY"
--- error_code: 405
--- raw_response_headers_like eval
qr/\r\nAllow: POST\r\n(?!.*\r\nAllow:)/s
--- response_body_unlike
method PUT



=== TEST 15: satisfy any does not lift the method check
--- config
    location = /hook {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
--- request eval
"DELETE /hook\n$::BODY"
--- error_code: 405
--- response_body_unlike
method DELETE
