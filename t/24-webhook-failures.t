# Failures: each check that fails has its status, its answer (401, or
# webhook_verify_status) and one error line, and nothing of a secret, a
# computed MAC or the body reaches a response or any log line (the error
# log here is at debug level).  The variables, internal redirects and
# the composition with other access checks.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;

WebhookTest::setup();

our $BODY = '{"id":"evt_fail","customer":"cus_SECRETLESS_9f2","amount":990}';
our $SIG = WebhookTest::github(WebhookTest::secret("github"), $BODY);

# never in any log line: the secrets, the body; and for a request sent
# with a wrong signature, the right MAC, which nginx computes
our @HIDDEN = ('cus_SECRETLESS_9f2', PrecancelTest::secrets());
our @MAC = (substr($SIG, 7), substr($SIG, 7, 16), uc substr($SIG, 7, 16));

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("no_error_log", [@HIDDEN])
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: no signature header
--- webhook: github
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: missing
--- error_log
webhook verification failed (missing, scheme github): no "X-Hub-Signature-256" header,



=== TEST 2: two signature headers
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: $::SIG\nX-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed
--- error_log
more than one "X-Hub-Signature-256" header



=== TEST 3: a signature one hex digit short
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: " . substr($::SIG, 0, -1)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed
--- error_log
malformed "X-Hub-Signature-256" header: signature of the wrong length



=== TEST 4: a signature with a non-hex digit
--- webhook: github
--- more_headers eval
(my $s = $::SIG) =~ s/.$/g/;
"X-Hub-Signature-256: $s"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed
--- error_log
malformed "X-Hub-Signature-256" header: not a hex digit



=== TEST 5: a wrong secret: mismatch, and the right MAC is nowhere
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: " . WebhookTest::github("not-the-secret", $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch
--- response_body_unlike eval
join "|", map { quotemeta } @::HIDDEN, @::MAC
--- error_log
webhook verification failed (mismatch, scheme github): no secret matched the "X-Hub-Signature-256" header,
--- no_error_log eval
[@::HIDDEN, @::MAC]



=== TEST 6: the failure status is configurable
--- webhook: github
--- hook_config
webhook_verify_status 403;
--- request eval
"POST /hook\n$::BODY"
--- error_code: 403
--- response_headers
X-Verify: missing



=== TEST 7: the variables for a map and the access log
--- http_config
    map $webhook_verify_status $hook_ok {
        ok       yes;
        default  no;
    }
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret name=a;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
        add_header X-Ok $hook_ok;
        add_header X-Which $webhook_verify_secret;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Ok: yes
X-Which: 2



=== TEST 8: variables are empty where nothing is verified
--- config
    location = /plain {
        return 200 "[$webhook_verify_status][$webhook_verify_secret]\n";
    }
--- request
GET /plain
--- response_body
[][]



=== TEST 9: the outcome survives an internal redirect
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret name=gh;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=404;
        proxy_intercept_errors on;
        error_page 404 = /after;
    }
    location = /after {
        return 200 "[$webhook_verify_status][$webhook_verify_secret]\n";
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- response_body
[ok][gh]



=== TEST 10: a redirect into a location that verifies otherwise is refused
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/status?code=404;
        proxy_intercept_errors on;
        error_page 404 = /other;
    }
    location = /other {
        webhook_verify shopify;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-shopify.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- error_log
webhook verification failed (redirected, scheme shopify): the request body was verified for "webhook_verify github"



=== TEST 11: an error page after a failure is served
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
        error_page 401 = /denied;
    }
    location = /denied {
        return 401 "denied: $webhook_verify_status\n";
    }
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_body
denied: missing



=== TEST 12: satisfy any: an allowed address passes without a signature
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
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)



=== TEST 13: satisfy all: a verified webhook from a denied address is refused
--- config
    location = /hook {
        deny all;
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 403



=== TEST 14: the body goes on to the application once, unchanged, with a keepalive upstream
--- http_config
    upstream app {
        server 127.0.0.1:$TEST_NGINX_STANDIN_PORT;
        keepalive 4;
    }
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://app/echo;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY, "x-hub-signature-256" => $::SIG)
