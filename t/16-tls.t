# TLS to the provider: the provider location proxies over https, with
# the provider's certificate verified against a CA, SNI, keepalive, and
# nothing that would let a reader of the debug log replay the call.
#
# The PKI is made at run time (t/lib/TlsTest.pm, openssl); TLS stand-ins
# are extra servers of the same nginx, one port per certificate, each
# proxying to the Perl stand-in (which verifies the signature and logs
# what it received) or, at /tls, describing the TLS connection in the
# session URL: server name, protocol, connection number, requests made
# on that connection, session reuse.  Those servers log to their own
# error log at "info", so that the debug log checked below is the one of
# the module's side only.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;
use PrecancelStandin ();
use TlsTest ();

PrecancelTest::setup(no_standin => 1);

my $dir = TlsTest::make_pki();
$ENV{TEST_NGINX_TLS_DIR} = $dir;

PrecancelStandin::start(port => $ENV{TEST_NGINX_STANDIN_PORT}, workers => 4,
                        log => "$dir/standin.log");

# one TLS stand-in per certificate
my @fronts = qw(good other untrusted self expired chain);
my $fronts = "    log_format tls_front '\$connection \$connection_requests';\n";

for my $cert (@fronts) {
    my $var = 'TEST_NGINX_TLS_' . uc $cert;
    $ENV{$var} = PrecancelTest::free_port();

    $fronts .= <<"_EOC_";
    server {
        listen 127.0.0.1:\$$var ssl;
        ssl_certificate     \$TEST_NGINX_TLS_DIR/$cert.crt;
        ssl_certificate_key \$TEST_NGINX_TLS_DIR/$cert.key;
        ssl_protocols       TLSv1.2 TLSv1.3;
        error_log  \$TEST_NGINX_TLS_DIR/front.log info;
        access_log \$TEST_NGINX_TLS_DIR/front-access.log tls_front;

        location / {
            proxy_pass http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT;
        }

        location = /tls {
            return 200 '{"valid":true,"message":"https://cancel.example.com/tls/\$ssl_server_name/\$ssl_protocol/\$connection_requests/"}';
        }
    }
_EOC_
}

