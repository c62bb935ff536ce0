#!/usr/bin/env perl
# The webhook verifier's cost: bench/webhook.pl (or make bench-webhook).
#
# One nginx (one worker, the module loaded) proxies POSTs to a sink nginx,
# once through a location with "webhook_verify github" and once through
# the same location without it.  For bodies of 1 KiB, 64 KiB and 1 MiB,
# interleaved, wrk posts the same signed body for DURATION seconds; the
# CPU time (user + system, from /proc) of the verifying nginx's worker
# divided by the requests wrk counted is the cost per request.  OpenSSL's
# own SHA-256 rate on this machine (openssl speed -evp sha256, 1 MiB
# blocks) is the physical limit of the extra work.  Last, 8 MiB bodies at
# 32 connections: the worker's resident memory must not grow with the
# body (bodies past client_body_buffer_size go to temporary files, and
# the verifier hashes them as they arrive).
#
# Perl core modules only, wrk and openssl from Debian; 127.0.0.1 only;
# every process it starts is stopped.  See bench/README.md.

use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA qw(hmac_sha256_hex);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use POSIX qw(WNOHANG strftime);
use Time::HiRes qw(sleep);

my $bench = dirname(abs_path(__FILE__));
my $top = dirname($bench);

sub env { my ($k, $d) = @_; defined $ENV{$k} && $ENV{$k} ne '' ? $ENV{$k} : $d }

my $nginx    = env('NGINX_BIN', '/usr/sbin/nginx');
my $module   = env('MODULE', "$top/build/nginx/objs/ngx_http_precancel_module.so");
my $wrk      = env('WRK', 'wrk');
my $duration = env('DURATION', 5);
my $conns    = env('CONNECTIONS', 32);
my $port     = env('BENCH_PORT', 19940);
my $results  = env('RESULTS', "$top/build/bench/" . strftime('%Y%m%d-%H%M%S', localtime) . '-webhook');
my @sizes    = split ' ', env('SIZES', '1024 65536 1048576');

die "webhook bench: the module is not built: $module\n" unless -f $module;

make_path("$results/temp");

my $secret_file = "$top/t/keys/webhook-github.secret";
open(my $sf, '<', $secret_file) or die "$secret_file: $!\n";
my $secret = <$sf>;
close $sf;
$secret =~ s/\s+\z//;

my %pids;           # pid => name; only these are ever signalled

END {
    for my $pid (keys %pids) {
        kill 'QUIT', $pid;
    }
    for my $pid (keys %pids) {
        for (1 .. 50) { last if waitpid($pid, WNOHANG); sleep 0.1 }
    }
}

sub spew { open(my $f, '>', $_[0]) or die "$_[0]: $!\n"; print $f $_[1]; close $f }

# an nginx in the foreground of its own directory; returns its master pid
sub nginx {
    my ($name, $http, @modules) = @_;
    my $dir = "$results/$name";
    make_path("$dir/logs");
    chmod 0755, $results, $dir;
    my $load = join '', map { "load_module $_;\n" } @modules;
    spew("$dir/nginx.conf", <<"_EOC_");
${load}daemon off;
master_process on;
worker_processes 1;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    client_max_body_size 16m;
    keepalive_requests 100000;
$http
}
_EOC_
    my $pid = fork() // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/stdout.log";
        open STDERR, '>&', \*STDOUT;
        exec $nginx, '-p', $dir, '-c', "$dir/nginx.conf";
        exit 127;
    }
    $pids{$pid} = $name;
    for (1 .. 50) {
        last if -s "$dir/logs/nginx.pid" && worker_of($pid);
        sleep 0.1;
    }
    die "webhook bench: $name did not start (see $dir)\n" unless worker_of($pid);
    return $pid;
}

sub worker_of {
    my ($master) = @_;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open(my $f, '<', $stat) or next;
        my $s = <$f> // '';
        close $f;
        my ($pid, $ppid) = $s =~ /^(\d+) \(.*\) \S (\d+)/ or next;
        return $pid if $ppid == $master;
    }
    return undef;
}

sub cpu_seconds {
    my ($pid) = @_;
    open(my $f, '<', "/proc/$pid/stat") or die "/proc/$pid/stat: $!\n";
    my $s = <$f>;
    close $f;
    $s =~ s/^.*\) //;
    my @f = split ' ', $s;
    return ($f[11] + $f[12]) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
}

sub rss_kb {
    my ($pid) = @_;
    open(my $f, '<', "/proc/$pid/status") or die "/proc/$pid/status: $!\n";
    my ($kb) = map { /^VmRSS:\s+(\d+)/ ? $1 : () } <$f>;
    close $f;
    return $kb;
}

my $sink_port = $port;
my $proxy_port = $port + 1;

my $sink = nginx('sink', <<"_EOC_");
    server {
        listen 127.0.0.1:$sink_port backlog=1024;
        location / { return 204; }
    }
_EOC_

my $proxy = nginx('proxy', <<"_EOC_", $module);
    upstream sink {
        server 127.0.0.1:$sink_port;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$proxy_port backlog=1024;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        location = /verified {
            webhook_verify             github;
            webhook_verify_secret_file $secret_file;
            proxy_pass http://sink/hook;
        }
        location = /plain {
            proxy_pass http://sink/hook;
        }
    }
