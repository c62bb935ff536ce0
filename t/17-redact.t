# A provider (or a middlebox) that echoes the call's credentials back:
# the stand-in's /fault/echo-secrets puts the Billing API key, "key:",
# the Authorization value, the Retention private key and the request's
# Signature, raw, percent-encoded and Base64-encoded, into its error
# message (also across the cut to the message's maximum length) or into
# the session URL.  No form of any key may reach the browser (Location
# through precancel_fallback with $precancel_error, X-Error), the error
# log at debug level or an access log with $precancel_error, which is
# written into the error log here so that both are searched; the line
# still says what the provider said, with "[redacted]" in place.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;
use MIME::Base64 qw(encode_base64);

PrecancelTest::setup();

log_level('debug');

# every form the stand-in echoes, and each 10-byte piece of it
sub forms_re {
    my @f;

    for my $key (PrecancelTest::key('billing1.key'),
                 PrecancelTest::key('test1.key'))
    {
        my $auth = 'Basic ' . encode_base64("$key:", '');

        for my $v ($key, "$key:", $auth) {
            my $b64 = encode_base64($v, '');
            (my $url = $b64) =~ tr{+/=}{-_}d;
            (my $pct = $v) =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge;
            (my $bpct = $b64) =~ s/([+\/=])/sprintf '%%%02X', ord $1/ge;
            push @f, $v, $b64, $url, $pct, lc $pct, $bpct, lc $bpct;
        }
    }

    my %piece;
    for my $v (@f) {
        if (length $v <= 10) {
            $piece{$v} = 1;
            next;
        }
        $piece{substr $v, $_, 10} = 1 for 0 .. length($v) - 10;
    }

    # the "[redacted]" and "Basic%20" left around a form are not a piece
    delete $piece{$_} for grep { /\[|\]|^[^0-9]*$/ } keys %piece;

    return join '|', PrecancelTest::secrets_re(),
                     map { quotemeta } sort keys %piece;
}

our $SECRETS = forms_re();

add_block_preprocessor(sub {
    my $block = shift;
    my $path = $block->billing // $block->retention;

    return unless defined $path;
    chomp $path;

    my $provider = defined $block->billing
        ? "precancel_provider chargebee_pre_cancel;\n"
          . "        precancel_subscription_id \$arg_sub;"
        : "";

    $block->set_value("http_config", <<'_EOC_');
    precancel_api_key_file      $TEST_NGINX_KEYS/billing1.key;
    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;

    log_format redact 'ACCESS status=$precancel_status '
                      'error=$precancel_error '
                      'location="$sent_http_location"';
_EOC_

    $block->set_value("config", <<"_EOC_");
    location = /account/cancel {
        $provider
        precancel_pass             /_provider;
        precancel_fallback         /account/direct?e=\$precancel_error;
        add_header X-Status \$precancel_status always;
        add_header X-Error \$precancel_error always;
        access_log logs/error.log redact;
    }
    location = /_provider {
        internal;
        proxy_connect_timeout 1s;
        proxy_read_timeout 2s;
        proxy_pass http://127.0.0.1:\$TEST_NGINX_STANDIN_PORT$path;
    }
_EOC_

    $block->set_value("request", "GET /account/cancel?sub=sub_42")
        unless defined $block->request;
    $block->set_value("error_code", 302)
        unless defined $block->error_code;

    # the access line is written after the response has gone
    $block->set_value("wait", 0.2) unless defined $block->wait;

    # none in the response, nor in the error log (with the access lines)
    $block->set_value("raw_response_headers_unlike", qr/$SECRETS/);
    $block->set_value("response_body_unlike", qr/$SECRETS/);

    my @no = ref $block->no_error_log eq 'ARRAY' ? @{ $block->no_error_log }
           : defined $block->no_error_log ? ($block->no_error_log) : ();
    chomp @no;
    $block->set_value("no_error_log", [@no, qr/$SECRETS/, '[alert]',
                                       '[crit]']);
});

run_tests();

__DATA__

