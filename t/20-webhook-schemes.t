# Every webhook_verify scheme accepts what its provider signs and passes
# the very bytes on to the application; a wrong secret is refused.  The
# signatures are computed here in Perl (t/lib/WebhookTest.pm) or copied
# from the providers' published examples, never by the module's C code.
# One nginx verifies several requests in turn with the HMAC contexts the
# earlier ones gave back (TEST 29).

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;

WebhookTest::setup();

our $T = $WebhookTest::NOW;
our $BODY = '{"id":"evt_1Nx","type":"invoice.payment_succeeded","data":'
            . '{"object":{"amount":4200,"currency":"eur"}}}';
our $XML = '<?xml version="1.0" encoding="UTF-8"?><customers><customer '
           . 'id="7e1" code="c_42"><subscriptions/></customer></customers>';

sub secret { WebhookTest::secret(@_) }

run_tests();

__DATA__

=== TEST 1: cheddargetter: the application gets the body and the signature
--- webhook: cheddargetter
--- more_headers eval
"X-CG-SIGNATURE: " . WebhookTest::cheddargetter(main::secret("cheddargetter"), $::XML)
--- request eval
"POST /hook\n$::XML"
--- response_body_like eval
WebhookTest::echo_re($::XML, "x-cg-signature" => WebhookTest::cheddargetter(main::secret("cheddargetter"), $::XML))
--- response_headers
X-Verify: ok
X-Secret: 1
--- no_error_log
[error]



=== TEST 2: cheddargetter: upper-case hex, a lower-case header name
--- webhook: cheddargetter
--- more_headers eval
"x-cg-signature: " . uc WebhookTest::cheddargetter(main::secret("cheddargetter"), $::XML)
--- request eval
"POST /hook\n$::XML"
--- response_body_like eval
WebhookTest::echo_re($::XML)
--- response_headers
X-Verify: ok



=== TEST 3: cheddargetter: the MAC of the body itself, not of its MD5, is refused
--- webhook: cheddargetter
--- more_headers eval
"X-CG-SIGNATURE: " . Digest::SHA::hmac_sha256_hex($::XML, main::secret("cheddargetter"))
--- request eval
"POST /hook\n$::XML"
--- error_code: 401
--- response_headers
X-Verify: mismatch
--- error_log
webhook verification failed (mismatch, scheme cheddargetter): no secret matched the "X-CG-SIGNATURE" header



=== TEST 4: stripe: signed with the whsec_ string as written
--- webhook: stripe
--- more_headers eval
"Stripe-Signature: t=$::T,v1=" . WebhookTest::stripe(main::secret("stripe"), $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY, "stripe-signature" => "t=$::T,v1=" . WebhookTest::stripe(main::secret("stripe"), $::T, $::BODY))
--- response_headers
X-Verify: ok
--- no_error_log
[error]



