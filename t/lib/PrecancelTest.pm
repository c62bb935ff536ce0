package PrecancelTest;

# What every t/*.t file of this project shares: the test keys, the
# provider stand-in (started once per file) and the default http-level
# precancel configuration for blocks that do not bring their own.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Socket::INET ();
use MIME::Base64 qw(encode_base64);
use Test::Nginx::Socket ();
use PrecancelStandin ();

our $KEYS = abs_path(dirname(__FILE__) . '/../keys');

sub setup {
    my (%opt) = @_;

    # git does not keep file modes: without this nginx warns that the
    # test keys and webhook secrets can be read by other users
    chmod 0600, glob("$KEYS/*.key"), glob("$KEYS/*.secret");

    $ENV{TEST_NGINX_KEYS} = $KEYS;
    $ENV{TEST_NGINX_STANDIN_PORT} ||= free_port();

    unless ($opt{no_standin}) {
        PrecancelStandin::start(port => $ENV{TEST_NGINX_STANDIN_PORT},
                                workers => $opt{workers} || 4);
    }

    Test::Nginx::Socket::no_shuffle();

    # preprocessors run last-added first: this one sees finished blocks
    Test::Nginx::Socket::add_block_preprocessor(\&secret_checks);
    Test::Nginx::Socket::add_block_preprocessor(\&cancel_block);

    Test::Nginx::Socket::add_block_preprocessor(sub {
        my $block = shift;

        if (!defined $block->http_config) {
            $block->set_value("http_config", <<"_EOC_");
    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $KEYS/test1.key;
_EOC_
        }
    });
}

# Every private key, API key and webhook secret of t/keys (*.key,
# *.secret) and a 16-byte piece of each, and each as an HTTP Basic
# credential (Base64 of "key:", as a Billing API key is sent): none of
# them may show in any response, header or log line of any test.
sub secrets {
    my @secrets;

    for my $file (sort glob("$KEYS/*.key"), glob("$KEYS/*.secret")) {
        my $key = PrecancelStandin::read_key($file);
        next unless defined $key && length $key;
        my $basic = encode_base64("$key:", '');
        push @secrets, $key, substr($key, 8, 16), $basic,
                       substr($basic, 8, 16);
    }

    die "no test keys found in $KEYS" unless @secrets;
    return @secrets;
}

sub secrets_re {
    return join '|', map { quotemeta } secrets();
}

# Added to every block of every file: the response's headers and body
# must not hold a key, and with PRECANCEL_SWEEP_DIR set (make t sets it)
# every nginx also writes a debug error log and an access log there, for
# t/99-secrets-sweep.t to search once the whole suite has run.
sub secret_checks {
    my $block = shift;
    my $dir = $ENV{PRECANCEL_SWEEP_DIR};
    my $re = secrets_re();

    if ($dir) {
        $block->set_value("main_config", ($block->main_config // "")
                          . "\nerror_log $dir/error.log debug;\n");

        $block->set_value("http_config", ($block->http_config // "")
                          . <<"_EOC_");
    log_format precancel_sweep '\$time_local "\$request" \$status '
                               'location="\$sent_http_location" '
                               'status="\$precancel_status" '
                               'error="\$precancel_error" '
                               'webhook="\$webhook_verify_status" '
                               'secret="\$webhook_verify_secret"';
    access_log $dir/access.log precancel_sweep;
_EOC_
    }

    return if defined $block->must_die
              || !(defined $block->request || defined $block->raw_request
                   || defined $block->pipelined_requests);

    # several requests want one pattern each
    my $n = 1;
    for my $reqs ($block->request, $block->pipelined_requests) {
        $n = @$reqs if ref $reqs eq 'ARRAY';
    }
    my $each = $n > 1 ? [($re) x $n] : $re;

    $block->set_value("raw_response_headers_unlike", $each)
        unless defined $block->raw_response_headers_unlike;

    $block->set_value("response_body_unlike", $each)
        unless defined $block->response_body
               || defined $block->response_body_like
               || defined $block->response_body_unlike;
}

# A block with "--- provider URL" gets the usual pair of locations: the
# cancel location (with a fallback unless "--- no_fallback", reporting the
# two variables in headers, plus "--- cancel_config" lines) and the
# provider location proxying to URL (plus "--- provider_config" lines).
# The block's own "--- config" lines follow, at server level.
sub cancel_block {
    my $block = shift;
    my $provider = $block->provider;

    return unless defined $provider;
    chomp $provider;

    my $fallback = $block->no_fallback ? ""
        : "precancel_fallback /account/cancel/direct?r=\$precancel_status;";
    my $cancel = $block->cancel_config // "";
    my $extra = $block->provider_config // "";
    my $timeout = $extra =~ /proxy_read_timeout/ ? ""
        : "proxy_read_timeout 2s;";

    $block->set_value("config", <<"_EOC_" . ($block->config // ""));
    location = /account/cancel {
        precancel_pass /_precancel;
        $fallback
        $cancel
        add_header X-Status \$precancel_status always;
        add_header X-Error \$precancel_error always;
    }
    location = /_precancel {
        internal;
        proxy_connect_timeout 1s;
        $timeout
        $extra
        proxy_pass $provider;
    }
_EOC_
}

# a port on 127.0.0.1 that nothing listens on now
sub free_port {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                     LocalPort => 0, Proto => 'tcp',
                                     Listen => 1)
        or die "cannot find a free port: $!";
    my $port = $sock->sockport;
    close $sock;
    return $port;
}

# the private key of a test key file, for tests that look for leaks
sub key {
    my ($name) = @_;
    return PrecancelStandin::read_key("$KEYS/$name");
}

1;