=== TEST 1: Billing: the key in every form in a 401's message
--- billing
/billing/fault/echo-secrets
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/direct\?e=provider answered 401 "api_authentication_failed": "invalid api key key=\[redacted\]; key_pct=\[redacted\]; key_pct_lower=\[redacted\]; key_b64=\[redacted\]=; key_b64url=\[redacted\]; .*"$
X-Status: ^rejected$
X-Error: ^provider answered 401 "api_authentication_failed": "invalid api key key=\[redacted\]; key_pct=\[redacted\]; key_pct_lower=\[redacted\]; key_b64=\[redacted\]=; key_b64url=\[redacted\]; key_b64_pct=\[redacted\]%3D; key_b64_pct_lower=\[redacted\]%3d; key_colon=\[redacted\]; key_colon_pct=\[redacted\]; [^"]*"$
--- error_log eval
[qr/precancel failed: provider answered 401 "api_authentication_failed": "invalid api key key=\[redacted\]; key_pct=\[redacted\]; /,
 qr/ACCESS status=rejected error=provider answered 401 .*"?invalid api key key=\[redacted\]; key_pct=\[redacted\]; /]



=== TEST 2: Billing: the Authorization value, raw and encoded
--- billing
/billing/fault/echo-secrets?only=authorization
--- response_headers_like
X-Error: ^provider answered 401 "api_authentication_failed": "invalid api key authorization=\[redacted\]; authorization_pct=\[redacted\]; authorization_pct_lower=\[redacted\]; authorization_b64=\[redacted\]=; authorization_b64url=\[redacted\]; authorization_b64_pct=\[redacted\]%3D; authorization_b64_pct_lower=\[redacted\]%3d; end "$
--- error_log
"invalid api key authorization=[redacted]; authorization_pct=[redacted]; authorization_pct_lower=[redacted]; authorization_b64=[redacted]=;



=== TEST 3: Billing: a key across the cut at 256 bytes goes whole
--- billing
/billing/fault/echo-secrets?pad=220
--- response_headers_like
X-Error: ^provider answered 401 "api_authentication_failed": "invalid api key x{220}key=\[redacted\]; key_"$
--- error_log eval
qr/"invalid api key x{220}key=\[redacted\]; key_", redirecting to fallback/



=== TEST 4: Billing: a marker that would not fit is left out, not cut
--- billing
/billing/fault/echo-secrets?pad=230
--- response_headers_like
X-Error: ^provider answered 401 "api_authentication_failed": "invalid api key x{230}key="$
--- error_log eval
qr/"invalid api key x{230}key=", redirecting to fallback/



=== TEST 5: Billing: the key in api_error_code too
--- billing
/billing/fault/echo-secrets?code=echo
--- response_headers_like
X-Status: ^rejected$
X-Error: ^provider answered 401 "bad_key_\[redacted\]": "invalid api key key=\[redacted\]; .*"$
--- error_log
provider answered 401 "bad_key_[redacted]": "invalid api key key=[redacted];



=== TEST 6: Billing: a hosted page URL holding the key is refused unquoted
--- billing
/billing/fault/echo-secrets?in=url&form=key
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/direct\?e=session URL rejected: it holds a secret$
X-Status: ^bad_url$
X-Error: ^session URL rejected: it holds a secret$
--- error_log
precancel failed: session URL rejected: it holds a secret, redirecting to fallback
ACCESS status=bad_url error=session URL rejected: it holds a secret



=== TEST 7: Billing: ... or Base64 of "key:"
--- billing
/billing/fault/echo-secrets?in=url&form=key_colon_b64
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: it holds a secret$



=== TEST 8: Billing: ... or the Authorization value, percent-encoded
--- billing
/billing/fault/echo-secrets?in=url&form=authorization
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: it holds a secret$



=== TEST 9: Billing: ... or Base64 of the key, percent-encoded
--- billing
/billing/fault/echo-secrets?in=url&form=key_b64
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: it holds a secret$



=== TEST 10: Billing: a URL without a secret still goes to the browser
--- billing
/billing/fault/echo-secrets?in=url&form=none
--- response_headers_like
Location: ^https://billing\.example\.com/pages/v3/\d+-\d+/\?k=$
X-Status: ^redirected$
--- no_error_log
precancel failed



=== TEST 11: Retention: the Signature and the private key in every form
--- retention
/fault/echo-secrets
--- response_headers_like
X-Status: ^rejected$
X-Error: ^provider answered 401: "invalid api key signature=\[redacted\]; private_key=\[redacted\]; private_key_pct=\[redacted\]; private_key_pct_lower=\[redacted\]; private_key_b64=\[redacted\]==; private_key_b64url=\[redacted\]; private_key_b64_pct=\[redacted\]%3D%3D; private_key_b64_pct_lower="$
--- error_log eval
[qr/precancel failed: provider answered 401: "invalid api key signature=\[redacted\]; private_key=\[redacted\]; /,
 qr/ACCESS status=rejected error=provider answered 401: .*"?invalid api key signature=\[redacted\]; private_key=\[redacted\]; /]
--- no_error_log eval
qr/signature=[0-9a-f]/



=== TEST 12: Retention: the key across the cut
--- retention
/fault/echo-secrets?pad=100
--- response_headers_like
X-Error: ^provider answered 401: "invalid api key x{100}signature=\[redacted\]; private_key=\[redacted\]; .*"$
--- no_error_log eval
qr/signature=[0-9a-f]/



=== TEST 13: Retention: a session URL holding the private key is refused
--- retention
/fault/echo-secrets?in=url&form=private_key_b64
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: it holds a secret$



=== TEST 14: Retention: ... or the request's own Signature
--- retention
/fault/echo-secrets?in=url&form=signature
--- response_headers_like
X-Status: ^bad_url$
X-Error: ^session URL rejected: it holds a secret$
--- no_error_log eval
qr/k=[0-9a-f]{16}/



=== TEST 15: Retention: a URL without a secret still goes to the browser
--- retention
/fault/echo-secrets?in=url&form=none
--- response_headers_like
Location: ^https://cancel\.example\.com/session/\d+-\d+\?k=$
X-Status: ^redirected$
--- no_error_log
precancel failed