# the keepalive recipe: an upstream named after the provider's host
$fronts .= <<'_EOC_';
    upstream provider.test {
        server 127.0.0.1:$TEST_NGINX_TLS_GOOD;
        keepalive 2;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("main_config", ($block->main_config // "")
                      . "error_log $dir/debug.log debug;\n");

    $block->set_value("http_config", ($block->http_config // <<'_EOC_')
    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
_EOC_
                      . $fronts);

    # --- tls: the provider location's lines (after "internal;")
    my $tls = $block->tls;
    return unless defined $tls;

    my $cancel = $block->cancel_config // "";

    $block->set_value("config", <<"_EOC_" . ($block->config // ""));
    location = /account/cancel {
        precancel_pass /_precancel;
        precancel_fallback /account/cancel/direct?r=\$precancel_status;
        $cancel
        add_header X-Status \$precancel_status always;
        add_header X-Error \$precancel_error always;
    }
    location = /_precancel {
        internal;
        proxy_ignore_headers X-Accel-Redirect X-Accel-Expires
                             X-Accel-Limit-Rate X-Accel-Buffering
                             X-Accel-Charset;
        $tls
    }
_EOC_
});

run_tests();

# The debug log of every block above (the error_log at debug level that
# each block's main_config adds): whatever the provider received as its
# Signature, no line holds it, nor any key, while the debug lines of the
# same calls are there.

my @signatures;
open my $sl, '<', "$dir/standin.log" or die "standin.log: $!";
while (<$sl>) {
    push @signatures, $1 if /"signature":"([0-9a-f]+)"/;
}
close $sl;

open my $dl, '<', "$dir/debug.log" or die "debug.log: $!";
my @debug = <$dl>;
close $dl;

cmp_ok(scalar @signatures, '>=', 2,
       'debug log sweep: the stand-in received signed calls over TLS');
SKIP: {
    skip('debug log sweep: the log cannot be at debug level: this nginx '
         . 'was built without --with-debug', 1)
        unless PrecancelTest::nginx_has_debug();

    ok((grep { /precancel subrequest "\/_precancel", precancel body: / }
        @debug),
       'debug log sweep: the log is at debug level for these calls');
}

my %seen = map { $_ => 1 } @signatures;
my @leaks = grep { my $l = $_; grep { index($l, $_) >= 0 } keys %seen }
            @debug;
is(scalar @leaks, 0, 'debug log sweep: no Signature the provider received')
    or diag("first: $leaks[0]");

is(scalar(grep { /"signature: /i } @debug), 0,
   'debug log sweep: no Signature header line');

my $secrets = PrecancelTest::secrets_re();
is(scalar(grep { /$secrets/ } @debug), 0, 'debug log sweep: no key');

# nginx's own reason comes just before the module's line
my @errors = grep { /\[error\]/ } @debug;
my $verify = 0;
for my $i (0 .. $#errors - 1) {
    next unless $errors[$i] =~ /upstream SSL certificate/;
    $verify++;
    like($errors[$i + 1],
         qr/precancel failed: provider request to "\/_precancel" failed with 502/,
         "the module's line follows nginx's: $verify");
}
cmp_ok($verify, '>=', 5, 'certificate errors were logged');

__DATA__

=== TEST 1: verified: the signed call over TLS, 302 to the session URL
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_GOOD/precancel;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$
X-Status: ^redirected$
--- no_error_log eval
[qr/\[(?:warn|error|crit|alert)\]/, qr/[0-9a-f]{128}/, qr/"signature: /i]



=== TEST 2: SNI is sent, and it is the name that was verified
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_GOOD/tls;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/tls/provider\.test/TLSv1\.\d/1/$



=== TEST 3: the wrong name: the certificate is for other.test
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_OTHER/precancel;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^http://[^/]+/account/cancel/direct\?r=upstream_failed$
X-Status: ^upstream_failed$
X-Error: ^provider request to "/_precancel" failed with 502$
--- error_log
upstream SSL certificate does not match "provider.test" while SSL handshaking to upstream
precancel failed: provider request to "/_precancel" failed with 502, redirecting to fallback



=== TEST 4: untrusted: a certificate from a CA nginx is not told about
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_UNTRUSTED/precancel;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_failed$
--- error_log
upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream



=== TEST 5: a self-signed certificate
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_SELF/precancel;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_failed$
--- error_log
upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream



=== TEST 6: an expired certificate
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_EXPIRED/precancel;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_failed$
--- error_log
upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream



=== TEST 7: two intermediates: the default proxy_ssl_verify_depth (1) is too short
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_CHAIN/precancel;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_failed$
--- error_log
upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking to upstream



=== TEST 8: two intermediates with proxy_ssl_verify_depth 2
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_CHAIN/precancel;
proxy_ssl_verify              on;
proxy_ssl_verify_depth        2;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+$
X-Status: ^redirected$



=== TEST 9: keepalive over TLS: the second call is the TLS connection's second request
--- tls
proxy_pass https://provider.test/tls;
proxy_http_version            1.1;
proxy_set_header              Connection "";
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
--- request eval
["GET /account/cancel", "GET /account/cancel", "GET /account/cancel"]
--- error_code eval
[302, 302, 302]
--- response_headers_like eval
["Location: ^https://cancel\\.example\\.com/tls/provider\\.test/TLSv1\\.\\d/1/\$",
 "Location: ^https://cancel\\.example\\.com/tls/provider\\.test/TLSv1\\.\\d/2/\$",
 "Location: ^https://cancel\\.example\\.com/tls/provider\\.test/TLSv1\\.\\d/3/\$"]



=== TEST 10: default proxy_http_version: a new TLS connection (and handshake) per call, keepalive from nginx 1.29.7 (1.1 by default)
--- tls
proxy_pass https://provider.test/tls;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
--- request eval
["GET /account/cancel", "GET /account/cancel"]
--- error_code eval
[302, 302]
--- response_headers_like eval
my $second = PrecancelTest::nginx_version() >= 1029007 ? 2 : 1;
["Location: ^https://cancel\\.example\\.com/tls/provider\\.test/TLSv1\\.\\d/1/\$",
 "Location: ^https://cancel\\.example\\.com/tls/provider\\.test/TLSv1\\.\\d/$second/\$"]



=== TEST 11: nginx 1.22 offers TLS 1.2 at most to an upstream by default (1.23.4 and later TLS 1.3)
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_GOOD/tls;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like eval
my $tls = PrecancelTest::nginx_version() >= 1023004 ? 3 : 2;
"Location: ^https://cancel\\.example\\.com/tls/provider\\.test/TLSv1\\.$tls/\\d+/\$"



=== TEST 12: ... and TLS 1.3 with proxy_ssl_protocols TLSv1.2 TLSv1.3
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_GOOD/tls;
proxy_ssl_protocols           TLSv1.2 TLSv1.3;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
Location: ^https://cancel\.example\.com/tls/provider\.test/TLSv1\.3/\d+/$



=== TEST 13: a hung handshake is bounded by proxy_connect_timeout
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel;
proxy_connect_timeout         1s;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^upstream_timeout$
X-Error: ^provider timed out$
--- error_log
upstream timed out (110: Connection timed out) while SSL handshaking to upstream



=== TEST 14: ... or by precancel_timeout, whichever comes first
--- cancel_config
precancel_timeout 500ms;
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel;
proxy_connect_timeout         10s;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
proxy_ssl_server_name         on;
proxy_ssl_name                provider.test;
--- request
GET /account/cancel
--- error_code: 302
--- response_headers_like
X-Status: ^deadline$
X-Error: ^provider did not answer within precancel_timeout \(500 ms\)$



=== TEST 15: nginx -t warns: https without proxy_ssl_verify (and starts)
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_GOOD/precancel;
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr/\[warn\] .*precancel_pass "\/_precancel" proxies over https without "proxy_ssl_verify on": the provider's certificate is not checked in \S+nginx\.conf:\d+/



=== TEST 16: no warning with proxy_ssl_verify on
--- tls
proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_GOOD/precancel;
proxy_ssl_verify              on;
proxy_ssl_trusted_certificate $TEST_NGINX_TLS_DIR/ca.crt;
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- no_error_log
[warn]



=== TEST 17: no warning for plain http
--- tls
proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel;
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- no_error_log
[warn]



=== TEST 18: a proxy_pass with variables: warned about when a call goes over https
--- tls
proxy_pass https://provider.test/precancel?click=$precancel_click_id;
--- request
GET /account/cancel
--- error_code: 302
--- error_log eval
qr/\[warn\] .*precancel subrequest "\/_precancel" went over https without "proxy_ssl_verify on": the provider's certificate was not checked/



=== TEST 19: a proxy_pass with variables over http: no warning
--- tls
proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel?click=$precancel_click_id;
--- request
GET /account/cancel
--- error_code: 302
--- no_error_log
[warn]



=== TEST 20: the provider location nginx picks is checked, through prefixes, nesting and regexes
--- config
    location = /account/cancel {
        precancel_pass /provider/retention/precancel;
    }
    location = /account/keep {
        precancel_pass /other/call;
    }
    location /provider/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;

        location /provider/retention/ {
            proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_GOOD;
        }
    }
    location ~ ^/other/ {
        proxy_pass https://127.0.0.1:$TEST_NGINX_TLS_GOOD;
    }
    location /other/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT;
    }
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
[qr/\[warn\] .*precancel_pass "\/provider\/retention\/precancel" proxies over https/,
 qr/\[warn\] .*precancel_pass "\/other\/call" proxies over https/]
