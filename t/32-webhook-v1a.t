# Standard Webhooks' v1a: Ed25519 signatures checked with a "whpk_" public
# key, beside or instead of v1's whsec_ HMAC.  The keys and signatures
# are made here, when the file starts, twice and independently: with the
# openssl command (genpkey, pkeyutl -sign -rawin) and with Python's
# cryptography package (Debian's python3-cryptography, installed by
# .ci/deps); never by the module.  Only public keys reach nginx's
# configuration; the private ones stay in this file's temporary
# directory.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use MIME::Base64 qw(encode_base64 decode_base64);
use WebhookTest;

WebhookTest::setup();

our $T = $WebhookTest::NOW;
our $ID = "msg_2Kf9qEd";
our $BODY = '{"type":"invoice.paid","data":{"id":"in_1","amount":4200}}';
our $BIG = '{"events":[' . join(',', map { qq({"n":$_,"pad":"abcdefghij"}) }
                                  1 .. 3900) . ']}';

# Debian's python3, which python3-cryptography serves
our $PYTHON = -x "/usr/bin/python3" ? "/usr/bin/python3" : "python3";

our $DIR = File::Temp::tempdir("webhook-v1a-XXXXXX", TMPDIR => 1,
                               CLEANUP => 1);
$ENV{TEST_NGINX_V1A_DIR} = $DIR;

sub run_or_die {
    my (@cmd) = @_;
    system(@cmd) == 0 or die "@cmd: failed ($?)\n";
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<:raw', $file or die "$file: $!";
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s;
}

sub spew {
    my ($file, $data) = @_;
    open my $fh, '>:raw', $file or die "$file: $!";
    print $fh $data;
    close $fh or die "$file: $!";
    chmod 0600, $file;
}

# --- openssl: key "ossl"

run_or_die("openssl", "genpkey", "-algorithm", "ed25519",
           "-out", "$DIR/ossl.pem");
run_or_die("openssl", "pkey", "-in", "$DIR/ossl.pem", "-pubout",
           "-outform", "DER", "-out", "$DIR/ossl.der");

# an Ed25519 SubjectPublicKeyInfo ends with the 32 bytes of the key
spew("$DIR/ossl.pub",
     "whpk_" . encode_base64(substr(slurp("$DIR/ossl.der"), -32), "") . "\n");

sub openssl_sign {
    my ($msg) = @_;
    spew("$DIR/msg", $msg);
    run_or_die("openssl", "pkeyutl", "-sign", "-rawin", "-inkey",
               "$DIR/ossl.pem", "-in", "$DIR/msg", "-out", "$DIR/sig");
    return encode_base64(slurp("$DIR/sig"), "");
}

# --- Python's cryptography: key "py"

our $PY = <<'_PY_';
import base64, sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey)

d = sys.argv[2]
if sys.argv[1] == "new":
    k = Ed25519PrivateKey.generate()
    open(d + "/py.key", "wb").write(k.private_bytes(
        s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption()))
    pub = k.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
    print("whpk_" + base64.b64encode(pub).decode())
else:
    k = Ed25519PrivateKey.from_private_bytes(open(d + "/py.key", "rb").read())
    msg = open(d + "/msg", "rb").read()
    print(base64.b64encode(k.sign(msg)).decode())
_PY_

sub python {
    my ($what) = @_;
    open my $fh, '-|', $PYTHON, "-c", $PY, $what, $DIR
        or die "$PYTHON: $!";
    my $out = <$fh>;
    close $fh or die "$PYTHON $what: failed ($?)\n";
    chomp $out;
    return $out;
}

spew("$DIR/py.pub", python("new") . "\n");

sub python_sign {
    my ($msg) = @_;
    spew("$DIR/msg", $msg);
    return python("sign");
}

# a "whpk_" of 31 bytes, for nginx -t
spew("$DIR/short.pub", "whpk_" . encode_base64("\x07" x 31, "") . "\n");

# what Standard Webhooks signs: "id.timestamp.body"
sub v1a_ossl { "v1a," . openssl_sign(join '.', @_) }
sub v1a_py { "v1a," . python_sign(join '.', @_) }

sub hdr {
    my ($id, $t, $sig) = @_;
    return "webhook-id: $id\nwebhook-timestamp: $t\nwebhook-signature: $sig";
}

# the two tools agree: each one's signature verifies with the other's
# key (python verifies openssl's; openssl verifies python's)
{
    my $msg = "$ID.$T.$BODY";
    my $sig = decode_base64(substr(v1a_ossl($ID, $T, $BODY), 4));
    spew("$DIR/sig", $sig);
    (my $pub = slurp("$DIR/ossl.pub")) =~ s/^whpk_|\s+\z//g;
    spew("$DIR/msg", $msg);
    my $check = "from cryptography.hazmat.primitives.asymmetric.ed25519 "
        . "import Ed25519PublicKey as P; import base64, sys; "
        . "P.from_public_bytes(base64.b64decode(sys.argv[1]))"
        . ".verify(open(sys.argv[2] + '/sig', 'rb').read(), "
        . "open(sys.argv[2] + '/msg', 'rb').read())";
    run_or_die($PYTHON, "-c", $check, $pub, $DIR);
}

