# The browser's connection stays sane after every answer: its body is read
# to its end and dropped (never parsed as a next request), keepalive and
# pipelined requests go on as after a plain "return", and the module
# composes with mirror, SSI, auth_request, error_page and X-Accel-Redirect
# without leaving a connection behind.
#
# Whether the request after a body ran is read off a [notice] its
# location writes (rewrite_log), so that no debug log is needed; the
# request that must never run has a location of its own whose "root"
# does not exist, so were it run an [error] would name it.  Blocks that
# use mirror, SSI, auth_request or stub_status skip, saying so, with an
# nginx built without them (--- needs).

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup();

# a body made to smuggle a request: CRLFs (which nginx skips before a
# request line) around a complete second request, ending in a byte that
# is not white space, so that no runner trims it
sub smuggle {
    my ($n) = @_;
    return "x=" . ("\r\n" x $n)
        . "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"
        . ("\r\n" x $n) . "y";
}

# 800 KB, as in the report; the runners trim white space around a
# "--- request" body in quadratic time, so those use a short one
our $SMUGGLE = smuggle(200000);
our $SHORT = smuggle(2000);

# a keepalive POST of $body to $uri, then "GET /last", which closes
sub post_then_last {
    my ($uri, $body, %o) = @_;
    my $head = "POST $uri HTTP/1.1\r\nHost: localhost\r\n"
        . ($o{chunked} ? "Transfer-Encoding: chunked\r\n"
                       : "Content-Length: " . length($body) . "\r\n")
        . "\r\n";
    my $last = "GET /last HTTP/1.1\r\nHost: localhost\r\n\r\n";
    $body = chunked($body) if $o{chunked};
    return $head . $body . $last unless $o{split};
    return [$head, substr($body, 0, $o{split}), substr($body, $o{split}) . $last];
}

