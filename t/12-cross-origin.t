# Cross-origin requests (docs/directives.md, "Cross-origin requests"): no
# provider call from a request another site caused, with the Fetch
# Metadata and Origin headers Chromium sends for each kind of request.
#
# Three flows: the Retention precancel and Billing's pre_cancel hosted
# page only open a provider's page; "keep my subscription"
# (remove_scheduled_cancellation) changes the subscription.  A block with
# "--- dead" points the provider locations at a port nothing listens on,
# so that any provider call shows as nginx's "connect() failed" line: the
# refusals must not have it, and a block allowed with the same set-up
# shows that they would.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup();

add_block_preprocessor(sub {
    my $block = shift;

    return if defined $block->config || defined $block->must_die;

    my $up = $block->dead ? "http://127.0.0.1:1"
                          : "http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT";
    my $extra = $block->cancel_config // "";

    $block->set_value("http_config", <<'_EOC_')
    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
    precancel_api_key_file      $TEST_NGINX_KEYS/billing1.key;
_EOC_
        unless defined $block->http_config;

    $block->set_value("config", <<"_EOC_");
    $extra
    add_header X-Status \$precancel_status always;
    add_header X-Error \$precancel_error always;

    location = /account/cancel {
        precancel_pass      /_precancel;
        precancel_fallback  /account/direct?r=\$precancel_status;
    }
    location = /_precancel {
        internal;
        proxy_connect_timeout 1s;
        proxy_pass $up/precancel;
    }

    location = /account/hosted-cancel {
        precancel_provider         chargebee_pre_cancel;
        precancel_pass             /_pre_cancel;
        precancel_subscription_id  sub_42;
        precancel_fallback         /account/direct?r=\$precancel_status;
    }
    location = /_pre_cancel {
        internal;
        proxy_connect_timeout 1s;
        proxy_pass $up/api/v2/hosted_pages/pre_cancel;
    }

    location = /account/keep {
        precancel_provider         chargebee_remove_scheduled_cancellation;
        precancel_pass             /_keep;
        precancel_subscription_id  sub_42;
        precancel_success          /account?kept=1;
        precancel_fallback         /account/direct?r=\$precancel_status;
    }
    location = /after { return 200 "after\n"; }

    location = /_keep {
        internal;
        proxy_connect_timeout 1s;
        proxy_pass $up/api/v2/subscriptions/sub_42/remove_scheduled_cancellation;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: Retention, a link on the site itself: same-origin navigation
--- request
GET /account/cancel
--- more_headers
Sec-Fetch-Site: same-origin
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
Sec-Fetch-User: ?1
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$
X-Status: ^redirected$



=== TEST 2: Retention, the site's own form POST
--- request
POST /account/cancel
confirm=1
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: http://localhost
Sec-Fetch-Site: same-origin
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
Sec-Fetch-User: ?1
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$



=== TEST 3: Retention, the site's own fetch()
--- request
POST /account/cancel
--- more_headers
Origin: http://localhost
Sec-Fetch-Site: same-origin
Sec-Fetch-Mode: cors
Sec-Fetch-Dest: empty
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$



=== TEST 4: Retention, a link in a mail program: Sec-Fetch-Site none
--- request
GET /account/cancel
--- more_headers
Sec-Fetch-Site: none
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
Sec-Fetch-User: ?1
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$



=== TEST 5: Retention, a link in webmail: a cross-site top-level navigation
--- request
GET /account/cancel
--- more_headers
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
Sec-Fetch-User: ?1
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$



=== TEST 6: Retention, a browser without Fetch Metadata, no Origin
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$



=== TEST 7: the dead provider shows a call as "connect() failed"
--- dead: 1
--- request
GET /account/cancel
--- more_headers
Sec-Fetch-Site: same-origin
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account/direct?r=upstream_failed
--- error_log
connect() failed



=== TEST 8: Retention, another site's form POST: 403, no call
--- dead: 1
--- request
POST /account/cancel
confirm=1
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://evil.example
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 403
--- response_headers
X-Status: cross_origin
X-Error: cross-origin request: Sec-Fetch-Site is not same-origin (Sec-Fetch-Site "cross-site", Sec-Fetch-Mode "navigate", Sec-Fetch-Dest "document", Origin "https://evil.example")
--- error_log
precancel refused: cross-origin request: Sec-Fetch-Site is not same-origin (Sec-Fetch-Site "cross-site", Sec-Fetch-Mode "navigate", Sec-Fetch-Dest "document", Origin "https://evil.example"), answering 403
--- no_error_log
connect() failed
[warn]



=== TEST 9: Retention, another site's <img>: 403, no call
--- dead: 1
--- request
GET /account/cancel
--- more_headers
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: no-cors
Sec-Fetch-Dest: image
--- error_code: 403
--- response_headers
X-Status: cross_origin
--- error_log
precancel refused: cross-origin request: a request from another site that is not a top-level navigation (Sec-Fetch-Site "cross-site", Sec-Fetch-Mode "no-cors", Sec-Fetch-Dest "image", Origin none), answering 403
--- no_error_log
connect() failed



=== TEST 10: Retention, another site's <iframe>: 403, no call
--- dead: 1
--- request
GET /account/cancel
--- more_headers
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: iframe
--- error_code: 403
--- response_headers
X-Status: cross_origin
--- no_error_log
connect() failed



=== TEST 11: Retention, another site's fetch(): 403, no call
--- dead: 1
--- request
GET /account/cancel
--- more_headers
Origin: https://evil.example
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: cors
Sec-Fetch-Dest: empty
--- error_code: 403
--- no_error_log
connect() failed



=== TEST 12: Retention, a sibling subdomain's form POST: 403 (same-site)
--- dead: 1
--- request
POST /account/cancel
--- more_headers
Origin: https://blog.localhost
Sec-Fetch-Site: same-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 403
--- no_error_log
connect() failed



=== TEST 13: Retention, no Fetch Metadata, a POST from another Origin: 403
--- dead: 1
--- request
POST /account/cancel
--- more_headers
Origin: https://evil.example
--- error_code: 403
--- response_headers
X-Error: cross-origin request: Origin does not match Host (Sec-Fetch-Site none, Sec-Fetch-Mode none, Sec-Fetch-Dest none, Origin "https://evil.example")
--- no_error_log
connect() failed



=== TEST 14: Retention, no Fetch Metadata, Origin "null" (a sandboxed page)
--- dead: 1
--- request
POST /account/cancel
--- more_headers
Origin: null
--- error_code: 403
--- no_error_log
connect() failed



=== TEST 15: Retention, no Fetch Metadata, Origin matching Host
--- request
POST /account/cancel
--- more_headers
Host: shop.example:8080
Origin: http://shop.example:8080
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$



=== TEST 16: hostile header values are quoted, control characters replaced
--- dead: 1
--- raw_request eval
"GET /account/cancel HTTP/1.1\r
Host: localhost\r
Sec-Fetch-Site: cross\x01site\" [crit] forged\r
Connection: close\r
\r
"
--- error_code: 403
--- error_log
precancel refused: cross-origin request: unknown Sec-Fetch-Site value (Sec-Fetch-Site "cross?site" [crit] forged"
--- no_error_log
connect() failed



=== TEST 17: a repeated Sec-Fetch-Site is refused
--- dead: 1
--- request
GET /account/cancel
--- more_headers
Sec-Fetch-Site: same-origin
Sec-Fetch-Site: cross-site
--- error_code: 403
--- error_log
precancel refused: cross-origin request: a repeated Origin or Sec-Fetch-* header
--- no_error_log
connect() failed



=== TEST 18: pre_cancel hosted page, the site's own link
--- request
GET /account/hosted-cancel
--- more_headers
Sec-Fetch-Site: same-origin
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 302
--- response_headers_like
Location: ^https://billing\.example\.com/pages/v3/\d+-\d+/$



=== TEST 19: pre_cancel hosted page, a link in webmail
--- request
GET /account/hosted-cancel
--- more_headers
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
Sec-Fetch-User: ?1
--- error_code: 302
--- response_headers_like
Location: ^https://billing\.example\.com/pages/v3/\d+-\d+/$



=== TEST 20: pre_cancel hosted page, another site's form POST: 403
--- dead: 1
--- request
POST /account/hosted-cancel
--- more_headers
Origin: https://evil.example
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 403
--- response_headers
X-Status: cross_origin
--- no_error_log
connect() failed



=== TEST 21: pre_cancel hosted page, another site's <img>: 403
--- dead: 1
--- request
GET /account/hosted-cancel
--- more_headers
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: no-cors
Sec-Fetch-Dest: image
--- error_code: 403
--- no_error_log
connect() failed



=== TEST 22: keep my subscription, the site's own form POST
--- request
POST /account/keep
--- more_headers
Origin: http://localhost
Sec-Fetch-Site: same-origin
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
Sec-Fetch-User: ?1
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account?kept=1
X-Status: redirected



=== TEST 23: keep my subscription, a GET (a link, an <img>): 405, no call
--- dead: 1
--- request
GET /account/keep
--- more_headers
Sec-Fetch-Site: same-origin
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 405
--- response_headers
Allow: POST
X-Status: method_not_allowed
X-Error: method GET is not in precancel_methods
--- error_log
precancel refused: method GET is not in precancel_methods, answering 405
--- no_error_log
connect() failed



=== TEST 24: keep my subscription, another site's auto-submitted form: 403
--- dead: 1
--- request
POST /account/keep
--- more_headers
Content-Type: application/x-www-form-urlencoded
Origin: https://evil.example
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 403
--- response_headers
X-Status: cross_origin
--- no_error_log
connect() failed



=== TEST 25: keep my subscription, a form POST from webmail's page: 403
--- dead: 1
--- request
POST /account/keep
--- more_headers
Origin: https://mail.example
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
Sec-Fetch-User: ?1
--- error_code: 403
--- no_error_log
connect() failed



=== TEST 26: keep my subscription allowed on GET: a cross-site link is still refused
--- dead: 1
--- cancel_config
precancel_methods GET POST;
--- request
GET /account/keep
--- more_headers
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
Sec-Fetch-User: ?1
--- error_code: 403
--- error_log
Sec-Fetch-Site is not same-origin
--- no_error_log
connect() failed



=== TEST 27: keep my subscription allowed on GET: a mail program's link works
--- cancel_config
precancel_methods GET POST;
--- request
GET /account/keep
--- more_headers
Sec-Fetch-Site: none
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account?kept=1



=== TEST 28: a trusted origin (the app on another subdomain) may POST
--- cancel_config
precancel_trusted_origins https://app.localhost http://other.example:8080;
--- request
POST /account/keep
--- more_headers
Origin: https://app.localhost
Sec-Fetch-Site: same-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 302
--- response_headers
Location: http://localhost:$ServerPort/account?kept=1



=== TEST 29: an origin not in the list is still refused
--- dead: 1
--- cancel_config
precancel_trusted_origins https://app.localhost;
--- request
POST /account/keep
--- more_headers
Origin: https://app.localhost:8443
Sec-Fetch-Site: same-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- error_code: 403
--- no_error_log
connect() failed



=== TEST 30: precancel_methods POST on a page flow: a link gets 405
--- dead: 1
--- cancel_config
precancel_methods POST;
--- request
GET /account/cancel
--- error_code: 405
--- response_headers
Allow: POST
--- no_error_log
connect() failed



=== TEST 31: the refused request's body is read and the connection goes on
--- dead: 1
--- more_headers
Origin: https://evil.example
Sec-Fetch-Site: cross-site
Sec-Fetch-Mode: navigate
Sec-Fetch-Dest: document
--- pipelined_requests eval
["POST /account/keep\nconfirm=yes", "GET /after", "POST /account/keep\nconfirm=yes"]
--- error_code eval
[403, 200, 403]
--- response_body eval
[qr/403 Forbidden/, "after\n", qr/403 Forbidden/]
--- no_error_log
connect() failed



=== TEST 32: precancel_methods with an unknown method
--- config
    location = /x { precancel_methods GET PUT; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid method "PUT" in "precancel_methods": expected GET or POST in \S+nginx\.conf:\d+/



=== TEST 33: precancel_methods with a repeated method
--- config
    location = /x { precancel_methods POST POST; }
--- must_die
--- error_log eval
qr/\[emerg\] .*method "POST" is repeated in "precancel_methods" in \S+nginx\.conf:\d+/



=== TEST 34: precancel_trusted_origins with a path
--- config
    location = /x { precancel_trusted_origins https://app.example.com/; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"https:\/\/app\.example\.com\/" in "precancel_trusted_origins" is not an origin: it is not scheme:\/\/host\[:port\] .* in \S+nginx\.conf:\d+/



=== TEST 35: precancel_trusted_origins with a wildcard
--- config
    location = /x { precancel_trusted_origins *; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"\*" in "precancel_trusted_origins" is not an origin: it does not start with "http:\/\/" or "https:\/\/" in \S+nginx\.conf:\d+/
