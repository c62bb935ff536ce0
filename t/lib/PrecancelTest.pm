package PrecancelTest;

# What every t/*.t file of this project shares: the test keys, the
# provider stand-in (started once per file), the default http-level
# precancel configuration for blocks that do not bring their own, and
# the secrets sweep: every nginx a file starts writes a debug error log
# and an access log into the file's own sweep directory, and when the
# file ends they are searched for every test key and webhook secret, so
# that each file checks itself, alone, in any order, under prove -j and
# under the real Test::Nginx alike.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use File::Temp ();
use IO::Socket::INET ();
use Time::HiRes ();
use MIME::Base64 qw(encode_base64);
use Test::Nginx::Socket ();
use PrecancelStandin ();

our $KEYS = abs_path(dirname(__FILE__) . '/../keys');

# this file's sweep directory, and the process that made it (a forked
# child must not sweep when it exits)
my ($sweep, $sweep_pid);

# $PRECANCEL_SWEEP_DIR/<file> when that is set (make t: the logs stay for
# a person to read), else a temporary directory removed at exit
sub sweep_dir {
    return $sweep if defined $sweep;

    my $name = basename($0, '.t');

    if ($ENV{PRECANCEL_SWEEP_DIR}) {
        $sweep = "$ENV{PRECANCEL_SWEEP_DIR}/$name";
        make_path($sweep);
        unlink "$sweep/error.log", "$sweep/access.log";
    } else {
        $sweep = File::Temp::tempdir("precancel-sweep-$name-XXXXXX",
                                     TMPDIR => 1, CLEANUP => 1);
    }

    $sweep_pid = $$;
    return $sweep;
}

my $swept;

END {
    sweep() if defined $sweep && $sweep_pid == $$ && !$swept;
}

# the logs of every nginx this file started hold no key, no secret; a
# file that ends with done_testing() calls it just before
sub sweep {
    my @secrets = secrets();

    $swept = 1;

    for my $log ("error.log", "access.log") {
        my $path = "$sweep/$log";

        # a file whose nginx never started (must_die blocks only)
        next unless -e $path;

        open my $fh, '<', $path or die "$path: $!";
        my ($lines, $debug, $leaks) = (0, 0, 0);

        while (my $line = <$fh>) {
            $lines++;
            $debug++ if $line =~ /\[debug\]/;

            for my $s (@secrets) {
                if (index($line, $s) >= 0) {
                    $leaks++;
                    Test::More::diag("$path:$.: holds a key or a piece "
                                     . "of one");
                    last;
                }
            }
        }

        close $fh;

        # the sweep means something only if the debug lines were there;
        # an nginx built without --with-debug writes none at any level
        if ($log eq "error.log" && !nginx_has_debug()) {
            SKIP: {
                Test::More::skip("sweep: error.log cannot be a debug log: "
                                 . "this nginx was built without "
                                 . "--with-debug", 1);
            }

        } elsif ($log eq "error.log") {
            Test::More::cmp_ok($debug, '>', 0,
                               "sweep: error.log is a debug log ($debug "
                               . "of $lines lines)");
        }

        Test::More::is($leaks, 0,
                       "sweep: no key or webhook secret in the $lines "
                       . "lines of $log");
    }
}

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
    Test::Nginx::Socket::add_block_preprocessor(\&needs);
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
# must not hold a key, and every nginx also writes a debug error log and
# an access log into the file's sweep directory, searched when the file
# ends (sweep()).
sub secret_checks {
    my $block = shift;
    my $dir = sweep_dir();
    my $re = secrets_re();

    {
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

# What the nginx under test was built with ($TEST_NGINX_BINARY -V, as
# Test::Nginx runs it): nginx.org's packages have no debug log, and an
# nginx built by hand may lack a module a block uses.
my $nginx_V;

sub nginx_V {
    return $nginx_V if defined $nginx_V;

    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    $nginx_V = `$bin -V 2>&1` // '';
    return $nginx_V;
}

# 1022001 for nginx 1.22.1, as Test::Nginx's skip_nginx compares them
sub nginx_version {
    return nginx_V() =~ m{nginx/(\d+)\.(\d+)\.(\d+)}
           ? $1 * 1000000 + $2 * 1000 + $3 : 0;
}

sub nginx_has_debug {
    return nginx_V() =~ /\s--with-debug\b/ ? 1 : 0;
}

# nginx_has_module("stub_status"): --with-http_stub_status_module for
# the modules nginx builds only on request, no --without-http_..._module
# for those it builds by default
my %default_module = map { $_ => 1 }
    qw(ssi mirror proxy rewrite map gzip access auth_basic limit_req
       upstream_keepalive);

sub nginx_has_module {
    my ($name) = @_;
    my $v = nginx_V();

    return 1 if $v =~ /\s--with-http_${name}_module\b/;
    return 0 if $v =~ /\s--without-http_${name}_module\b/;
    return $default_module{$name} ? 1 : 0;
}

# "--- needs: debug stub_status auth_request": a block whose only witness
# is a debug-log line, or that uses a module nginx may be built without,
# is skipped, saying why, when the nginx under test lacks it
sub needs {
    my $block = shift;
    my $needs = $block->needs;

    return unless defined $needs;

    my @missing = grep { $_ eq 'debug' ? !nginx_has_debug()
                                       : !nginx_has_module($_) }
                  split ' ', $needs;

    return unless @missing;

    my $why = join ', ', map { $_ eq 'debug' ? '--with-debug (a debug log)'
                                             : "the http_${_} module" }
              @missing;

    # skip_nginx's "N: > 0.0.0: reason" skips with this reason, in the
    # project's runner and in Test::Nginx alike
    $block->set_value("skip_nginx", "1: > 0.0.0: this nginx is built "
                      . "without $why");
}

# For the files that start an nginx of their own (HTTP/2, requests at the
# same time): starts nginx -p $dir -c $dir/nginx.conf, waits for the pid
# file ($dir/logs/nginx.pid), and stops it (QUIT, then waits) when the
# file ends.  Bails out when it does not start.
my @own_nginx;

sub start_nginx {
    my ($nginx, $dir) = @_;

    system($nginx, '-p', $dir, '-c', "$dir/nginx.conf") == 0
        or Test::More::BAIL_OUT("nginx did not start");

    for (1 .. 50) {
        if (open my $p, '<', "$dir/logs/nginx.pid") {
            my $line = <$p>;
            if (defined $line && $line =~ /^(\d+)$/) {
                push @own_nginx, $1;
                return $1;
            }
        }
        Time::HiRes::sleep(0.1);
    }

    Test::More::BAIL_OUT("nginx wrote no pid file");
}

END {
    for my $pid (@own_nginx) {
        kill 'QUIT', $pid;
        for (1 .. 50) { last unless kill 0, $pid; Time::HiRes::sleep(0.1) }
    }
}

# a port on 127.0.0.1 that nothing listens on now, and not one this
# file was given before (the kernel may hand the same one out twice once
# it is closed, and two servers of one configuration would then clash)
my %given_port;

sub free_port {
    for (1 .. 100) {
        my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                         LocalPort => 0, Proto => 'tcp',
                                         Listen => 1)
            or die "cannot find a free port: $!";
        my $port = $sock->sockport;
        close $sock;
        return $port unless $given_port{$port}++;
    }
    die "cannot find a free port not given before";
}

# the private key of a test key file, for tests that look for leaks
sub key {
    my ($name) = @_;
    return PrecancelStandin::read_key("$KEYS/$name");
}

1;