# a body chunked in chunks of at most 64 KiB
sub chunked {
    my ($body) = @_;
    my $out = '';
    while (length $body) {
        my $part = substr $body, 0, 65536, '';
        $out .= sprintf("%x\r\n", length $part) . $part . "\r\n";
    }
    return $out . "0\r\n\r\n";
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("config", ($block->config // "") . <<'_EOC_');
    location = /smuggled {
        root /nonexistent-smuggled;
    }
    location = /after {
        return 200 "after\n";
    }
    location = /last {
        rewrite_log on;
        rewrite ^ /last-close last;
    }
    location = /last-close {
        internal;
        return 444;
    }
_EOC_

    $block->set_value("config", $block->config . <<'_EOC_')
    location = /status {
        stub_status;
    }
_EOC_
        if PrecancelTest::nginx_has_module("stub_status");
});

run_tests();

__DATA__

=== TEST 1: an 800 KB body holding a second request, in one write: read to its end
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- raw_request eval
main::post_then_last("/account/cancel", $::SMUGGLE)
--- error_code: 302
--- error_log
"^" matches "/last", client
--- no_error_log
GET /smuggled
[alert]



=== TEST 2: the same while the provider is slow
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=300
--- raw_request eval
main::post_then_last("/account/cancel", $::SMUGGLE)
--- error_code: 302
--- error_log
"^" matches "/last", client
--- no_error_log
GET /smuggled
[alert]



=== TEST 3: a body holding a second request, then pipelined GETs: each answered once
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=200
--- pipelined_requests eval
["POST /account/cancel\n$::SHORT", "GET /after", "GET /after"]
--- error_code eval
[302, 200, 200]
--- response_body eval
[qr/302 Found/, "after\n", "after\n"]
--- no_error_log
GET /smuggled
[alert]



=== TEST 4: a short body and a pipelined GET: both answered
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- pipelined_requests eval
["POST /account/cancel\nx=1", "GET /after"]
--- error_code eval
[302, 200]
--- response_body eval
[qr/302 Found/, "after\n"]



=== TEST 5: a short body and pipelined GETs while the provider is slow
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=300
--- pipelined_requests eval
["POST /account/cancel\nx=1", "GET /after", "GET /after"]
--- error_code eval
[302, 200, 200]
--- response_body eval
[qr/302 Found/, "after\n", "after\n"]



=== TEST 6: a short body that arrives after the headers, then a pipelined GET
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=300
--- raw_request eval
my $r = main::post_then_last("/account/cancel", "x=1", split => 1);
[$r->[0], $r->[1] . $r->[2]]
--- raw_request_middle_delay: 0.1
--- error_code: 302
--- error_log
"^" matches "/last", client
--- no_error_log
[alert]



=== TEST 7: the body arrives after the provider answered
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- raw_request eval
my $r = main::post_then_last("/account/cancel", $::SMUGGLE, split => 1);
[$r->[0], $r->[1] . $r->[2]]
--- raw_request_middle_delay: 0.5
--- error_code: 302
--- error_log
"^" matches "/last", client
--- no_error_log
GET /smuggled
[alert]



=== TEST 8: the body arrives while the provider is asked
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=600
--- raw_request eval
main::post_then_last("/account/cancel", $::SMUGGLE, split => 10)
--- raw_request_middle_delay: 0.3
--- error_code: 302
--- error_log
"^" matches "/last", client
--- no_error_log
GET /smuggled
[alert]



=== TEST 9: a chunked body holding a second request, in one write
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=200
--- raw_request eval
main::post_then_last("/account/cancel", $::SMUGGLE, chunked => 1)
--- error_code: 302
--- error_log
"^" matches "/last", client
--- no_error_log
GET /smuggled
[alert]



=== TEST 10: a chunked body that arrives while the provider is asked
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=600
--- raw_request eval
main::post_then_last("/account/cancel", $::SMUGGLE, chunked => 1, split => 20)
--- raw_request_middle_delay: 0.3
--- error_code: 302
--- error_log
"^" matches "/last", client
--- no_error_log
GET /smuggled
[alert]



=== TEST 11: a body larger than client_body_buffer_size, then a pipelined GET
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=200
--- cancel_config
client_body_buffer_size 1k;
--- pipelined_requests eval
["POST /account/cancel\n" . ("a" x 300000), "GET /after"]
--- error_code eval
[302, 200]
--- response_body eval
[qr/302 Found/, "after\n"]



=== TEST 12: a Content-Length over client_max_body_size keeps nginx's 413
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- cancel_config
client_max_body_size 1k;
--- request eval
"POST /account/cancel\n" . ("a" x 2000)
--- error_code: 413
--- error_log
client intended to send too large body
--- no_error_log
precancel subrequest



=== TEST 13: "mirror" of a cancel location: refused, no provider call
--- needs: mirror
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- config
    location = /m {
        mirror /account/cancel;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/after;
    }
--- request
GET /m
--- error_code: 200
--- response_body
after
--- error_log
precancel failed: precancel_pass runs in the browser's request only, not in a subrequest, redirecting to fallback "/account/cancel/direct?r=subrequest"
--- no_error_log
precancel subrequest
[alert]



=== TEST 14: "mirror" of a cancel location leaves no connection behind
--- needs: mirror stub_status
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- config
    location = /m {
        mirror /account/cancel;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/after;
    }
--- request eval
["GET /m", "GET /m", "POST /m\nx=1", "GET /status"]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
["after\n", "after\n", "after\n", qr/^Active connections: 1 /]
--- no_error_log
[alert]



=== TEST 15: an SSI include of a cancel location: refused, the page is served
--- needs: ssi
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- config
    location = /page {
        ssi on;
        ssi_types *;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/page-source;
    }
    location = /page-source {
        return 200 'before <!--# include virtual="/account/cancel" --> after';
    }
--- request
GET /page
--- error_code: 200
--- response_body_like: ^before .*302 Found.* after$
--- error_log
precancel failed: precancel_pass runs in the browser's request only, not in a subrequest
--- no_error_log
precancel subrequest
[alert]



=== TEST 16: an SSI include of a cancel location leaves no connection behind
--- needs: ssi stub_status
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- config
    location = /page {
        ssi on;
        ssi_types *;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/page-source;
    }
    location = /page-source {
        return 200 'before <!--# include virtual="/account/cancel" --> after';
    }
--- request eval
["GET /page", "GET /page", "GET /status"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
["after\$", "after\$", "^Active connections: 1 "]
--- no_error_log
[alert]



=== TEST 17: auth_request to a cancel location: refused (auth_request answers 500)
--- needs: auth_request
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- config
    location = /protected {
        auth_request /account/cancel;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/after;
    }
--- request
GET /protected
--- error_code: 500
--- error_log
precancel failed: precancel_pass runs in the browser's request only, not in a subrequest
auth request unexpected status: 302
--- no_error_log
precancel subrequest
[alert]



=== TEST 18: error_page into a cancel location runs the flow, the body is read to its end
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=200
--- config
    location = /broken {
        error_page 503 = /account/cancel;
        return 503;
    }
--- raw_request eval
main::post_then_last("/broken", $::SMUGGLE, split => 10)
--- raw_request_middle_delay: 0.1
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/[A-Za-z0-9_-]+$
X-Status: ^redirected$
--- error_log
"^" matches "/last", client
--- no_error_log
GET /smuggled
[alert]



=== TEST 19: the app's X-Accel-Redirect into a cancel location runs the flow
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel
--- config
    location = /app {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app-backend;
    }
    location = /app-backend {
        add_header X-Accel-Redirect /account/cancel;
        return 200;
    }
--- pipelined_requests eval
["POST /app\nx=1", "GET /after"]
--- error_code eval
[302, 200]
--- response_headers_like eval
["Location: ^https://cancel\\.example\\.com/session/[A-Za-z0-9_-]+\$\nX-Status: ^redirected\$", ""]



=== TEST 20: after a deadline the body is read to its end and the connection goes on
--- needs: stub_status
--- provider
http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/hang
--- cancel_config
precancel_timeout 300ms;
--- pipelined_requests eval
["POST /account/cancel\n$::SHORT", "GET /after", "GET /status"]
--- error_code eval
[302, 200, 200]
--- response_body eval
[qr/302 Found/, "after\n", qr/^Active connections: 1 /]
--- response_headers_like eval
["X-Status: ^deadline\$", "", ""]
--- no_error_log
GET /smuggled
[alert]
