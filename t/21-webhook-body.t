# The body is verified whatever its size and framing, and the
# application gets it byte for byte: in memory or spilled to
# client_body_temp_path, chunked, empty, binary; client_max_body_size
# still answers 413.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;

WebhookTest::setup();

# 100 KiB and 2 MiB of JSON-ish text, and every byte value
our $BIG = '{"events":[' . join(',', map { qq({"n":$_,"pad":"abcdefghij"}) }
                                  1 .. 3900) . ']}';
our $HUGE = $BIG x 20;
our $BIN = join '', map { chr } (0 .. 255) x 4;
our $SMALL = '{"id":"evt_small"}';

sub sig { WebhookTest::github(WebhookTest::secret("github"), @_) }

sub raw {
    my ($head, $body) = @_;
    return "POST /hook HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
           . "$head\r\n\r\n$body";
}

run_tests();

__DATA__

=== TEST 1: a small body, in memory
--- webhook: github
--- more_headers eval
"X-Hub-Signature-256: " . main::sig($::SMALL)
--- request eval
"POST /hook\n$::SMALL"
--- response_body_like eval
WebhookTest::echo_re($::SMALL)
--- response_headers
X-Verify: ok
--- no_error_log
a client request body is buffered to a temporary file



=== TEST 2: 100 KiB forced into a temporary file
--- webhook: github
--- hook_config
client_body_buffer_size 1k;
--- more_headers eval
"X-Hub-Signature-256: " . main::sig($::BIG)
--- request eval
"POST /hook\n$::BIG"
--- response_body_like eval
WebhookTest::echo_re($::BIG)
--- response_headers
X-Verify: ok
--- error_log
a client request body is buffered to a temporary file



=== TEST 3: 100 KiB in a temporary file, one byte changed after signing
--- webhook: github
--- hook_config
client_body_buffer_size 1k;
--- more_headers eval
"X-Hub-Signature-256: " . main::sig($::BIG)
--- request eval
(my $b = $::BIG) =~ s/"n":3000,/"n":3001,/;
"POST /hook\n$b"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 4: 2 MiB, in a temporary file
--- webhook: github
--- hook_config
client_max_body_size 4m;
--- more_headers eval
"X-Hub-Signature-256: " . main::sig($::HUGE)
--- request eval
"POST /hook\n$::HUGE"
--- response_body_like eval
WebhookTest::echo_re($::HUGE)
--- response_headers
X-Verify: ok
--- timeout: 10



=== TEST 5: chunked, in small chunks; the application gets it with a length
--- webhook: github
--- raw_request eval
main::raw("Transfer-Encoding: chunked\r\nX-Hub-Signature-256: " . main::sig($::SMALL),
          WebhookTest::chunked($::SMALL, 5))
--- response_body_like eval
WebhookTest::echo_re($::SMALL, "content-length" => length $::SMALL)
--- response_headers
X-Verify: ok



=== TEST 6: chunked, 100 KiB in 1000-byte chunks, into a temporary file
--- webhook: github
--- hook_config
client_body_buffer_size 1k;
--- raw_request eval
main::raw("Transfer-Encoding: chunked\r\nX-Hub-Signature-256: " . main::sig($::BIG),
          WebhookTest::chunked($::BIG, 1000))
--- response_body_like eval
WebhookTest::echo_re($::BIG)
--- response_headers
X-Verify: ok
--- error_log
a client request body is buffered to a temporary file



=== TEST 7: chunked, signed for another body
--- webhook: github
--- raw_request eval
main::raw("Transfer-Encoding: chunked\r\nX-Hub-Signature-256: " . main::sig($::SMALL),
          WebhookTest::chunked($::SMALL . " ", 5))
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 8: every byte value
--- webhook: github
--- raw_request eval
main::raw("Content-Length: " . length($::BIN) . "\r\nX-Hub-Signature-256: "
          . main::sig($::BIN), $::BIN)
--- response_body_like eval
WebhookTest::echo_re($::BIN)
--- response_headers
X-Verify: ok



=== TEST 9: an empty body with Content-Length: 0
--- webhook: github
--- raw_request eval
main::raw("Content-Length: 0\r\nX-Hub-Signature-256: " . main::sig(""), "")
--- response_body_like eval
WebhookTest::echo_re("")
--- response_headers
X-Verify: ok



=== TEST 10: an empty chunked body
--- webhook: github
--- raw_request eval
main::raw("Transfer-Encoding: chunked\r\nX-Hub-Signature-256: " . main::sig(""),
          "0\r\n\r\n")
--- response_body_like eval
WebhookTest::echo_re("")
--- response_headers
X-Verify: ok



=== TEST 11: a GET without a body, signed as empty, where GET is allowed
--- webhook: github
--- hook_config
webhook_verify_methods GET POST;
--- more_headers eval
"X-Hub-Signature-256: " . main::sig("")
--- request
GET /hook
--- response_body_like eval
qr/\Amethod GET\nlength 0\n/
--- response_headers
X-Verify: ok



=== TEST 12: an empty body where a body was signed
--- webhook: github
--- raw_request eval
main::raw("Content-Length: 0\r\nX-Hub-Signature-256: " . main::sig($::SMALL), "")
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 13: a Content-Length over client_max_body_size: nginx's 413
--- webhook: github
--- hook_config
client_max_body_size 1k;
--- raw_request eval
main::raw("Content-Length: " . length($::BIG) . "\r\nX-Hub-Signature-256: "
          . main::sig($::BIG), $::BIG)
--- error_code: 413
--- response_headers
X-Verify: too_large
--- error_log
client intended to send too large body



=== TEST 14: a chunked body over client_max_body_size: nginx's 413
--- webhook: github
--- hook_config
client_max_body_size 1k;
--- raw_request eval
main::raw("Transfer-Encoding: chunked\r\nX-Hub-Signature-256: " . main::sig($::BIG),
          WebhookTest::chunked($::BIG, 4000))
--- error_code: 413
--- response_headers
X-Verify: too_large
--- error_log
client intended to send too large chunked body
