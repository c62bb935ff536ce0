# The replay guard on one node (webhook_verify_replay_zone,
# webhook_verify_replay): a verified message is reserved, delivered once
# (the application answers 2xx) and then answered without the
# application, or released when the application fails, so that the
# provider's retry gets through.  What identifies a message is signed: the
# MAC, or Standard Webhooks' webhook-id.  A full zone refuses (fails
# closed) and never forgets a live entry.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;

WebhookTest::setup();

our $BODY = '{"id":"evt_replay","type":"invoice.paid"}';
our $SIG = WebhookTest::github(WebhookTest::secret("github"), $BODY);
our $BODY2 = '{"id":"evt_other","type":"invoice.paid"}';
our $SIG2 = WebhookTest::github(WebhookTest::secret("github"), $BODY2);

our $STD = WebhookTest::secret("standard");
our $T1 = $WebhookTest::NOW;
our $T2 = $WebhookTest::NOW + 5;
our $STD1 = WebhookTest::standard($STD, "msg_1", $T1, $BODY);
our $STD2 = WebhookTest::standard($STD, "msg_1", $T2, $BODY);

# n distinct, correctly signed messages pipelined on one connection, then
# the first one again
sub many {
    my ($n, $tag) = @_;
    my @r;
    for my $i (1 .. $n, 1) {
        my $b = qq({"id":"evt_${tag}_$i"});
        my $s = WebhookTest::github(WebhookTest::secret("github"), $b);
        push @r, "POST /hook HTTP/1.1\r\nHost: localhost\r\n"
                 . "X-Hub-Signature-256: $s\r\nContent-Length: "
                 . length($b) . "\r\n\r\n$b";
    }
    $r[-1] =~ s/\r\n\r\n/\r\nConnection: close\r\n\r\n/;
    return join "", @r;
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value("http_config", ($block->http_config // <<'_EOC_'));
    webhook_verify_replay_zone hooks:1m;
_EOC_
});

run_tests();

__DATA__

=== TEST 1: delivered once; the same signed webhook again: 204, the application not called
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
["POST /hook\n$::BODY", "POST /hook\n$::BODY"]
--- error_code eval
[200, 204]
--- response_headers eval
["X-Verify: ok", "X-Verify: replayed"]
--- response_body_like eval
[qr/^method POST\n/, qr/^$/]



=== TEST 2: the replay's one error line
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
--- raw_request eval
my $r = "POST /hook HTTP/1.1\r\nHost: localhost\r\nX-Hub-Signature-256: $::SIG\r\nContent-Length: " . length($::BODY) . "\r\n\r\n$::BODY";
(my $last = $r) =~ s/\r\n\r\n/\r\nConnection: close\r\n\r\n/;
$r . $last
--- ignore_response
--- error_log
webhook verification failed (replayed, scheme github): the message was delivered before (zone "hooks", kept
answering 204 without the application



=== TEST 3: another message goes through
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
--- request eval
["POST /hook\n$::BODY", "POST /hook\n$::BODY2"]
--- more_headers eval
["X-Hub-Signature-256: $::SIG", "X-Hub-Signature-256: $::SIG2"]
--- error_code eval
[200, 200]
--- response_headers eval
["X-Verify: ok", "X-Verify: ok"]
--- no_error_log
replayed



=== TEST 4: the application fails: released, and the provider's retry is delivered
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
--- config
    location = /hook-fails {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        webhook_verify_replay hooks;
        add_header X-Verify $webhook_verify_status always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/app-down;
    }
    location = /app-down { return 503; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
["POST /hook-fails\n$::BODY", "POST /hook\n$::BODY", "POST /hook\n$::BODY"]
--- error_code eval
[503, 200, 204]
--- response_headers eval
["X-Verify: ok", "X-Verify: ok", "X-Verify: replayed"]



=== TEST 5: replayed= chooses the answer
--- webhook: github
--- hook_config
webhook_verify_replay hooks replayed=409;
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
["POST /hook\n$::BODY", "POST /hook\n$::BODY"]
--- error_code eval
[200, 409]
--- response_headers eval
["X-Verify: ok", "X-Verify: replayed"]



=== TEST 6: a forged copy is refused as forged, and does not count
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
--- request eval
["POST /hook\n$::BODY", "POST /hook\n$::BODY"]
--- more_headers eval
["X-Hub-Signature-256: sha256=" . ("0" x 64), "X-Hub-Signature-256: $::SIG"]
--- error_code eval
[401, 200]
--- response_headers eval
["X-Verify: mismatch", "X-Verify: ok"]



=== TEST 7: Standard Webhooks: the signed webhook-id identifies the message, not the signature
--- webhook: standard
--- hook_config
webhook_verify_replay hooks;
--- request eval
["POST /hook\n$::BODY", "POST /hook\n$::BODY"]
--- more_headers eval
["webhook-id: msg_1\nwebhook-timestamp: $::T1\nwebhook-signature: $::STD1",
 "webhook-id: msg_1\nwebhook-timestamp: $::T2\nwebhook-signature: $::STD2"]
--- error_code eval
[200, 204]
--- response_headers eval
["X-Verify: ok", "X-Verify: replayed"]



=== TEST 8: a full zone refuses new messages (fails closed) and forgets no live one
--- http_config
    webhook_verify_replay_zone tiny:32k;
--- webhook: github
--- hook_config
webhook_verify_replay tiny;
--- raw_request eval
main::many(300, "full")
--- ignore_response
--- error_log
webhook verification failed (replay_full, scheme github): zone "tiny" is full and nothing in it has expired: refused, answering 503 (make the zone larger)
webhook verification failed (replayed, scheme github): the message was delivered before (zone "tiny"
--- timeout: 30



=== TEST 9: off in a location turns an inherited guard off
--- webhook: github
--- hook_config
webhook_verify_replay off;
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
["POST /hook\n$::BODY", "POST /hook\n$::BODY"]
--- error_code eval
[200, 200]



=== TEST 10: replayed= must be 204 or a refusal
--- config
    location = /x { webhook_verify_replay hooks replayed=200; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"replayed=200" in "webhook_verify_replay" must be 204 or between 400 and 599 in \S+nginx\.conf:\d+/



=== TEST 11: an unknown parameter
--- config
    location = /x { webhook_verify_replay hooks ttl=5m; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "ttl=5m" in "webhook_verify_replay" in \S+nginx\.conf:\d+/



=== TEST 12: a zone without a size
--- http_config
    webhook_verify_replay_zone hooks;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid zone "hooks" in "webhook_verify_replay_zone": expected NAME:SIZE in \S+nginx\.conf:\d+/



=== TEST 13: the cluster's store needs the node's guard
--- config
    location = /x {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
        webhook_verify_replay_store /replay-store;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_replay_store" requires "webhook_verify_replay" for "webhook_verify" in \S+nginx\.conf:\d+: the zone keeps the node's own record/



=== TEST 14: the store is a location's URI
--- config
    location = /x { webhook_verify_replay_store 127.0.0.1:11211; }
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_replay_store" needs a location's URI, such as \/replay-store, not "127\.0\.0\.1:11211" in \S+nginx\.conf:\d+/



=== TEST 15: fail= is closed or open
--- config
    location = /x { webhook_verify_replay_store /replay-store fail=maybe; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "fail=maybe" in "webhook_verify_replay_store" in \S+nginx\.conf:\d+/



=== TEST 16: timeout= is a time
--- config
    location = /x { webhook_verify_replay_store /replay-store timeout=soon; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "timeout=soon" in "webhook_verify_replay_store" in \S+nginx\.conf:\d+/



=== TEST 17: the store variables are empty outside the guard's own subrequests
--- config
    location = /v {
        return 200 "[$webhook_verify_store_command][$webhook_verify_store_key][$webhook_verify_store_value][$webhook_verify_store_exptime]\n";
    }
--- request
GET /v
--- response_body
[][][][]



=== TEST 18: the cluster's store (any location that answers as memc does): stored, so delivered
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
webhook_verify_replay_store /replay-store;
--- config
    location = /replay-store { internal; return 201 "STORED\r\n"; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 200
--- response_headers
X-Verify: ok
--- response_body_like: ^method POST\n



=== TEST 19: the store has it as delivered: 204, the application not called
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
webhook_verify_replay_store /replay-store;
--- config
    location = /replay-store { internal; return 200 "d"; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 204
--- response_headers
X-Verify: replayed
--- response_body:
--- error_log
the message was delivered before (store "/replay-store"), answering 204 without the application



=== TEST 20: the store has it in flight: 409 with Retry-After, the hold
--- webhook: github
--- hook_config
webhook_verify_replay hooks hold=45s;
webhook_verify_replay_store /replay-store;
--- config
    location = /replay-store { internal; return 200 "r"; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 409
--- response_headers
X-Verify: in_flight
Retry-After: 45
--- error_log
a copy of the message is being delivered (store "/replay-store"), answering 409 with Retry-After



=== TEST 21: the store fails (502): fail=closed refuses with 503
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
webhook_verify_replay_store /replay-store;
--- config
    location = /replay-store { internal; return 502; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 503
--- response_headers
X-Verify: store_error
--- error_log
webhook verification failed (store_error, scheme github): webhook_verify_replay_store "/replay-store" answered (status 502): refused, answering 503 (fail=closed)



=== TEST 22: the same with fail=open: delivered, with a warning
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
webhook_verify_replay_store /replay-store fail=open;
--- config
    location = /replay-store { internal; return 502; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 200
--- response_headers
X-Verify: store_bypassed
X-Secret: 1
--- error_log eval
qr/\[warn\] .*webhook_verify_replay_store "\/replay-store" answered \(status 502\): delivering without the cluster-wide check \(fail=open\)/



=== TEST 23: a value the guard never gave: the store is not trusted
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
webhook_verify_replay_store /replay-store;
--- config
    location = /replay-store { internal; return 200 "delivered"; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 503
--- error_log
webhook_verify_replay_store "/replay-store" answered a value it was never given (status 200): refused, answering 503 (fail=closed)



=== TEST 24: a store slower than timeout=: cut short at the deadline
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
webhook_verify_replay_store /replay-store timeout=300ms;
--- config
    location = /replay-store {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/fault/slow?ms=5000;
    }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 503
--- response_headers
X-Verify: store_error
--- error_log
webhook_verify_replay_store "/replay-store" did not answer in time (status 504): refused, answering 503 (fail=closed)
--- timeout: 3



=== TEST 25: off in a location turns an inherited store off
--- http_config
    webhook_verify_replay_zone hooks:1m;
    webhook_verify_replay_store /replay-store;
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
webhook_verify_replay_store off;
--- config
    location = /replay-store { internal; return 502; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
"POST /hook\n$::BODY"
--- error_code: 200
--- response_headers
X-Verify: ok



=== TEST 26: a replay still names the secret that matched ($webhook_verify_secret)
--- webhook: github
--- hook_config
webhook_verify_replay hooks;
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
["POST /hook\n$::BODY", "POST /hook\n$::BODY"]
--- error_code eval
[200, 204]
--- response_headers eval
["X-Secret: 1", "X-Secret: 1"]



=== TEST 27: a store inherited where the node's guard is off is off too
--- http_config
    webhook_verify_replay_zone hooks:1m;
    webhook_verify_replay hooks;
    webhook_verify_replay_store /replay-store;
--- webhook: github
--- hook_config
webhook_verify_replay off;
--- config
    location = /replay-store { internal; return 502; }
--- more_headers eval
"X-Hub-Signature-256: $::SIG"
--- request eval
["POST /hook\n$::BODY", "POST /hook\n$::BODY"]
--- error_code eval
[200, 200]
--- response_headers eval
["X-Verify: ok", "X-Verify: ok"]
--- no_error_log
webhook_verify_replay_store
