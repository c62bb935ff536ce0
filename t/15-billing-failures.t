# The fault matrix of t/08-transport-failures.t, run against the Chargebee Billing
# flows: a provider that is down, slow, resets, answers 4xx/5xx with and
# without the API's error body, garbage, a huge or deeply nested reply, a
# hosted_page.url that is javascript: or not https, compressed, dripping,
# or carrying X-Accel-Redirect.  Every row checks what the browser gets,
# $precancel_status / $precancel_error and the error-log line.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;
use URI::Escape ();

PrecancelTest::setup();

add_block_preprocessor(sub {
    my $block = shift;
    my $path = $block->billing // $block->keep;

    return unless defined $path;
    chomp $path;

    my $kind = defined $block->billing
               ? "chargebee_pre_cancel"
               : "chargebee_remove_scheduled_cancellation;\n"
                 . "        precancel_success /account?kept=1";
    my $cancel = $block->cancel_config // "";
    my $extra = $block->provider_config // "";
    my $timeout = $extra =~ /proxy_read_timeout/ ? ""
        : "proxy_read_timeout 2s;";

    $block->set_value("http_config", <<'_EOC_');
    precancel_api_key_file  $TEST_NGINX_KEYS/billing1.key;
_EOC_

    $block->set_value("config", <<"_EOC_");
    location = /account/cancel {
        precancel_provider         $kind;
        precancel_pass             /_billing;
        precancel_subscription_id  \$arg_sub;
        precancel_fallback         /account/direct?r=\$precancel_status;
        $cancel
        add_header X-Status \$precancel_status always;
        add_header X-Error \$precancel_error always;
    }
    location = /_billing {
        internal;
        proxy_connect_timeout 1s;
        $timeout
        $extra
        proxy_pass $path;
    }
    location /internal/ {
        internal;
        root /nonexistent-accel-target;
    }
_EOC_

    # "keep my subscription" takes POST only (precancel_methods)
    my $method = defined $block->keep ? "POST" : "GET";
    $block->set_value("request", "$method /account/cancel?sub=sub_42")
        unless defined $block->request;
});

# a stand-in URL answering status $code with $body (JSON by default)
sub status_url {
    my ($code, $body, $type) = @_;
    return "http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/fault/status?"
        . "code=$code&body=" . URI::Escape::uri_escape($body)
        . (defined $type ? "&type=" . URI::Escape::uri_escape($type) : "");
}

run_tests();

__DATA__

=== TEST 1: connection refused
--- billing
http://127.0.0.1:1/api/v2/hosted_pages/pre_cancel
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account/direct?r=upstream_failed
X-Error: provider request to "/_billing" failed with 502
--- error_log
connect() failed (111: Connection refused)
precancel failed: provider request to "/_billing" failed with 502, redirecting to fallback



=== TEST 2: accepts, then never answers (read timeout)
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/hang
--- provider_config
proxy_read_timeout 1s;
--- error_code: 302
--- response_headers
X-Status: upstream_timeout
X-Error: provider timed out



=== TEST 3: answers slowly but within the timeouts: success
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/slow?ms=500
--- error_code: 302
--- response_headers_like
Location: ^https://billing\.example\.com/pages/v3/\d+-\d+/$
X-Status: ^redirected$
--- no_error_log
[error]



=== TEST 4: closes in the middle of the body
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/close-mid-body
--- error_code: 302
--- response_headers
X-Status: upstream_failed
X-Error: provider connection failed while reading the reply



=== TEST 5: resets the connection
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/reset
--- error_code: 302
--- response_headers
X-Status: upstream_failed
X-Error: provider request to "/_billing" failed with 502



=== TEST 6: 500 with the API's error body
--- billing eval
main::status_url(500, '{"message":"Sorry, something went wrong","type":"api_error","api_error_code":"internal_error","param":null}')
--- error_code: 302
--- response_headers
X-Status: rejected
X-Error: provider answered 500 "internal_error": "Sorry, something went wrong"
--- error_log
precancel failed: provider answered 500 "internal_error": "Sorry, something went wrong", redirecting to fallback



=== TEST 7: 429 with the API's error body
--- billing eval
main::status_url(429, '{"message":"Sorry, access has been blocked temporarily due to request count exceeding acceptable limits.","type":"invalid_request","api_error_code":"api_request_limit_exceeded"}')
--- error_code: 302
--- response_headers
X-Status: rejected
X-Error: provider answered 429 "api_request_limit_exceeded": "Sorry, access has been blocked temporarily due to request count exceeding acceptable limits."



=== TEST 8: 503 without a JSON body
--- billing eval
main::status_url(503, '<html>Service Unavailable</html>', 'text/html')
--- error_code: 302
--- response_headers
X-Status: upstream_status
X-Error: provider answered 503



