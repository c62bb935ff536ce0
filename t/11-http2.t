# HTTP/2 (h2c, prior knowledge, through curl and nghttp): the browser's
# body is skipped by nginx's HTTP/2 code (with and without
# Content-Length, larger than client_body_buffer_size), the stream ends
# with the 302, other streams of the connection go on, and nothing is
# left open.
#
# A plain Test::More file: Test::Nginx's own "--- http2" mode writes
# "http2 on;", which nginx 1.22 does not know.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);
use PrecancelTest;
use PrecancelStandin ();

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my ($module) = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');

plan skip_all => "TEST_NGINX_LOAD_MODULES does not name the module"
    unless $module && -f $module;
plan skip_all => "nginx has no HTTP/2 module"
    unless `$nginx -V 2>&1` =~ /--with-http_v2_module/;
plan skip_all => "nginx has no stub_status module"
    unless PrecancelTest::nginx_has_module("stub_status");
plan skip_all => "curl cannot speak HTTP/2"
    unless `curl --version 2>&1` =~ /\bHTTP2\b/;

PrecancelTest::setup(no_standin => 1);

my $keys = $PrecancelTest::KEYS;
my $dir = tempdir(CLEANUP => 1);
mkdir "$dir/logs";

my $standin = PrecancelTest::free_port();
PrecancelStandin::start(port => $standin, workers => 4);

my $h2 = PrecancelTest::free_port();
my $h1 = PrecancelTest::free_port();
my $sweep = PrecancelTest::sweep_dir();

open my $fh, '>', "$dir/nginx.conf" or die $!;
print $fh <<"_EOC_";
load_module $module;
worker_processes 1;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log debug;
error_log $sweep/error.log debug;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $keys/test1.key;
    client_body_buffer_size     1k;
    server {
        listen 127.0.0.1:$h2 http2;
        location = /account/cancel {
            precancel_pass /_precancel;
            precancel_fallback /account/cancel/direct;
            add_header X-Status \$precancel_status always;
        }
        location = /account/slow {
            precancel_pass /_slow;
            precancel_fallback /account/cancel/direct;
        }
        location = /_precancel {
            internal;
            proxy_pass http://127.0.0.1:$standin/precancel;
        }
        location = /_slow {
            internal;
            proxy_pass http://127.0.0.1:$standin/fault/slow?ms=300;
        }
        location = /after {
            return 200 "after\\n";
        }
    }
    server {
        listen 127.0.0.1:$h1;
        location = /status {
            stub_status;
        }
    }
}
_EOC_
close $fh;

PrecancelTest::start_nginx($nginx, $dir);

my $big = "$dir/big.body";
open $fh, '>', $big or die $!;
print $fh "x" x (1024 * 1024);
close $fh;

# runs curl, each transfer after "--next" on the same connection where
# it can be, and returns "version status connects location" per transfer
sub h2 {
    my (@transfers) = @_;
    my @cmd = ('curl');
    for my $t (@transfers) {
        push @cmd, '--next' if @cmd > 1;
        push @cmd, '-s', '-o', '/dev/null', '--http2-prior-knowledge',
                   '-w', '%{http_version} %{http_code} %{num_connects} '
                         . '%header{location}\n', @$t;
    }
    open my $out, '-|', @cmd or die "curl: $!";
    my @lines = <$out>;
    close $out;
    chomp @lines;
    return @lines;
}

my $url = "http://127.0.0.1:$h2";
my $session = qr{^2 302 1 https://cancel\.example\.com/session/\S+$};

my @r = h2(["$url/account/cancel"]);
like($r[0], $session, "GET over HTTP/2: 302 to the session");

# curl 7.88 takes nginx's RST_STREAM after an early answer for an error
# while it still uploads (after a plain "return 302" too): curl gets
# bodies that fit the stream's window, nghttp the large ones

open $fh, '>', "$dir/small.body" or die $!;
print $fh "y" x 16384;
close $fh;

@r = h2(['--data-binary', "\@$dir/small.body", "$url/account/slow"]);
like($r[0], $session, "16 KiB POST body with Content-Length: 302");

@r = h2(['-X', 'POST', '-T', "$dir/small.body", '-H', 'Content-Length:',
         "$url/account/cancel"]);
like($r[0], $session, "16 KiB POST body without Content-Length: 302");

# several streams on one connection (curl 7.88 does not reuse a
# prior-knowledge connection): nghttp posts the body on every stream

sub nghttp {
    my (@args) = @_;
    open my $out, '-|', 'nghttp', '-ns', @args or die "nghttp: $!";
    my %code;
    while (my $line = <$out>) {
        $code{$2} .= "$1 " if $line =~ /^\s*\d+\s+\S+\s+\S+\s+\S+\s+(\d+)\s+\d+\s+(\S+)$/;
    }
    close $out;
    return \%code;
}

SKIP: {
    skip "nghttp is not installed (Debian package nghttp2-client)", 3
        unless `nghttp --version 2>&1` =~ /nghttp2/;

    my $code = nghttp('-d', $big, "$url/account/slow", "$url/after?1",
                      "$url/after?2", "$url/account/cancel");
    is_deeply($code, { '/account/slow' => '302 ', '/after?1' => '200 ',
                       '/after?2' => '200 ', '/account/cancel' => '302 ' },
              "1 MiB bodies with Content-Length on four streams of one "
              . "connection: 302, 200, 200, 302");

    $code = nghttp('--no-content-length', '-d', $big, "$url/account/slow",
                   "$url/after?3", "$url/account/cancel");
    is_deeply($code, { '/account/slow' => '302 ', '/after?3' => '200 ',
                       '/account/cancel' => '302 ' },
              "1 MiB bodies without Content-Length on three streams: "
              . "302, 200, 302");

    # the 302s went to the session, not to the fallback
    my $failed = `grep -c 'precancel failed' $dir/logs/error.log`;
    chomp $failed;
    is($failed, "0", "no precancel failed");
}

my $stub = `curl -s http://127.0.0.1:$h1/status`;
like($stub, qr/^Active connections: 1 /, "no connection left behind");

open my $el, '<', "$dir/logs/error.log" or die $!;
my @bad = grep { /\[(alert|crit|emerg)\]/ } <$el>;
close $el;
is("@bad", "", "no [alert], [crit] or [emerg] in the error log");

PrecancelTest::sweep();
done_testing();