run_tests();

__DATA__

=== TEST 1: openssl's v1a passes with its whpk_ key, body unchanged
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_ossl($::ID, $::T, $::BODY))
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok
X-Secret: ossl
--- no_error_log
[error]



=== TEST 2: Python's v1a passes with its whpk_ key, second of two
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/py.pub name=py;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_py($::ID, $::T, $::BODY))
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok
X-Secret: py
--- no_error_log
[error]



=== TEST 3: signed with another key (Python's), refused
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_py($::ID, $::T, $::BODY))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch
--- error_log
no secret matched the "webhook-signature" header



=== TEST 4: the body changed after signing, refused
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_ossl($::ID, $::T, $::BODY))
--- request eval
(my $b = $::BODY) =~ s/4200/4201/;
"POST /hook\n$b"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 5: signed for another message id, refused
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/py.pub name=py;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_py("msg_other", $::T, $::BODY))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 6: signed for another timestamp, refused
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_ossl($::ID, $::T - 1, $::BODY))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 7: a wrong v1 and a good v1a: the public key matches
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-standard.secret name=hmac;
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- more_headers eval
main::hdr($::ID, $::T, "v1," . ("A" x 43) . "= "
                       . main::v1a_ossl($::ID, $::T, $::BODY))
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok
X-Secret: ossl
--- no_error_log
[error]



=== TEST 8: a good v1 and a wrong v1a: the whsec_ matches
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/py.pub name=py;
webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-standard.secret name=hmac;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_py($::ID, $::T, "{}") . " "
    . WebhookTest::standard(WebhookTest::secret("standard"), $::ID, $::T,
                            $::BODY))
--- request eval
"POST /hook\n$::BODY"
--- response_body_like eval
WebhookTest::echo_re($::BODY)
--- response_headers
X-Verify: ok
X-Secret: hmac
--- no_error_log
[error]



=== TEST 9: only a v1a, for a location with only a whsec_: refused
--- webhook: standard
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_ossl($::ID, $::T, $::BODY))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 10: 100 KiB in a temporary file, read back for v1a
--- webhook: standard
--- hook_config
client_body_buffer_size 1k;
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/py.pub name=py;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_py($::ID, $::T, $::BIG))
--- request eval
"POST /hook\n$::BIG"
--- response_body_like eval
WebhookTest::echo_re($::BIG)
--- response_headers
X-Verify: ok
X-Secret: py
--- error_log
a client request body is buffered to a temporary file



=== TEST 11: 100 KiB in a temporary file, one byte changed after signing
--- webhook: standard
--- hook_config
client_body_buffer_size 1k;
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_ossl($::ID, $::T, $::BIG))
--- request eval
(my $b = $::BIG) =~ s/"n":3000,/"n":3001,/;
"POST /hook\n$b"
--- error_code: 401
--- response_headers
X-Verify: mismatch



=== TEST 12: chunked, 100 KiB in 1000-byte chunks
--- webhook: standard
--- hook_config
client_body_buffer_size 64k;
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- raw_request eval
my $h = main::hdr($::ID, $::T, main::v1a_ossl($::ID, $::T, $::BIG));
$h =~ s/\n/\r\n/g;
"POST /hook HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
. "Transfer-Encoding: chunked\r\n$h\r\n\r\n"
. WebhookTest::chunked($::BIG, 1000)
--- response_body_like eval
WebhookTest::echo_re($::BIG)
--- response_headers
X-Verify: ok
X-Secret: ossl



=== TEST 13: a v1a of 63 bytes is malformed, even beside a good one
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- more_headers eval
main::hdr($::ID, $::T, main::v1a_ossl($::ID, $::T, $::BODY) . " v1a,"
                       . MIME::Base64::encode_base64("\0" x 63, ""))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed
--- error_log
malformed "webhook-signature" header: signature of the wrong length



=== TEST 14: a v1a of 65 bytes is malformed
--- webhook: standard
--- hook_config
webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub name=ossl;
--- more_headers eval
main::hdr($::ID, $::T, "v1a," . MIME::Base64::encode_base64("\0" x 65, ""))
--- request eval
"POST /hook\n$::BODY"
--- error_code: 401
--- response_headers
X-Verify: malformed



=== TEST 15: a whpk_ that is not 32 bytes stops nginx -t
--- config
    location = /hook {
        webhook_verify standard;
        webhook_verify_secret_file $TEST_NGINX_V1A_DIR/short.pub;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*webhook secret file "\S+short\.pub" holds a "whpk_" key that is not 32 bytes of base64, as wanted by "webhook_verify standard" in \S+nginx\.conf:\d+$/m



=== TEST 16: a whpk_ for a scheme without v1a stops nginx -t
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_V1A_DIR/ossl.pub;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*webhook secret file "\S+ossl\.pub" holds a "whpk_" public key, which only "webhook_verify standard" verifies, not "webhook_verify github" in \S+nginx\.conf:\d+$/m
