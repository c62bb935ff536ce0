# Chargebee Billing at the edge: the pre_cancel hosted page and "keep my
# subscription" (remove_scheduled_cancellation), against the stand-in's
# Billing routes, which check HTTP Basic with the site API key, decode the
# form body with URI's form parser, and check the idempotency and
# request-origin headers independently of the module's C code.
# /billing/inspect answers with an error whose message describes what the
# call carried: "inspect FORM h:CHARGEBEE-HEADERS x:OTHER-HEADER-NAMES".

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;
use MIME::Base64 ();

PrecancelTest::setup();

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_')
    precancel_api_key_file  $TEST_NGINX_KEYS/billing1.key;
_EOC_
        unless defined $block->http_config;

    # --- billing PATH [| ACTION]: a cancel location for the stand-in's
    # PATH, with --- cancel_config lines; --- keep PATH: the same for
    # remove_scheduled_cancellation (the id from ?sub=)
    my ($kind, $path);
    if (defined $block->billing) {
        ($kind, $path) = ('chargebee_pre_cancel', $block->billing);
    } elsif (defined $block->keep) {
        ($kind, $path) = ('chargebee_remove_scheduled_cancellation',
                          $block->keep);
    } else {
        return;
    }
    chomp $path;
    my $cancel = $block->cancel_config // "";
    my $extra = $block->provider_config // "";
    my $success = $kind =~ /remove/ ? "precancel_success /account?kept=1;"
                                    : "";
    my $id = $block->subscription_id // '$arg_sub';
    chomp $id;

    $block->set_value("config", <<"_EOC_" . ($block->config // ""));
    location ~ (?s)^/account/(?:cancel|keep)(?:/(.*))?\$ {
        precancel_provider         $kind;
        precancel_pass             /_billing;
        precancel_subscription_id  $id;
        precancel_fallback         /account/direct?r=\$precancel_status;
        $success
        $cancel
        add_header X-Status \$precancel_status always;
        add_header X-Error \$precancel_error always;
    }
    location = /_billing {
        internal;
        proxy_read_timeout 2s;
        $extra
        proxy_pass http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT$path;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: the pre_cancel hosted page: 302 to hosted_page.url
--- billing
/api/v2/hosted_pages/pre_cancel
--- cancel_config
precancel_redirect_allow ^https://billing\.example\.com/pages/v3/;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers_like
Location: ^https://billing\.example\.com/pages/v3/\d+-\d+/$
Cache-Control: ^no-store$
X-Status: ^redirected$
--- no_error_log
[error]
[warn]



=== TEST 2: a POST with the browser's cookie, credentials and body: none reaches the provider
--- billing
/api/v2/hosted_pages/pre_cancel
--- request
POST /account/cancel?sub=sub_42
subscription[id]=evil
--- more_headers
Cookie: session=browser-secret
Authorization: Basic dXNlcjpwYXNz
User-Agent: a browser
Referer: https://app.example.com/account
--- error_code: 302
--- response_headers_like
Location: ^https://billing\.example\.com/pages/v3/\d+-\d+/$
--- no_error_log
[error]



=== TEST 3: what the hosted page call carries: the form, Basic, idempotency (the click id), origin IP
--- billing
/billing/inspect
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers_like
X-Status: ^rejected$
X-Error: ^provider answered 400 "stand_in_inspect": "inspect subscription%5Bid%5D=sub_42 h:chargebee-idempotency-key=[0-9a-f]{32},chargebee-request-origin-ip=127\.0\.0\.1 x:none"$



=== TEST 4: parameters in order, percent-encoded, empty ones left out
--- billing
/billing/inspect
--- cancel_config
precancel_param redirect_url "https://app.example.com/done?x=1 2&y";
precancel_param pass_thru_content "{\"custom\":{\"plan\":\"pro\"}}";
precancel_param cancel_url $arg_none;
precancel_idempotency_key k;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers
X-Error: provider answered 400 "stand_in_inspect": "inspect subscription%5Bid%5D=sub_42&redirect_url=https%3A%2F%2Fapp.example.com%2Fdone%3Fx%3D1%202%26y&pass_thru_content=%7B%22custom%22%3A%7B%22plan%22%3A%22pro%22%7D%7D h:chargebee-idempotency-key=k,chargebee-request-origin-ip=127.0.0.1 x:none"



=== TEST 5: origin and business entity headers, a configured idempotency key
--- billing
/billing/inspect
--- cancel_config
precancel_origin_ip        203.0.113.9;
precancel_origin_user      user@example.com;
precancel_origin_device    Android;
precancel_business_entity  be_eu;
precancel_idempotency_key  click-$arg_sub;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers
X-Error: provider answered 400 "stand_in_inspect": "inspect subscription%5Bid%5D=sub_42 h:chargebee-business-entity-id=be_eu,chargebee-idempotency-key=click-sub_42,chargebee-request-origin-device=Android,chargebee-request-origin-ip=203.0.113.9,chargebee-request-origin-user=user@example.com x:none"



=== TEST 6: the event switches
--- billing
/billing/inspect
--- cancel_config
precancel_origin_ip        "";
precancel_idempotency_key  k;
precancel_events_disabled  actions email webhook;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers
X-Error: provider answered 400 "stand_in_inspect": "inspect subscription%5Bid%5D=sub_42 h:chargebee-event-actions=all-disabled,chargebee-event-email=all-disabled,chargebee-event-webhook=all-disabled,chargebee-idempotency-key=k x:none"



=== TEST 7: a user address that is not ASCII goes Base64-encoded
--- billing
/billing/inspect
--- cancel_config
set $user "jörg@example.com";
precancel_origin_user $user;
precancel_origin_ip "";
precancel_idempotency_key k;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers eval
"X-Error: provider answered 400 \"stand_in_inspect\": \"inspect subscription%5Bid%5D=sub_42 h:chargebee-idempotency-key=k,chargebee-request-origin-user-encoded="
. MIME::Base64::encode_base64("j\xc3\xb6rg\@example.com", "") . " x:none\""



=== TEST 8: a header value with CR LF is refused before any request
--- billing
/api/v2/hosted_pages/pre_cancel
--- cancel_config
set $dev "web\r\nX-Injected: 1";
precancel_origin_device $dev;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account/direct?r=bad_field
X-Error: header "chargebee-request-origin-device" value is not printable ASCII
--- error_log
precancel failed: header "chargebee-request-origin-device" value is not printable ASCII, redirecting to fallback
--- no_error_log
precancel subrequest



=== TEST 9: a parameter that is not UTF-8 is refused before any request
--- billing
/api/v2/hosted_pages/pre_cancel
--- cancel_config
precancel_param pass_thru_content $uri;
--- request
GET /account/cancel/%FF?sub=sub_42
--- error_code: 302
--- response_headers
X-Status: bad_field
X-Error: parameter "pass_thru_content" is not valid UTF-8
--- no_error_log
precancel subrequest



=== TEST 10: the wrong API key: the provider's 401 gives the fallback
--- http_config
    precancel_api_key_file  $TEST_NGINX_KEYS/test2.key;
--- billing
/api/v2/hosted_pages/pre_cancel
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers
X-Status: rejected
X-Error: provider answered 401 "api_authentication_failed": "Sorry, authentication failed. Invalid api key"
--- error_log
precancel failed: provider answered 401 "api_authentication_failed"



=== TEST 11: an empty idempotency key leaves the header out (the stand-in refuses that)
--- billing
/api/v2/hosted_pages/pre_cancel
--- cancel_config
precancel_idempotency_key $arg_none;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers
X-Error: provider answered 400 "invalid_request": "chargebee-idempotency-key is missing"



=== TEST 12: the default idempotency key is the click's $precancel_click_id
The key the stand-in received is the variable's value in the same request
(a back-reference in a map compares them); the id is 32 hex digits.
--- billing
/billing/inspect
--- http_config
precancel_api_key_file  $TEST_NGINX_KEYS/billing1.key;
map "$precancel_click_id $precancel_error" $precancel_same_key {
    "~^([0-9a-f]{32}) .*chargebee-idempotency-key=\1,"  yes;
    default                                             no;
}
--- cancel_config
add_header X-Id $precancel_click_id always;
add_header X-Same $precancel_same_key always;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers_like
X-Error: .*chargebee-idempotency-key=[0-9a-f]{32},.*
X-Id: ^[0-9a-f]{32}$
X-Same: ^yes$



=== TEST 13: $precancel_click_id works in any location, for log lines too
Its uniqueness (a counter from a random start) is t/unit/test_codec.c's.
--- config
location = /id {
    return 200 "$precancel_click_id\n";
}
--- pipelined_requests eval
["GET /id", "GET /id"]
--- response_body_like eval
[qr/^[0-9a-f]{32}\n\z/, qr/^[0-9a-f]{32}\n\z/]



=== TEST 14: remove_scheduled_cancellation: 302 to precancel_success
--- keep
/api/v2/subscriptions/$precancel_subscription_id/remove_scheduled_cancellation
--- cancel_config
precancel_param billing_cycles 2;
add_header X-Sub $precancel_subscription_id always;
--- request
POST /account/keep?sub=sub_42
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account?kept=1
X-Status: redirected
X-Sub: sub_42
--- no_error_log
[error]



=== TEST 15: remove_scheduled_cancellation with no parameter: an empty body
--- needs: debug
--- keep
/api/v2/subscriptions/$precancel_subscription_id/remove_scheduled_cancellation
--- request
POST /account/keep?sub=sub_43
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account?kept=1
X-Status: redirected
--- error_log eval
qr{precancel subrequest "/_billing", precancel body: \s*$}
--- no_error_log
[alert]
[error]



=== TEST 16: remove_scheduled_cancellation with no cancellation scheduled
--- keep
/api/v2/subscriptions/$precancel_subscription_id/remove_scheduled_cancellation
--- request
POST /account/keep?sub=sub_noschedule_7
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account/direct?r=rejected
X-Error: provider answered 400 "invalid_state_for_request": "There is no scheduled cancellation for this subscription"
--- error_log
precancel failed: provider answered 400 "invalid_state_for_request": "There is no scheduled cancellation for this subscription", redirecting to fallback



=== TEST 17: remove_scheduled_cancellation with a billing_cycles the API refuses
--- keep
/api/v2/subscriptions/$precancel_subscription_id/remove_scheduled_cancellation
--- cancel_config
precancel_param billing_cycles many;
--- request
POST /account/keep?sub=sub_42
--- error_code: 302
--- response_headers
X-Error: provider answered 400 "param_wrong_value": "billing_cycles : invalid number"



=== TEST 18: path injection through a raw argument: refused before any request
--- keep
/api/v2/subscriptions/$precancel_subscription_id/remove_scheduled_cancellation
--- request eval
[map { "POST /account/keep?sub=$_" }
 "..", "a/b", "../../customers/cust_1", ".", "sub%2F..", "sub?x=1", "",
 "sub;x", "sub:x", "x" x 51]
--- error_code eval
[(302) x 10]
--- response_headers_like eval
[("X-Status: ^bad_field\$") x 10]
--- no_error_log
precancel subrequest



=== TEST 19: path injection through a decoded path: refused before any request
--- keep
/api/v2/subscriptions/$precancel_subscription_id/remove_scheduled_cancellation
--- subscription_id
$1
--- request eval
[map { "POST /account/keep/$_" }
 "a%2Fb", "sub%3Fx=1", "sub%23x", "sub%0D%0AX:1", "sub%20x", "sub%25",
 "sub%C3%A9", "sub%09"]
--- error_code eval
[(302) x 8]
--- response_headers_like eval
[("X-Status: ^bad_field\$") x 8]
--- no_error_log
precancel subrequest



=== TEST 20: the longest id Chargebee has (50) goes through
--- keep
/api/v2/subscriptions/$precancel_subscription_id/remove_scheduled_cancellation
--- subscription_id
$1
--- request eval
"POST /account/keep/" . ("A" x 25) . ("-_" x 12) . "z"
--- error_code: 302
--- response_headers
X-Status: redirected



=== TEST 21: hosted_page.url must be an absolute https URL
--- billing
/billing/fault/url?u=javascript:alert(1)
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers
X-Status: bad_url
X-Error: session URL rejected: not an absolute https URL



=== TEST 22: hosted_page.url must match precancel_redirect_allow
--- billing
/api/v2/hosted_pages/pre_cancel
--- cancel_config
precancel_redirect_allow ^https://[a-z0-9-]+\.chargebee\.com/;
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL "https://billing\.example\.com/pages/v3/\d+-\d+/" does not match precancel_redirect_allow$



=== TEST 23: the API key is in no debug line: the proxy's header dump is paused
--- needs: debug
--- billing
/api/v2/hosted_pages/pre_cancel
--- request
GET /account/cancel?sub=sub_42
--- error_code: 302
--- error_log
precancel subrequest "/_billing", precancel body: subscription%5Bid%5D=sub_42
precancel subrequest done rc:0 status:200
--- no_error_log
http proxy header
Authorization