=== TEST 5: stripe: several v1 entries, a v0 and spaces; the last v1 matches
--- webhook: stripe
--- more_headers eval
"Stripe-Signature: t=$::T, v1=" . ("0" x 64) . ", v0=" . ("1" x 64) . ", v1="
    . uc WebhookTest::stripe(main::secret("stripe"), $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 6: stripe: the secret without its whsec_ prefix does not match
--- webhook: stripe
--- more_headers eval
(my $s = main::secret("stripe")) =~ s/^whsec_//;
"Stripe-Signature: t=$::T,v1=" . WebhookTest::stripe($s, $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 7: stripe: rotation, the previous secret still matches and is named
--- webhook: stripe
--- hook_config
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret name=current;
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe-old.secret name=previous;
--- more_headers eval
"Stripe-Signature: t=$::T,v1=" . WebhookTest::stripe(main::secret("stripe-old"), $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok
X-Secret: previous



=== TEST 8: stripe: rotation, the current secret is named
--- webhook: stripe
--- hook_config
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret name=current;
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe-old.secret name=previous;
--- more_headers eval
"Stripe-Signature: t=$::T,v1=" . WebhookTest::stripe(main::secret("stripe"), $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok
X-Secret: current



=== TEST 9: github: sha256=HEX of the body
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: " . WebhookTest::github(main::secret("github"), $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY, "x-hub-signature-256" => WebhookTest::github(main::secret("github"), $::BODY))
--- response_headers
X-Verify: ok



=== TEST 10: github: the example of GitHub's documentation, as published
--- webhook: github
--- hook_config
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github-docs.secret;
--- more_headers
X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
--- request
POST /hook
Hello, World!
--- response_body_like eval
WebhookTest::echo_re("Hello, World!")
--- response_headers
X-Verify: ok



=== TEST 11: github: the prefix in upper case is malformed
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: SHA256=" . substr(WebhookTest::github(main::secret("github"), $::BODY), 7)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed
--- error_log
webhook verification failed (malformed, scheme github): malformed "X-Hub-Signature-256" header: no signature prefix



=== TEST 12: standard: webhook-id, webhook-timestamp, webhook-signature
--- webhook: standard
--- more_headers eval
"webhook-id: msg_2Kf9q\nwebhook-timestamp: $::T\nwebhook-signature: "
    . WebhookTest::standard(main::secret("standard"), "msg_2Kf9q", $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY, "webhook-id" => "msg_2Kf9q", "webhook-timestamp" => $::T)
--- response_headers
X-Verify: ok



=== TEST 13: standard: the specification's example, as published
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-standard-docs.secret;
webhook_verify_tolerance 20y;
--- more_headers
webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek
webhook-timestamp: 1614265330
webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
--- request
POST /hook
{"test": 2432232314}
--- response_headers
X-Verify: ok



=== TEST 14: standard: an asymmetric v1a entry and a wrong v1 beside the right one
--- webhook: standard
--- more_headers eval
"webhook-id: msg_2Kf9q\nwebhook-timestamp: $::T\nwebhook-signature: v1a,"
    . ("A" x 86) . "== v1," . ("A" x 43) . "= "
    . WebhookTest::standard(main::secret("standard"), "msg_2Kf9q", $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 15: standard: signed for another message id
--- webhook: standard
--- more_headers eval
"webhook-id: msg_2Kf9q\nwebhook-timestamp: $::T\nwebhook-signature: "
    . WebhookTest::standard(main::secret("standard"), "msg_other", $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 16: shopify: base64 with padding
--- webhook: shopify
--- more_headers eval
"X-Shopify-Hmac-Sha256: " . WebhookTest::shopify(main::secret("shopify"), $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY, "x-shopify-hmac-sha256" => WebhookTest::shopify(main::secret("shopify"), $::BODY))
--- response_headers
X-Verify: ok



=== TEST 17: shopify: base64 without padding
--- webhook: shopify
--- more_headers eval
(my $s = WebhookTest::shopify(main::secret("shopify"), $::BODY)) =~ s/=+$//;
"X-Shopify-Hmac-Sha256: $s"
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 18: shopify: hex is malformed
--- webhook: shopify
--- more_headers eval
"X-Shopify-Hmac-Sha256: " . Digest::SHA::hmac_sha256_hex($::BODY, main::secret("shopify"))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed



=== TEST 19: slack: v0=HEX of "v0:ts:body"
--- webhook: slack
--- more_headers eval
"X-Slack-Request-Timestamp: $::T\nX-Slack-Signature: "
    . WebhookTest::slack(main::secret("slack"), $::T, $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY, "x-slack-request-timestamp" => $::T)
--- response_headers
X-Verify: ok



=== TEST 20: slack: the example of Slack's documentation, as published
--- webhook: slack
--- hook_config
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-slack-docs.secret;
webhook_verify_tolerance 20y;
--- more_headers
X-Slack-Request-Timestamp: 1531420618
X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503
--- request
POST /hook
token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c
--- response_headers
X-Verify: ok



=== TEST 21: retention: X-Hub-Signature with sha1=
--- webhook: retention
--- more_headers eval
"X-Hub-Signature: sha1=" . WebhookTest::retention(main::secret("retention"), $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok



=== TEST 22: retention: X-Hub-Signature without a prefix
--- webhook: retention
--- more_headers eval
"X-Hub-Signature: " . WebhookTest::retention(main::secret("retention"), $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 23: retention: a SHA-256 signature is malformed
--- webhook: retention
--- more_headers eval
"X-Hub-Signature: sha1=" . Digest::SHA::hmac_sha256_hex($::BODY, main::secret("retention"))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed



=== TEST 24: custom: prefix, HMAC-SHA512 in base64
--- webhook: custom
--- hook_config
webhook_verify_custom header=X-Signature prefix=sha512= mac=sha512 encoding=base64;
--- more_headers eval
"X-Signature: sha512=" . WebhookTest::hmac_sha512_base64(main::secret("custom"), $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok



=== TEST 25: custom: HMAC-SHA256 of the hex MD5 (CheddarGetter's way)
--- webhook: custom
--- hook_config
webhook_verify_custom header=X-Sig signed=md5_hex;
--- more_headers eval
"X-Sig: " . WebhookTest::cheddargetter(main::secret("custom"), $::XML)
--- request eval
"POST /hook\n$::XML"
--- response_headers
X-Verify: ok



=== TEST 26: custom: HMAC-SHA1 of the hex SHA-256
--- webhook: custom
--- hook_config
webhook_verify_custom header=X-Sig mac=sha1 signed=sha256_hex;
--- more_headers eval
"X-Sig: " . Digest::SHA::hmac_sha1_hex(Digest::SHA::sha256_hex($::BODY), main::secret("custom"))
--- request eval
"POST /hook\n$::BODY"
--- response_headers
X-Verify: ok



=== TEST 27: custom: the MAC of the body where the hex SHA-256 is signed
--- webhook: custom
--- hook_config
webhook_verify_custom header=X-Sig mac=sha1 signed=sha256_hex;
--- more_headers eval
"X-Sig: " . Digest::SHA::hmac_sha1_hex($::BODY, main::secret("custom"))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 28: another provider's header is not this scheme's
--- webhook: stripe
--- more_headers eval
"X-Hub-Signature-256: " . WebhookTest::github(main::secret("stripe"), $::BODY)
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: missing
--- error_log
webhook verification failed (missing, scheme stripe): no "Stripe-Signature" header



=== TEST 29: stripe: the HMAC contexts given back serve the next requests, each secret its own
--- webhook: stripe
--- hook_config
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret name=current;
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe-old.secret name=previous;
--- more_headers eval
[map { "Stripe-Signature: t=$::T,v1=" . WebhookTest::stripe($_, $::T, $::BODY) }
     "not the secret", main::secret("stripe-old"), main::secret("stripe"),
     main::secret("stripe-old"), "not the secret"]
--- request eval
[("POST /hook\n$::BODY") x 5]
--- error_code eval
[401, 200, 200, 200, 401]
--- response_headers eval
["X-Verify: mismatch", "X-Secret: previous", "X-Secret: current",
 "X-Secret: previous", "X-Verify: mismatch"]