_EOC_

my $worker = worker_of($proxy);

# one body file and one wrk script per size, the signature computed here
my %script;
for my $size (@sizes, 8 * 1048576) {
    my $body = '{"action":"cancelled","pad":"' . ('x' x ($size - 31)) . '"}';
    $body = substr($body, 0, $size);
    my $sig = 'sha256=' . hmac_sha256_hex($body, $secret);
    spew("$results/body-$size", $body);
    spew("$results/post-$size.lua", <<"_EOL_");
local f = io.open("$results/body-$size", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature-256"] = "$sig"
_EOL_
    $script{$size} = "$results/post-$size.lua";

    # the check: the signed body passes, a changed signature is refused
    my $ok = `curl -s -o /dev/null -w '%{http_code}' -H 'X-Hub-Signature-256: $sig' --data-binary \@$results/body-$size http://127.0.0.1:$proxy_port/verified`;
    (my $bad_sig = $sig) =~ tr/0-9a-f/1-9a-f0/;
    my $bad = `curl -s -o /dev/null -w '%{http_code}' -H 'X-Hub-Signature-256: $bad_sig' --data-binary \@$results/body-$size http://127.0.0.1:$proxy_port/verified`;
    die "webhook bench: a signed $size-byte body got $ok, a wrong signature $bad\n"
        unless $ok eq '204' && $bad eq '401';
}
print "== check: every signed body verified (204), a wrong signature refused (401)\n";

sub run {
    my ($loc, $size, $c, $d) = @_;
    my $cpu0 = cpu_seconds($worker);
    my $out = `$wrk -c $c -t 1 -d ${d}s -s $script{$size} http://127.0.0.1:$proxy_port/$loc 2>&1`;
    my $cpu1 = cpu_seconds($worker);
    my ($n) = $out =~ /(\d+) requests in/ or die "webhook bench: wrk: $out\n";
    die "webhook bench: $loc $size: non-2xx replies\n$out" if $out =~ /Non-2xx/;
    return { n => $n, us => 1e6 * ($cpu1 - $cpu0) / ($n || 1) };
}

# OpenSSL's SHA-256 rate in MB/s (10^6 bytes), on 1 MiB blocks
my $speed = `openssl speed -evp sha256 -bytes 1048576 -seconds 2 2>/dev/null`;
my ($kps) = $speed =~ /^sha256\s+([\d.]+)k\s*$/m;
die "webhook bench: openssl speed gave nothing usable\n" unless $kps;
my $mbps = $kps * 1000 / 1e6;

print "== $duration s of wrk -c $conns -t 1 per size and location, interleaved\n";
my %r;
for my $size (@sizes) {
    run($_, $size, $conns, 1) for qw(plain verified);     # warm-up
    for my $loc (qw(plain verified)) {
        $r{$size}{$loc} = run($loc, $size, $conns, $duration);
    }
}

my $report = sprintf "%-9s %12s %12s %7s %10s %14s %8s\n",
    'body', 'plain us/req', 'verified', 'ratio', 'extra us', 'sha256 us (1)', 'extra/(1)';
for my $size (@sizes) {
    my ($p, $v) = ($r{$size}{plain}{us}, $r{$size}{verified}{us});
    my $sha = $size / ($mbps * 1e6) * 1e6;
    $report .= sprintf "%-9s %12.1f %12.1f %7.2f %10.1f %14.1f %8.2f\n",
        $size, $p, $v, $v / $p, $v - $p, $sha, ($v - $p) / $sha;
}
my $big = $sizes[-1];
my $rate = $big / (($r{$big}{verified}{us} - $r{$big}{plain}{us}) || 1);
$report .= sprintf "(1) OpenSSL SHA-256 on this machine: %.0f MB/s (openssl speed -evp sha256, 1 MiB blocks)\n", $mbps;
$report .= sprintf "the verifier's rate at %d bytes, extra CPU only: %.0f MB/s\n", $big, $rate;

# memory: 8 MiB bodies at 32 connections, RSS before and after
my $rss0 = rss_kb($worker);
run('verified', 8 * 1048576, 32, $duration);
my $rss1 = rss_kb($worker);
$report .= sprintf "worker RSS: %d kB after the runs above, %d kB after %d s of 8 MiB bodies at 32 connections (%+d kB)\n",
    $rss0, $rss1, $duration, $rss1 - $rss0;

my $small = $r{$sizes[0]};
my @targets = (
    [sprintf('%d-byte body: verified <= 1.2 x plain CPU', $sizes[0]),
     $small->{verified}{us} / $small->{plain}{us}, 1.2],
    [sprintf('%d-byte body: extra CPU <= 1.5 x SHA-256 time', $big),
     ($r{$big}{verified}{us} - $r{$big}{plain}{us}) / ($big / ($mbps * 1e6) * 1e6), 1.5],
    ['RSS growth with 8 MiB bodies <= 2048 kB', $rss1 - $rss0, 2048],
);
$report .= "\ntargets\n";
for my $t (@targets) {
    $report .= sprintf "  %-50s %8.2f  %s\n", $t->[0], $t->[1],
        $t->[1] <= $t->[2] ? 'PASS' : 'MISS';
}

print "\n$report";
spew("$results/report.txt", $report);
print "\nresults in $results\n";
