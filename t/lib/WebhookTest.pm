package WebhookTest;

# What the webhook verifier's t/2*.t files share: the signatures of every
# scheme, computed here in Perl from each provider's public description
# (Digest::SHA, Digest::MD5, MIME::Base64), never by the module's C code;
# the test secrets of t/keys/webhook-*.secret; the moment the file started
# ($NOW, for timestamps); and a default location layout.
#
# A block with "--- webhook SCHEME" gets
#
#     location = /hook {
#         webhook_verify SCHEME;
#         webhook_verify_secret_file .../webhook-SCHEME.secret;
#         <"--- hook_config" lines>
#         add_header X-Verify $webhook_verify_status always;
#         add_header X-Secret $webhook_verify_secret always;
#         proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/echo;
#     }
#
# before its own "--- config" lines.  The stand-in's /echo answers with
# the method, length and SHA-256 of the body it received and its headers
# (see t/lib/README.md), so a test can show the application got the very
# bytes that were signed.

use strict;
use warnings;

use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(hmac_sha1_hex hmac_sha256 hmac_sha256_hex hmac_sha512
                   sha256_hex);
use MIME::Base64 qw(encode_base64 decode_base64);
use Test::Nginx::Socket ();
use PrecancelTest ();

our $NOW = time;

sub setup {
    PrecancelTest::setup(@_);
    Test::Nginx::Socket::add_block_preprocessor(\&hook_block);
}

sub hook_block {
    my $block = shift;
    my $scheme = $block->webhook;

    return unless defined $scheme;
    chomp $scheme;

    my $keys = $PrecancelTest::KEYS;
    my $extra = $block->hook_config // "";
    my $secret = $extra =~ /webhook_verify_secret_file/ ? ""
        : "webhook_verify_secret_file $keys/webhook-$scheme.secret;";

    $block->set_value("config", <<"_EOC_" . ($block->config // ""));
    location = /hook {
        webhook_verify $scheme;
        $secret
        $extra
        add_header X-Verify \$webhook_verify_status always;
        add_header X-Secret \$webhook_verify_secret always;
        proxy_pass http://127.0.0.1:$ENV{TEST_NGINX_STANDIN_PORT}/echo;
    }
_EOC_
}

# the secret of t/keys/webhook-NAME.secret, as nginx reads it
sub secret {
    my ($name) = @_;
    my $file = "$PrecancelTest::KEYS/webhook-$name.secret";
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    my $s = <$fh>;
    close $fh;
    $s =~ s/[ \t\r\n]+\z//;
    return $s;
}

# --- the schemes, each as its provider describes it

# CheddarGetter: hex HMAC-SHA256, keyed with the product secret, of the
# lowercase hex MD5 of the raw body
sub cheddargetter {
    my ($secret, $body) = @_;
    return hmac_sha256_hex(md5_hex($body), $secret);
}

# Stripe: hex HMAC-SHA256 of "t.body", keyed with the whole whsec_ string
sub stripe {
    my ($secret, $t, $body) = @_;
    return hmac_sha256_hex("$t.$body", $secret);
}

sub github {
    my ($secret, $body) = @_;
    return "sha256=" . hmac_sha256_hex($body, $secret);
}

# Standard Webhooks: base64 HMAC-SHA256 of "id.t.body", keyed with the
# base64-decoded part of whsec_...
sub standard {
    my ($secret, $id, $t, $body) = @_;
    (my $key = $secret) =~ s/^whsec_//;
    return "v1,"
           . encode_base64(hmac_sha256("$id.$t.$body", decode_base64($key)),
                           "");
}

sub shopify {
    my ($secret, $body) = @_;
    return encode_base64(hmac_sha256($body, $secret), "");
}

sub slack {
    my ($secret, $t, $body) = @_;
    return "v0=" . hmac_sha256_hex("v0:$t:$body", $secret);
}

# Chargebee Retention: hex HMAC-SHA1 of the body
sub retention {
    my ($secret, $body) = @_;
    return hmac_sha1_hex($body, $secret);
}

sub hmac_sha512_base64 {
    my ($secret, $data) = @_;
    return encode_base64(hmac_sha512($data, $secret), "");
}

# --- what the application must have received

# the stand-in's /echo answer for a POST of $body, with these headers
# (lowercase name => value) among the headers it got
sub echo_re {
    my ($body, %headers) = @_;
    my $len = length $body;
    my $sha = sha256_hex($body);
    my $re = "\\Amethod POST\\nlength $len\\nsha256 $sha\\n";

    for my $name (sort keys %headers) {
        $re .= "(?=.*^header " . quotemeta("$name: $headers{$name}") . "\$)";
    }

    return qr/$re/sm;
}

# $body as a chunked request body of $size-byte chunks, last chunk included
sub chunked {
    my ($body, $size) = @_;
    my $out = '';

    for (my $i = 0; $i < length $body; $i += $size) {
        my $c = substr $body, $i, $size;
        $out .= sprintf("%x\r\n", length $c) . $c . "\r\n";
    }

    return $out . "0\r\n\r\n";
}

1;
