# Timestamps: within webhook_verify_tolerance (default 300 s) either way
# passes, beyond it is "stale" (far future included), anything but
# decimal digits is "malformed"; a stale request is refused before its
# body is read.  Timestamps are computed when the file starts, so the
# four blocks that sit 20 s from the default tolerance come first, and
# the others keep minutes from any edge.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;

WebhookTest::setup();

our $T = $WebhookTest::NOW;
our $BODY = '{"id":"evt_time","type":"customer.subscription.deleted"}';

sub stripe {
    my ($t) = @_;
    return "Stripe-Signature: t=$t,v1="
           . WebhookTest::stripe(WebhookTest::secret("stripe"), $t, $BODY);
}

sub slack {
    my ($t) = @_;
    return "X-Slack-Request-Timestamp: $t\nX-Slack-Signature: "
           . WebhookTest::slack(WebhookTest::secret("slack"), $t, $BODY);
}

sub standard {
    my ($t) = @_;
    return "webhook-id: msg_t\nwebhook-timestamp: $t\nwebhook-signature: "
           . WebhookTest::standard(WebhookTest::secret("standard"), "msg_t",
                                   $t, $BODY);
}

run_tests();

__DATA__

=== TEST 1: stripe: 280 s in the past
--- webhook: stripe
--- more_headers eval
main::stripe($::T - 280)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 2: stripe: 320 s in the past
--- webhook: stripe
--- more_headers eval
main::stripe($::T - 320)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: stale
--- error_log eval
qr/webhook verification failed \(stale, scheme stripe\): the timestamp is 3[2-9]\d s in the past, beyond the tolerance of 300 s/



=== TEST 3: stripe: 280 s in the future
--- webhook: stripe
--- more_headers eval
main::stripe($::T + 280)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 4: stripe: 320 s in the future
--- webhook: stripe
--- more_headers eval
main::stripe($::T + 320)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: stale
--- error_log eval
qr/the timestamp is 3[012]\d s in the future, beyond the tolerance of 300 s/



=== TEST 5: stripe: ten years in the future
--- webhook: stripe
--- more_headers eval
main::stripe($::T + 10 * 365 * 86400)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: stale



=== TEST 6: stripe: a timestamp that is not a number
--- webhook: stripe
--- more_headers eval
"Stripe-Signature: t=soon,v1=" . WebhookTest::stripe(WebhookTest::secret("stripe"), "soon", $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed
--- error_log
webhook verification failed (malformed, scheme stripe): the timestamp is not a unix time



=== TEST 7: stripe: a fractional timestamp
--- webhook: stripe
--- more_headers eval
main::stripe("$::T.5")
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed



=== TEST 8: stripe: a negative timestamp
--- webhook: stripe
--- more_headers eval
main::stripe("-$::T")
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed



=== TEST 9: stripe: an empty timestamp
--- webhook: stripe
--- more_headers eval
main::stripe("")
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed



=== TEST 10: a tolerance of 10 s: 30 s in the past is stale
--- webhook: stripe
--- hook_config
webhook_verify_tolerance 10s;
--- more_headers eval
main::stripe($::T - 30)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: stale
--- error_log
beyond the tolerance of 10 s



=== TEST 11: a tolerance of 1h: 50 minutes in the past passes
--- webhook: stripe
--- hook_config
webhook_verify_tolerance 1h;
--- more_headers eval
main::stripe($::T - 3000)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 12: slack: inside the tolerance
--- webhook: slack
--- more_headers eval
main::slack($::T - 100)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 13: slack: 1000 s in the past
--- webhook: slack
--- more_headers eval
main::slack($::T - 1000)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: stale



=== TEST 14: slack: no timestamp header
--- webhook: slack
--- more_headers eval
"X-Slack-Signature: " . WebhookTest::slack(WebhookTest::secret("slack"), $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: missing
--- error_log
no "X-Slack-Request-Timestamp" header



=== TEST 15: slack: a date, not a unix time
--- webhook: slack
--- more_headers eval
main::slack("2026-01-01T00:00:00Z")
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed



=== TEST 16: slack: signed with another timestamp than the header's
--- webhook: slack
--- more_headers eval
"X-Slack-Request-Timestamp: $::T\nX-Slack-Signature: "
    . WebhookTest::slack(WebhookTest::secret("slack"), $::T - 1, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 17: standard: 1000 s in the future
--- webhook: standard
--- more_headers eval
main::standard($::T + 1000)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: stale



=== TEST 18: standard: inside a tolerance of 1h, in the past
--- webhook: standard
--- hook_config
webhook_verify_tolerance 1h;
--- more_headers eval
main::standard($::T - 3000)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 19: standard: no webhook-id
--- webhook: standard
--- more_headers eval
(my $h = main::standard($::T)) =~ s/^webhook-id: .*\n//;
$h
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: missing
--- error_log
no "webhook-id" header



=== TEST 20: custom: a timestamp header, checked for freshness
--- webhook: custom
--- hook_config
webhook_verify_custom header=X-Sig timestamp=X-Sent-At;
--- more_headers eval
"X-Sent-At: " . ($::T - 400) . "\nX-Sig: " . Digest::SHA::hmac_sha256_hex($::BODY, WebhookTest::secret("custom"))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: stale



=== TEST 21: custom: a fresh timestamp header
--- webhook: custom
--- hook_config
webhook_verify_custom header=X-Sig timestamp=X-Sent-At;
--- more_headers eval
"X-Sent-At: $::T\nX-Sig: " . Digest::SHA::hmac_sha256_hex($::BODY, WebhookTest::secret("custom"))
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 22: a stale request is refused before its body is read
--- webhook: stripe
--- more_headers eval
main::stripe($::T - 1000)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: stale
--- no_error_log
webhook verify body filter
