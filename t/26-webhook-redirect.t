# The verdict survives internal redirects (try_files, error_page to a
# named location, rewrite ... last from there): a verified body goes on
# byte for byte without being read again, a refused one gets the
# configured status again (not 500), and a location that verifies with
# another configuration refuses a body it never checked.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;

WebhookTest::setup();

our $BODY = '{"id":"evt_redirect","type":"customer.subscription.deleted"}';
our $SIG = WebhookTest::github(WebhookTest::secret("github"), $BODY);
our $FORGED = WebhookTest::github("not-the-secret", $BODY);

# 100 KiB, spilled to a temporary file with client_body_buffer_size 1k
our $BIG = '{"events":[' . join(',', map { qq({"n":$_,"pad":"abcdefghij"}) }
                                  1 .. 3900) . ']}';
our $BIG_SIG = WebhookTest::github(WebhookTest::secret("github"), $BIG);

# the application, reached only through a redirect
our $APP = <<"_EOC_";
    location \@app {
        add_header X-Verify \$webhook_verify_status always;
        add_header X-Secret \$webhook_verify_secret always;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT};
    }
_EOC_

run_tests();

__DATA__

=== TEST 1: server-level webhook_verify, try_files to a named location: passed on
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret name=gh;
    location /webhooks/ {
        try_files \$uri \@app;
    }
$::APP"
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /webhooks/github\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok
X-Secret: gh
--- no_error_log
[error]



=== TEST 2: the same with a body in a temporary file: not read again
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret;
    client_body_buffer_size 1k;
    location /webhooks/ {
        try_files \$uri \@app;
    }
$::APP"
--- more_headers eval
"X-Hub-Signature-256: $::BIG_SIG"
--- request eval
"POST /webhooks/github\n$::BIG"
--- response_body_like eval
WebhookTest::echo_re($::BIG)
--- response_headers
X-Verify: ok
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[error]



=== TEST 3: try_files with a forged webhook: the configured status
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret;
    webhook_verify_status 403;
    location /webhooks/ {
        try_files \$uri \@app;
    }
$::APP"
--- more_headers eval
"X-Hub-Signature-256: $::FORGED"
--- request eval
"POST /webhooks/github\n$::BODY"
--- error_code: 403
--- response_body_unlike
method POST
--- error_log
webhook verification failed (mismatch, scheme github)



=== TEST 4: an upstream error with error_page to a named location: passed on again
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret name=gh;
    location = /webhooks/github {
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/fault/status?code=503;
        proxy_intercept_errors on;
        error_page 503 = \@app;
    }
$::APP"
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /webhooks/github\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok
X-Secret: gh
--- no_error_log
[error]



=== TEST 5: the same with a body in a temporary file, sent twice from it
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret;
    client_body_buffer_size 1k;
    location = /webhooks/github {
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/fault/status?code=503;
        proxy_intercept_errors on;
        error_page 503 = \@app;
    }
$::APP"
--- more_headers eval
"X-Hub-Signature-256: $::BIG_SIG"
--- request eval
"POST /webhooks/github\n$::BIG"
--- response_body_like eval
WebhookTest::echo_re($::BIG)
--- response_headers
X-Verify: ok
--- no_error_log
[error]



=== TEST 6: a forged webhook, error_page 401 to a named location that verifies too
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret;
    location = /webhooks/github {
        error_page 401 = \@app;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/echo;
    }
$::APP"
--- more_headers eval
"X-Hub-Signature-256: $::FORGED"
--- request eval
"POST /webhooks/github\n$::BODY"
--- error_code: 401
--- response_body_unlike
method POST
--- error_log
webhook verification failed (mismatch, scheme github)
--- no_error_log
[alert]



=== TEST 7: no signature, error_page 401 to a named location that verifies too
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret;
    location = /webhooks/github {
        error_page 401 = \@app;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/echo;
    }
$::APP"
--- request eval
"POST /webhooks/github\n$::BODY"
--- error_code: 401
--- response_body_unlike
method POST
--- error_log
webhook verification failed (missing, scheme github)



=== TEST 8: each location answers a refusal with its own webhook_verify_status
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret;
    location = /webhooks/github {
        error_page 401 = \@app;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/echo;
    }
    location \@app {
        webhook_verify_status 403;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT};
    }"
--- more_headers eval
"X-Hub-Signature-256: $::FORGED"
--- request eval
"POST /webhooks/github\n$::BODY"
--- error_code: 403
--- response_body_unlike
method POST



=== TEST 9: rewrite ... last from a named location, after verification
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret;
    location = /webhooks/github {
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/fault/status?code=503;
        proxy_intercept_errors on;
        error_page 503 = \@again;
    }
    location \@again {
        rewrite ^ /app last;
    }
    location = /app {
        add_header X-Verify \$webhook_verify_status always;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/echo;
    }"
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /webhooks/github\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok



=== TEST 10: redirected into a location with its own copy of the same configuration
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=404;
        proxy_intercept_errors on;
        error_page 404 = @copy;
    }
    location @copy {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- no_error_log
[error]



=== TEST 11: redirected into a location with another scheme: refused, not verified
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=404;
        proxy_intercept_errors on;
        error_page 404 = @shopify;
    }
    location @shopify {
        webhook_verify shopify;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-shopify.secret;
        add_header X-Verify $webhook_verify_status always;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: redirected
--- response_body_unlike
method POST
--- error_log eval
qr/webhook verification failed \(redirected, scheme shopify\): the request body was verified for "webhook_verify github" in \S+nginx\.conf:\d+, not for this location\b/



=== TEST 12: redirected into a location with other secrets: refused
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=404;
        proxy_intercept_errors on;
        error_page 404 = @other;
    }
    location @other {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github-docs.secret;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_body_unlike
method POST
--- error_log
webhook verification failed (redirected, scheme github)



=== TEST 13: redirected into a location without webhook_verify: the configuration's choice
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=404;
        proxy_intercept_errors on;
        error_page 404 = @open;
    }
    location @open {
        add_header X-Verify $webhook_verify_status always;
        rewrite ^ /echo break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok



=== TEST 14: a chunked body over client_max_body_size, error_page 413 to a verifying location
--- config eval
"    webhook_verify github;
    webhook_verify_secret_file $ENV{TEST_NGINX_KEYS}/webhook-github.secret;
    location = /webhooks/github {
        client_max_body_size 1k;
        error_page 413 = \@app;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/echo;
    }
$::APP"
--- raw_request eval
"POST /webhooks/github HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Transfer-Encoding: chunked\r\nX-Hub-Signature-256: $::BIG_SIG\r\n\r\n"
. WebhookTest::chunked($::BIG, 1000)
--- error_code: 401
--- response_headers
X-Verify: incomplete
--- response_body_unlike
method POST
--- error_log
client intended to send too large chunked body
--- timeout: 5