=== TEST 9: 400 whose JSON has no api_error_code
--- billing eval
main::status_url(400, '{"message":"bad"}')
--- error_code: 302
--- response_headers
X-Status: upstream_status
X-Error: provider answered 400



=== TEST 10: 200 with garbage
--- billing eval
main::status_url(200, 'garbage', 'text/plain')
--- error_code: 302
--- response_headers
X-Status: bad_reply
X-Error: provider reply is not valid JSON: unexpected character at byte 0



=== TEST 11: 200 with an empty body
--- billing eval
main::status_url(200, '')
--- error_code: 302
--- response_headers
X-Status: bad_reply
X-Error: provider reply is not valid JSON: empty reply at byte 0



=== TEST 12: 200 with JSON of another shape
--- billing eval
main::status_url(200, '{"hosted_page":{"id":"hp_1","url":42}}')
--- error_code: 302
--- response_headers
X-Status: bad_reply
X-Error: provider reply has no URL string in "hosted_page.url"



=== TEST 13: 200 with hosted_page.url twice
--- billing eval
main::status_url(200, '{"hosted_page":{"url":"https://a.example.com/","url":"https://b.example.com/"}}')
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is not valid JSON: duplicate member at byte \d+$



=== TEST 14: a huge reply (1 MB)
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/big?size=1000000
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is larger than subrequest_output_buffer_size \(\d+\)$



=== TEST 15: a deeply nested reply
--- billing eval
main::status_url(200, '{"hosted_page":' . ('[' x 100) . (']' x 100) . '}')
--- error_code: 302
--- response_headers_like
X-Status: ^bad_reply$
X-Error: ^provider reply is not valid JSON: nesting too deep at byte \d+$



=== TEST 16: hosted_page.url is javascript:
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/url?u=javascript%3Aalert(document.cookie)
--- error_code: 302
--- response_headers
X-Status: bad_url
X-Error: session URL rejected: not an absolute https URL



=== TEST 17: hosted_page.url is plain http
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/url?u=http%3A%2F%2Fbilling.example.com%2Fpages%2Fx
--- error_code: 302
--- response_headers
X-Status: bad_url
X-Error: session URL rejected: not an absolute https URL



=== TEST 18: hosted_page.url with CR LF
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/url?u=https%3A%2F%2Fa.example.com%2F%0D%0ASet-Cookie%3A%20x%3D1
--- error_code: 302
--- response_headers
X-Status: bad_url
X-Error: session URL rejected: URL contains whitespace, control or non-ASCII characters



=== TEST 19: a chunked reply
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/chunked
--- error_code: 302
--- response_headers_like
Location: ^https://billing\.example\.com/pages/v3/\d+-\d+/$



=== TEST 20: a gzip-compressed reply
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/gzip
--- error_code: 302
--- response_headers
X-Status: bad_reply
X-Error: provider reply has Content-Encoding "gzip"



=== TEST 21: a 301 from the provider is never followed
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/redirect
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account/direct?r=upstream_status
X-Error: provider answered 301



=== TEST 22: drips its reply: precancel_timeout cuts it short
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/drip?ms=250
--- cancel_config
precancel_timeout 1s;
--- timeout: 4
--- error_code: 302
--- response_headers
X-Status: deadline
X-Error: provider did not answer within precancel_timeout (1000 ms)
--- no_error_log
[alert]



=== TEST 23: X-Accel-Redirect in the reply: the target never runs
--- billing
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/accel?to=/internal/leak
--- error_code: 302
--- response_headers
X-Status: bad_reply
X-Error: provider reply redirected the subrequest internally to "/internal/leak"
--- no_error_log
nonexistent-accel-target



=== TEST 24: remove_scheduled_cancellation: 200 without a subscription object
--- keep eval
main::status_url(200, '{"customer":{"id":"c"}}')
--- error_code: 302
--- response_headers
X-Status: bad_reply
X-Error: provider reply has no "subscription" object
--- no_error_log
[alert]



=== TEST 25: remove_scheduled_cancellation: the provider hangs past precancel_timeout
--- keep
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/billing/fault/hang
--- cancel_config
precancel_timeout 500ms;
--- provider_config
proxy_read_timeout 30s;
--- timeout: 3
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account/direct?r=deadline
X-Error: provider did not answer within precancel_timeout (500 ms)



=== TEST 26: remove_scheduled_cancellation: 404 for an unknown subscription
--- keep eval
main::status_url(404, '{"message":"Sorry, we couldn\'t find that resource","type":"invalid_request","api_error_code":"resource_not_found"}')
--- error_code: 302
--- response_headers
X-Status: rejected
X-Error: provider answered 404 "resource_not_found": "Sorry, we couldn't find that resource"
