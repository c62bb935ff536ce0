#!/usr/bin/env perl
# The precancel benchmark harness; run it through bench/run, which checks
# the tools first.  See bench/README.md.
#
#   bench/run [throughput]   check every variant, then time them with wrk
#   bench/run check          the correctness check only
#   bench/run callgrind      instructions per request, proxy vs module
#   bench/run memory         request pool size, proxy vs module
#
# Loopback only (127.0.0.1), every process it starts is remembered by PID
# and stopped on exit, INT or TERM; nothing else is ever signalled.
# Perl core modules only.

use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA qw(hmac_sha512_hex);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use IO::Socket::INET ();
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use POSIX qw(strftime WNOHANG);
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);

use FindBin ();
use lib $FindBin::Bin;
use Callgrind ();

$| = 1;

my $bench = dirname(abs_path($0));
my $top = dirname($bench);

sub env { my ($k, $d) = @_; defined $ENV{$k} && $ENV{$k} ne '' ? $ENV{$k} : $d }

my %cfg = (
    nginx       => env('NGINX_BIN', '/usr/sbin/nginx'),
    module      => env('MODULE', "$top/build/nginx/objs/ngx_http_precancel_module.so"),
    njs_module  => env('NJS_MODULE', '/usr/lib/nginx/modules/ngx_http_js_module.so'),
    node        => env('NODE', 'node'),
    wrk         => env('WRK', 'wrk'),
    key         => env('KEY', "$top/t/keys/test1.key"),
    rounds      => env('ROUNDS', 3),
    duration    => env('DURATION', 10),
    warmup      => env('WARMUP', 2),
    connections => env('CONNECTIONS', 32),
    threads     => env('THREADS', 1),
    workers     => env('WORKERS', 1),
    port        => env('BENCH_PORT', 19900),
    variants    => env('VARIANTS', 'static proxy module billing njs app'),
    cg_n        => env('N', 2000),
    cg_warmup   => env('CG_WARMUP', 200),
    mem_n       => env('MEM_N', 50),
    strict      => env('STRICT', 0),
    pin         => env('PIN', 'default'),
);

my $mode = shift(@ARGV) // 'throughput';
die "usage: bench/run [throughput|paired|check|callgrind|memory]\n"
    unless $mode =~ /^(throughput|paired|check|callgrind|memory)$/;

# paired pins by default: wrk and the stand-in on the first CPU, the two
# nginx under test together on the second, as bench/webhook.pl does; left
# to the scheduler, each round lands in a fast or a slow mode, and the
# ratios of one run spread over 0.92-1.38 where pinned they keep within
# a few hundredths (bench/README.md)
if ($cfg{pin} eq 'default') {
    my $ncpu = `nproc 2>/dev/null` || 1;
    $cfg{pin} = ($mode eq 'paired' && $ncpu >= 2) ? '0,0,1' : 'off';
}

for my $k (qw(rounds warmup connections threads workers port cg_n cg_warmup mem_n)) {
    die "bench: $k must be a positive integer, not \"$cfg{$k}\"\n"
        unless $cfg{$k} =~ /^[1-9][0-9]*$/;
}
$cfg{duration} =~ s/s$//;
die "bench: DURATION must be seconds, not \"$cfg{duration}\"\n"
    unless $cfg{duration} =~ /^[1-9][0-9]*$/;
die "bench: THREADS must not exceed CONNECTIONS\n"
    if $cfg{threads} > $cfg{connections};

# PIN=W,S,V: run wrk on CPU W, the stand-in's worker on CPU S and the
# variant's workers (and the Node.js app) on CPU V; PIN=off: let the
# scheduler place them
my %pin;
if ($cfg{pin} ne 'off') {
    die "bench: PIN must be \"off\" or three CPU numbers W,S,V, not \"$cfg{pin}\"\n"
        unless $cfg{pin} =~ /^(\d+),(\d+),(\d+)$/;
    @pin{qw(wrk standin variant)} = ($1, $2, $3);
    my $ncpu = `nproc 2>/dev/null` || 1;
    for (values %pin) {
        die "bench: PIN names CPU $_, but this machine has $ncpu CPUs\n" if $_ >= $ncpu;
    }
}
sub pin_cmd { my ($who) = @_; defined $pin{$who} ? ('taskset', '-c', $pin{$who}) : () }
sub pin_conf {
    my ($who) = @_;
    return '' unless defined $pin{$who};
    return "worker_cpu_affinity auto 1" . ('0' x $pin{$who}) . ";\n";
}

my @all_variants = qw(static proxy module billing njs app);
my @variants = split ' ', $cfg{variants};
for my $v (@variants) {
    die "bench: unknown variant \"$v\" (known: @all_variants)\n"
        unless grep { $_ eq $v } @all_variants;
}
@variants = qw(proxy module) if $mode eq 'memory';
@variants = grep { /^(proxy|module|billing)$/ } @variants if $mode eq 'paired';
@variants = qw(proxy module billing) if $mode eq 'callgrind';

# ports: the stand-in, one per variant, and the Node.js app behind "app"
my %port = (standin => $cfg{port});
my $i = 1;
$port{$_} = $cfg{port} + $i++ for @all_variants;
$port{node} = $cfg{port} + $i++;

my $results = env('RESULTS', "$top/build/bench/" . strftime('%Y%m%d-%H%M%S', localtime)
                   . ($mode eq 'throughput' ? '' : "-$mode"));
make_path($results);
$results = abs_path($results);

# A snapshot of the module, so that a rebuild during the run changes
# nothing, and what was measured
{
    my $copy = "$results/ngx_http_precancel_module.so";
    system('cp', $cfg{module}, $copy) == 0
        or die "bench: cannot copy $cfg{module}\n";
    $cfg{module_built} = $cfg{module};
    $cfg{module} = $copy;
    my $rev = `git -C '$top' rev-parse --short HEAD 2>/dev/null` // '';
    my $dirty = `git -C '$top' status --porcelain -- src config 2>/dev/null` // '';
    chomp $rev;
    my $sha = Digest::SHA->new(256)->addfile($copy)->hexdigest;
    open(my $info, '>', "$results/info.txt") or die;
    print $info "mode: $mode\ndate: ", scalar(localtime), "\n",
        "git: $rev", ($dirty ne '' ? " (src/ or config modified)" : ''), "\n",
        "module: $cfg{module_built}\nmodule sha256: $sha\n",
        "nginx: ", `$cfg{nginx} -v 2>&1`,
        "cpus: ", `nproc 2>/dev/null` // "?\n",
        map({ "$_: $cfg{$_}\n" } qw(rounds duration warmup connections threads workers pin cg_n cg_warmup mem_n)),
        "variants: @variants\n";
    close $info;
}

# what the browser sends: the fields come from request headers; a cookie
# and an authorization header that must never reach the provider
my @browser_headers = ('X-Subscription-Id: sub_bench_42',
                       'X-Account-Id: acct_bench_7');
my @secret_headers = ('Cookie: session=browser-secret',
                      'Authorization: Bearer browser-secret');
my $session_url = 'https://cancel.example.com/session/bench';
my $billing_reply = '{"hosted_page":{"id":"hp_bench","type":"pre_cancel",'
    . '"url":"' . $session_url . '","state":"created"}}';
my $body_re = qr/^\{"app_id":"APP_BENCH","subscription_id":"sub_bench_42","account":\{"internal_id":"acct_bench_7"\},"timestamp":"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z"\}\z/;

# the private key, as the module takes it: first line, no trailing space
open(my $kfh, '<', $cfg{key}) or die "bench: cannot read $cfg{key}: $!\n";
my $key = do { local $/; <$kfh> };
close $kfh;
$key =~ s/\s+\z//;
die "bench: empty key in $cfg{key}\n" unless length $key;

# the Billing variant's site API key, and the credential it must send
open(my $afh, '<', "$top/t/keys/billing1.key")
    or die "bench: cannot read $top/t/keys/billing1.key: $!\n";
my $api_key = <$afh> // '';
close $afh;
$api_key =~ s/\s+\z//;
my $basic = 'Basic ' . encode_base64("$api_key:", '');

# the proxy variant's fixed body and signature: same shape and length
my $fixed_body = '{"app_id":"APP_BENCH","subscription_id":"sub_bench_42",'
    . '"account":{"internal_id":"acct_bench_7"},"timestamp":"2026-01-01T00:00:00Z"}';
my $fixed_sig = hmac_sha512_hex($fixed_body, $key);

# ------------------------------------------------------------ processes

my %children;       # pid => name; only these are ever signalled
my $cleaning = 0;

sub spawn {
    my ($name, $log, @cmd) = @_;
    my $pid = fork() // die "bench: fork: $!\n";
    if ($pid == 0) {
        setpgrp(0, 0);      # a terminal's ^C goes to us, we stop them
        open(STDIN, '<', '/dev/null');
        if ($log) {
            open(STDOUT, '>>', $log) or die "$log: $!";
            open(STDERR, '>&', \*STDOUT);
        }
        exec(@cmd) or do { print STDERR "exec $cmd[0]: $!\n"; POSIX::_exit(127) };
    }
    $children{$pid} = $name;
    return $pid;
}

sub stop {
    my ($pid, $sig) = @_;
    return unless $children{$pid};
    kill($sig // 'TERM', $pid);
    my $t = time + 10;
    while (time < $t) {
        if (waitpid($pid, WNOHANG) == $pid) { delete $children{$pid}; return }
        sleep 0.05;
    }
    kill('KILL', $pid);
    waitpid($pid, 0);
    delete $children{$pid};
}

sub cleanup {
    return if $cleaning++;
    stop($_) for keys %children;
}

$SIG{INT} = $SIG{TERM} = sub { print STDERR "\nbench: interrupted, stopping\n"; cleanup(); exit 130 };
END { my $rc = $?; cleanup(); $? = $rc }

sub fail {
    my ($msg) = @_;
    print STDERR "\n*** BENCH FAILED: $msg\n*** results so far: $results\n";
    cleanup();
    exit 1;
}

sub alive { my ($pid) = @_; waitpid($pid, WNOHANG) == 0 }

sub wait_port {
    my ($port, $pid, $what, $timeout) = @_;
    my $t = time + ($timeout // 10);
    while (time < $t) {
        fail("$what exited before listening on 127.0.0.1:$port") unless alive($pid);
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Proto => 'tcp', Timeout => 1);
        if ($s) { close $s; return }
        sleep 0.1;
    }
    fail("$what did not listen on 127.0.0.1:$port within ${\($timeout // 10)}s");
}

sub port_free {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return 1 unless $s;
    close $s;
    return 0;
}

# ------------------------------------------------------------ configs

sub slurp { open(my $f, '<', $_[0]) or die "$_[0]: $!\n"; local $/; <$f> }
sub spew { open(my $f, '>', $_[0]) or die "$_[0]: $!\n"; print $f $_[1]; close $f or die "$_[0]: $!\n" }

sub fill {
    my ($text, %v) = @_;
    $text =~ s/\@([A-Z0-9_]+)\@/exists $v{$1} ? $v{$1} : die "bench: no value for \@$1\@\n"/ge;
    return $text;
}

# The part of every nginx configuration that is not the variant's own.
# $how: 'daemon' (a child of ours, master + workers), 'single' (one
# process, for valgrind), 'debug' (as daemon, with a debug log)
sub nginx_conf {
    my ($name, $dir, $how, $modules, $http, $cpu) = @_;
    my $load = join '', map { "load_module $_;\n" } @$modules;
    my $proc = $how eq 'single'
        ? "master_process off;\ndaemon off;\nworker_processes 1;\n"
        : "daemon off;\nworker_processes $cfg{workers};\n" . ($cpu // '');
    my $log = $how eq 'debug' ? "$dir/debug.log debug" : "$dir/error.log warn";
    my $user = $> == 0 ? "user nobody nogroup;\n" : '';
    return <<"EOF";
# $name: generated by bench/bench.pl
$load
$proc$user
pid        $dir/nginx.pid;
error_log  $log;

# as a deployment would: precancel_redirect_allow is then matched by JIT code
pcre_jit   on;

events {
    worker_connections  4096;
}

http {
    access_log  off;
    keepalive_requests  10000000;
    keepalive_timeout   300s;

    client_body_temp_path  $dir/tmp/body;
    proxy_temp_path        $dir/tmp/proxy;
    fastcgi_temp_path      $dir/tmp/fastcgi;
    uwsgi_temp_path        $dir/tmp/uwsgi;
    scgi_temp_path         $dir/tmp/scgi;

    upstream standin {
        server  127.0.0.1:$port{standin};
        keepalive  32;
        keepalive_requests  10000000;
        keepalive_timeout   300s;
    }

$http}
EOF
}

sub standin_conf {
    my ($dir, $mode) = @_;
    my %mode = $mode eq 'check'
        ? (PRECANCEL     => "access_log $dir/check.log check;\n"
                          . "            proxy_pass http://127.0.0.1:$port{standin}/_reply;",
           PRECANCEL_302 => "access_log $dir/check.log check;\n"
                          . "            proxy_pass http://127.0.0.1:$port{standin}/_reply-302;",
           BILLING       => "access_log $dir/check.log check;\n"
                          . "            proxy_pass http://127.0.0.1:$port{standin}/_reply-billing;")
        : (PRECANCEL     => "default_type application/json;\n"
                          . "            return 200 '{\"valid\":true,\"message\":\"$session_url\"}';",
           PRECANCEL_302 => "return 302 $session_url;",
           BILLING       => "default_type application/json;\n"
                          . "            return 200 '$billing_reply';");
    my $http = fill(slurp("$bench/conf/standin.conf"), %mode,
                    MODE => $mode, PORT => $port{standin}, DIR => $dir,
                    BILLING_REPLY => $billing_reply);
    $http =~ s/^.*?\nhttp \{\n//s;      # keep the http block's contents
    $http =~ s/\}\s*\z//;
    my $conf = nginx_conf('stand-in', $dir, 'daemon', [], $http, pin_conf('standin'));
    $conf =~ s/worker_processes \d+;/worker_processes 1;/;
    $conf =~ s/\n    upstream standin \{.*?\n    \}\n//s;
    return $conf;
}

sub prepare_dir {
    my ($dir) = @_;
    make_path("$dir/tmp");
    chmod 0755, $dir;
}

sub start_nginx {
    my ($name, $dir, $conf, $port, @wrap) = @_;
    fail("port 127.0.0.1:$port is in use (set BENCH_PORT to move all the ports)")
        unless port_free($port);
    spew("$dir/nginx.conf", $conf);
    my @cmd = ($cfg{nginx}, '-p', "$dir/", '-c', "$dir/nginx.conf", '-e', "$dir/error.log");
    if (system(@cmd, '-t', '-q') != 0) {
        fail("nginx -t failed for $name, see $dir/nginx.conf and $dir/error.log");
    }
    my $pid = spawn($name, "$dir/stderr.log", @wrap, @cmd);
    wait_port($port, $pid, $name, @wrap ? 120 : 10);
    return $pid;
}

my ($standin_pid, $standin_dir);

sub start_standin {
    my ($mode) = @_;
    $standin_dir = "$results/standin";
    prepare_dir($standin_dir);
    $standin_pid = start_nginx('stand-in', $standin_dir,
                               standin_conf($standin_dir, $mode), $port{standin});
    wait_mode($mode);
}

sub wait_mode {
    my ($mode) = @_;
    my $t = time + 15;
    while (time < $t) {
        my $r = http_get($port{standin}, '/mode');
        return if $r && $r->{body} eq "$mode\n";
        sleep 0.1;
    }
    fail("the stand-in did not switch to $mode mode");
}

sub standin_mode {
    my ($mode) = @_;
    spew("$standin_dir/nginx.conf", standin_conf($standin_dir, $mode));
    kill('HUP', $standin_pid);
    wait_mode($mode);
    sleep 0.5;      # the old worker closes its idle keepalive connections
}

my %variant_pid;
my %node_pid;       # the Node.js app behind a variant

sub variant_conf {
    my ($v, $dir, $how) = @_;
    my @modules;
    push @modules, $cfg{module} if $v eq 'module' || $v eq 'billing';
    push @modules, $cfg{njs_module} if $v eq 'njs';
    my $http = fill(slurp("$bench/conf/$v.conf"),
                    PORT => $port{$v}, DIR => $dir, KEY => "$dir/precancel.key",
                    API_KEY => "$dir/chargebee.key",
                    APP_PORT => $port{node}, BODY => $fixed_body,
                    SIGNATURE => $fixed_sig);
    $http =~ s/^/    /mg;
    $http =~ s/^    $//mg;
    return nginx_conf($v, $dir, $how, \@modules, $http, pin_conf('variant'));
}

sub start_variant {
    my ($v, $how, @wrap) = @_;
    my $dir = "$results/$v";
    prepare_dir($dir);
    # a private copy of the test key, 0600 as the module wants it
    spew("$dir/precancel.key", "$key\n");
    chmod 0600, "$dir/precancel.key";
    if ($v eq 'billing') {
        spew("$dir/chargebee.key", "$api_key\n");
        chmod 0600, "$dir/chargebee.key";
    }
    if ($v eq 'njs') {
        spew("$dir/precancel.js", fill(slurp("$bench/conf/precancel.js"),
                                       KEY_JSON => JSON::PP->new->ascii->allow_nonref->encode($key)));
        chmod 0600, "$dir/precancel.js";
    }
    if ($v eq 'app') {
        fail("port 127.0.0.1:$port{node} is in use") unless port_free($port{node});
        my $pid = spawn('node app', "$dir/node.log", pin_cmd('variant'), $cfg{node}, "$bench/conf/app.js",
                        $port{node}, $port{standin}, "$dir/precancel.key");
        $node_pid{$v} = $pid;
        wait_port($port{node}, $pid, 'the Node.js app');
    }
    $variant_pid{$v} = start_nginx($v, $dir, variant_conf($v, $dir, $how), $port{$v}, @wrap);
    return $variant_pid{$v};
}

# ------------------------------------------------------------ HTTP client

sub http_connect {
    my ($port) = @_;
    return IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                 Proto => 'tcp', Timeout => 5);
}

# one request on an open connection; returns {status, headers, body}
sub http_request {
    my ($s, $path, $extra, $close) = @_;
    my $req = "GET $path HTTP/1.1\r\nHost: bench.example.com\r\n"
        . join('', map { "$_\r\n" } @$extra)
        . ($close ? "Connection: close\r\n" : '') . "\r\n";
    syswrite($s, $req) == length($req) or return;
    my $buf = '';
    my $deadline = time + 30;
    while ($buf !~ /\r\n\r\n/) {
        return if time > $deadline;
        my $n = sysread($s, $buf, 65536, length $buf);
        return unless $n;
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($status) = $status_line =~ m{^HTTP/1\.[01] (\d{3})} or return;
    my %h;
    for (@lines) { my ($k, $v) = /^([^:]+):\s*(.*)$/ or next; $h{lc $k} = $v }
    if ($h{'transfer-encoding'} && $h{'transfer-encoding'} =~ /chunked/i) {
        while ($rest !~ /(?:^|\r\n)0\r\n\r\n/) {
            return if time > $deadline;
            my $n = sysread($s, $rest, 65536, length $rest);
            return unless $n;
        }
    } else {
        my $len = $h{'content-length'} // 0;
        while (length($rest) < $len) {
            return if time > $deadline;
            my $n = sysread($s, $rest, 65536, length $rest);
            return unless $n;
        }
    }
    return { status => $status, headers => \%h, body => $rest };
}

sub http_get {
    my ($port, $path, $extra) = @_;
    my $s = http_connect($port) or return;
    my $r = http_request($s, $path, $extra // [], 1);
    close $s;
    return $r;
}

# ------------------------------------------------------------ the check

sub check_redirect {
    my ($v, $extra) = @_;
    my $r = http_get($port{$v}, '/cancel', [@browser_headers, @{ $extra // [] }]);
    fail("$v: no answer to GET /cancel on 127.0.0.1:$port{$v}") unless $r;
    fail("$v: GET /cancel answered $r->{status}, not 302 (see $results/$v/)")
        unless $r->{status} == 302;
    my $loc = $r->{headers}{location} // '';
    fail("$v: 302 to \"$loc\", not $session_url") unless $loc eq $session_url;
}

# Verifies one request the stand-in logged in check mode; returns an error
# message, or undef when it is right.
sub verify_logged {
    my ($v, $rec) = @_;
    return verify_billing($rec) if $v eq 'billing';
    my $want_uri = $v eq 'proxy' ? '/precancel-302' : '/precancel';
    return "method $rec->{method}, not POST" unless $rec->{method} eq 'POST';
    return "URI $rec->{uri}, not $want_uri" unless $rec->{uri} eq $want_uri;
    return "Content-Type \"$rec->{content_type}\""
        unless $rec->{content_type} eq 'application/json';
    return "Signature-Public-Key \"$rec->{public_key}\""
        unless $rec->{public_key} eq 'pk_test_1';
    return "the browser's Cookie was passed" if $rec->{cookie} ne '';
    return "the browser's Authorization was passed" if $rec->{authorization} ne '';
    my $body = $rec->{body};
    return "body \"$body\" is not the expected JSON" unless $body =~ $body_re;
    my $ts = eval { timegm($6, $5, $4, $3, $2 - 1, $1) };
    return "bad timestamp in \"$body\"" unless defined $ts;
    return "timestamp $ts is more than an hour off"
        if $v ne 'proxy' && abs($ts - time) > 3600;
    return "signature \"$rec->{signature}\" is not lowercase hex of 128"
        unless $rec->{signature} =~ /^[0-9a-f]{128}\z/;
    return "signature does not verify (HMAC-SHA512 over the exact body)"
        unless $rec->{signature} eq hmac_sha512_hex($body, $key);
    return undef;
}

# the Billing call: form body, the site API key in Basic, a fresh
# idempotency key, nothing of the browser's
sub verify_billing {
    my ($rec) = @_;
    my $want_uri = '/api/v2/hosted_pages/pre_cancel';
    return "method $rec->{method}, not POST" unless $rec->{method} eq 'POST';
    return "URI $rec->{uri}, not $want_uri" unless $rec->{uri} eq $want_uri;
    return "Content-Type \"$rec->{content_type}\""
        unless $rec->{content_type} eq 'application/x-www-form-urlencoded';
    return "the browser's Cookie was passed" if $rec->{cookie} ne '';
    return "Authorization is not Basic with the site API key"
        unless $rec->{authorization} eq $basic;
    return "no idempotency key" unless $rec->{idempotency} =~ /^[0-9a-f]{32}\z/;
    return "body \"$rec->{body}\" is not subscription[id]=sub_bench_42"
        unless $rec->{body} eq 'subscription%5Bid%5D=sub_bench_42';
    return undef;
}

sub read_check_log {
    my ($from) = @_;
    my $log = "$standin_dir/check.log";
    return [] unless -e $log;
    open(my $f, '<', $log) or die "$log: $!";
    seek($f, $from, 0);
    my @recs = map { JSON::PP->new->decode($_) } grep { /\S/ } <$f>;
    close $f;
    return \@recs;
}

sub check_variants {
    my (@vs) = @_;

    # the checker itself must refuse a wrong signature and body
    my $good = { method => 'POST', uri => '/precancel', content_type => 'application/json',
                 public_key => 'pk_test_1', cookie => '', authorization => '',
                 body => $fixed_body =~ s/2026-01-01T00:00:00Z/strftime('%Y-%m-%dT%H:%M:%SZ', gmtime)/er };
    $good->{signature} = hmac_sha512_hex($good->{body}, $key);
    my $bad_sig = { %$good, signature => hmac_sha512_hex($good->{body}, "${key}x") };
    my $bad_body = { %$good, body => $good->{body} =~ s/42/43/r };
    die "bench: checker self-test failed\n"
        if verify_logged('module', $good) || !verify_logged('module', $bad_sig)
           || !verify_logged('module', $bad_body);

    print "== correctness check (stand-in in check mode, $standin_dir/check.log)\n";
    for my $v (@vs) {
        my $from = -s "$standin_dir/check.log" // 0;
        check_redirect($v, \@secret_headers);
        my $want = $v eq 'static' ? 0 : 1;
        my $recs = [];
        my $t = time + ($want ? 3 : 0.3);
        do { sleep 0.05; $recs = read_check_log($from) } while (@$recs < $want && time < $t);
        fail("$v: the stand-in received " . @$recs . " requests, expected $want")
            unless @$recs == $want;
        if ($want) {
            my $err = verify_logged($v, $recs->[0]);
            fail("$v: the precancel request is wrong: $err") if $err;
            printf "  %-7s ok: 302 to %s; POST %s, %d-byte body, %s\n", $v,
                $session_url, $recs->[0]{uri}, length $recs->[0]{body},
                $v eq 'billing' ? 'Basic credential and form verified'
                : $v eq 'proxy' ? 'signature precomputed (fixed body)'
                : 'signature verified';
        } else {
            printf "  %-7s ok: 302 to %s, no upstream request\n", $v, $session_url;
        }
    }
}

# ------------------------------------------------------------ wrk

sub to_ms {
    my ($n, $u) = @_;
    return $n / 1000 if $u eq 'us';
    return $n if $u eq 'ms';
    return $n * 1000 if $u eq 's';
    return $n * 60000 if $u eq 'm';
    die "bench: unknown wrk unit $u\n";
}

sub parse_wrk {
    my ($out) = @_;
    my %r;
    ($r{rps}) = $out =~ /^Requests\/sec:\s+([\d.]+)/m;
    ($r{requests}) = $out =~ /^\s*(\d+) requests in /m;
    for my $p (50, 99) {
        my ($n, $u) = $out =~ /^\s+$p(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$/m;
        $r{"p$p"} = defined $n ? to_ms($n, $u) : undef;
    }
    ($r{non3xx}) = $out =~ /Non-2xx or 3xx responses:\s+(\d+)/;
    $r{non3xx} //= 0;
    if ($out =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) {
        @r{qw(connect_err read_err write_err timeout_err)} = ($1, $2, $3, $4);
    }
    return \%r;
}

# ------------------------------------------------------------ CPU time
# Where the machine's time goes during a timed run, read off /proc: the
# CPU seconds of the variant's workers (and of the Node.js app), of the
# stand-in's worker and of wrk, and the whole machine's busy, idle and
# steal time.  Unlike requests/s, CPU time per request does not depend
# much on how the scheduler shares two cores among three processes.

my $clk_tck = eval { POSIX::sysconf(POSIX::_SC_CLK_TCK()) } || 100;


sub proc_stat {
    my ($pid) = @_;
    open(my $f, '<', "/proc/$pid/stat") or return;
    my $s = <$f>;
    close $f;
    $s =~ s/^.*\)\s+// or return;      # the name may hold spaces
    return [split ' ', $s];             # [0] state, [1] ppid, [11] utime
}

sub cpu_seconds {      # (user, user + system) of these processes and their
    my @pids = @_;      # children, from one pass over /proc
    my %want = map { $_ => 1 } @pids;
    opendir(my $d, '/proc') or return 0;
    for my $p (grep { /^\d+$/ } readdir $d) {
        my $st = proc_stat($p) or next;
        $want{$p} = 1 if $want{$st->[1]};
    }
    closedir $d;
    my ($user, $all) = (0, 0);
    for my $p (keys %want) {
        my $st = proc_stat($p) or next;
        $user += $st->[11];
        $all += $st->[11] + $st->[12];
    }
    return ($user / $clk_tck, $all / $clk_tck);
}

sub machine_ticks {    # busy, idle, steal
    open(my $f, '<', '/proc/stat') or return (0, 0, 0);
    my ($u, $n, $s, $idle, $io, $irq, $sirq, $steal) = (split ' ', scalar <$f>)[1 .. 8];
    close $f;
    return (($u + $n + $s + $irq + $sirq) / $clk_tck, ($idle + $io) / $clk_tck,
            ($steal // 0) / $clk_tck);
}

sub cpu_snapshot {
    my ($v) = @_;
    my @vp = ($variant_pid{$v});
    push @vp, $node_pid{$v} if $node_pid{$v};
    my @t = times;
    my ($variant_user, $variant) = cpu_seconds(@vp);
    return { variant => $variant, variant_user => $variant_user,
             standin => (cpu_seconds($standin_pid))[1], wrk => $t[2] + $t[3],
             machine => [machine_ticks()] };
}

sub cpu_used {         # microseconds per request, and the machine's shares
    my ($a, $b, $requests) = @_;
    my %c;
    $c{$_} = 1e6 * ($b->{$_} - $a->{$_}) / $requests for qw(variant variant_user standin wrk);
    my ($busy, $idle, $steal) = map { $b->{machine}[$_] - $a->{machine}[$_] } 0 .. 2;
    my $all = $busy + $idle + $steal || 1;
    $c{machine} = 1e6 * $busy / $requests;
    $c{busy} = 100 * $busy / $all;
    $c{steal} = 100 * $steal / $all;
    return \%c;
}

# wrk against variant $v for $secs seconds, in the background: returns
# what finish_wrk needs
sub start_wrk {
    my ($v, $secs, $out_file, $connections) = @_;
    my @cmd = (pin_cmd('wrk'), $cfg{wrk}, '--latency', '-c', $connections // $cfg{connections},
               '-t', $cfg{threads}, '-d', "${secs}s", '--timeout', '5s',
               (map { ('-H', $_) } @browser_headers),
               "http://127.0.0.1:$port{$v}/cancel");
    my $pid = open(my $fh, '-|') // die "bench: fork: $!\n";
    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT);
        exec(@cmd) or POSIX::_exit(127);
    }
    $children{$pid} = 'wrk';
    return { v => $v, pid => $pid, fh => $fh, cmd => \@cmd, out_file => $out_file };
}

# waits for one start_wrk, checks and parses its output
sub finish_wrk {
    my ($w) = @_;
    my ($v, $fh) = @$w{qw(v fh)};
    my $out = do { local $/; <$fh> };
    close $fh;
    my $rc = $?;
    delete $children{ $w->{pid} };
    spew($w->{out_file}, "\$ @{ $w->{cmd} }\n$out") if $w->{out_file};
    fail("wrk failed for $v (exit $rc):\n$out") if $rc != 0;
    my $r = parse_wrk($out);
    fail("could not parse wrk's output for $v:\n$out")
        unless defined $r->{rps} && defined $r->{p50} && defined $r->{p99};
    fail("$v answered $r->{non3xx} requests with a status other than 2xx/3xx "
         . "during the run: the variant is broken under load, not fast\n$out")
        if $r->{non3xx};
    my $errs = ($r->{connect_err} // 0) + ($r->{read_err} // 0) + ($r->{write_err} // 0);
    fail("$v: wrk saw socket errors during the run:\n$out") if $errs;
    print STDERR "bench: warning: $v: $r->{timeout_err} wrk timeouts\n" if $r->{timeout_err};
    return $r;
}

sub run_wrk {
    my ($v, $secs, $out_file) = @_;
    my $cpu0 = cpu_snapshot($v);
    my $r = finish_wrk(start_wrk($v, $secs, $out_file));
    $r->{cpu} = cpu_used($cpu0, cpu_snapshot($v), $r->{requests} || 1);
    return $r;
}

# Two variants under load at the same time, each from its own wrk with
# half the connections: both meet the same machine (other load, CPU
# frequency, how the scheduler shares the cores) over the same seconds,
# so the ratio of their CPU time per request is not moved by drift
# between one run and the next.  Only the variants' own CPU is read.
sub run_wrk_pair {
    my ($v1, $v2, $secs, $round) = @_;
    my $half = int($cfg{connections} / 2) || 1;
    my %cpu0 = map { $_ => cpu_snapshot($_) } $v1, $v2;
    my @w = map { start_wrk($_, $secs, defined $round ? "$results/wrk-pair$round-$_.txt" : undef, $half) }
            $v1, $v2;
    my %r = map { $_->{v} => finish_wrk($_) } @w;
    my %cpu1 = map { $_ => cpu_snapshot($_) } $v1, $v2;
    $r{$_}{cpu} = cpu_used($cpu0{$_}, $cpu1{$_}, $r{$_}{requests} || 1) for $v1, $v2;
    return \%r;
}

# The stand-in in check mode and every variant started and checked, as
# each mode begins
sub start_checked {
    start_standin('check');
    start_variant($_, 'daemon') for @variants;
    check_variants(@variants);
}

# The median of ratios: the two middle values averaged for an even count
# (memory's median() keeps a pool size some request really had instead)
sub middle {
    my @s = sort { $a <=> $b } @_;
    return @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2;
}

sub fmt_ms { my ($ms) = @_; $ms < 1 ? sprintf('%.0fus', $ms * 1000) : sprintf('%.2fms', $ms) }

sub throughput {
    start_checked();
    standin_mode('fast');

    my @table;
    my $out = '';
    my $line = sub { my ($s) = @_; print $s; $out .= $s };

    print "\n== timing: $cfg{rounds} rounds of wrk -c $cfg{connections} -t $cfg{threads} "
        . "-d $cfg{duration}s after ${\ $cfg{warmup}}s warm-up, interleaved\n";
    my %res;
    for my $round (1 .. $cfg{rounds}) {
        for my $v (@variants) {
            check_redirect($v);
            run_wrk($v, $cfg{warmup});
            my $r = run_wrk($v, $cfg{duration}, "$results/wrk-round$round-$v.txt");
            $res{$round}{$v} = $r;
            my $c = $r->{cpu};
            printf "  round %d %-7s %10.0f req/s  p50 %-8s p99 %-8s  cpu us/req: "
                . "variant %5.1f (user %5.1f) stand-in %4.1f wrk %4.1f machine %5.1f "
                . "(busy %3.0f%%, steal %2.0f%%)\n",
                $round, $v, $r->{rps}, fmt_ms($r->{p50}), fmt_ms($r->{p99}),
                @$c{qw(variant variant_user standin wrk machine busy steal)};
        }
    }

    # the CPU columns: microseconds of CPU time per request of the variant's
    # nginx workers (with the Node.js app for "app"), of the stand-in, of
    # wrk, and of the whole machine (busy %: its share of the run's time)
    my $hdr = sprintf("%-5s %-7s %9s %9s %9s   %s\n", 'round', 'variant', 'req/s', 'p50', 'p99',
                      'CPU us/request: variant  stand-in   wrk  machine  busy');
    $line->("\n== results ($results)\n\n" . $hdr);
    for my $round (1 .. $cfg{rounds}) {
        for my $v (@variants) {
            my $r = $res{$round}{$v};
            my $c = $r->{cpu};
            $line->(sprintf("%-5d %-7s %9.0f %9s %9s   %23.1f %9.1f %5.1f %8.1f %4.0f%%\n",
                            $round, $v, $r->{rps}, fmt_ms($r->{p50}), fmt_ms($r->{p99}),
                            @$c{qw(variant standin wrk machine busy)}));
        }
    }

    my %have = map { $_ => 1 } @variants;
    my $rps_ratio = sub { my ($round, $a, $b) = @_; $res{$round}{$a}{rps} / $res{$round}{$b}{rps} };
    my @targets = (
        ['module req/s >= 0.85 x proxy', 'proxy', sub { $_[0]{module}{rps} / $_[0]{proxy}{rps} }, '>=', 0.85],
        ['module p99 <= 1.3 x proxy p99', 'proxy', sub { $_[0]{module}{p99} / $_[0]{proxy}{p99} }, '<=', 1.3],
        ['module req/s >= 2 x njs', 'njs', sub { $_[0]{module}{rps} / $_[0]{njs}{rps} }, '>=', 2],
        ['module req/s >= 3 x app', 'app', sub { $_[0]{module}{rps} / $_[0]{app}{rps} }, '>=', 3],
    );
    @targets = grep { $have{module} && $have{$_->[1]} } @targets;

    # Chargebee Billing: its nginx's CPU time per request against plain
    # proxying's, slot against slot; shown only, as the machine drifts
    # between slots: the target is judged by bench/run paired
    push @targets, ['billing CPU/request vs proxy', 'proxy',
                    sub { $_[0]{billing}{cpu}{variant} / ($_[0]{proxy}{cpu}{variant} || 1) },
                    '<=', 1.15, 'judged by bench/run paired']
        if $have{billing} && $have{proxy};

    if (@targets) {
        $line->("\nratios per round\n");
        for my $round (1 .. $cfg{rounds}) {
            $line->(sprintf("  round %d: %s\n", $round, join('  ', map {
                my ($label, $other, $f) = @$_;
                my $name = $label =~ /^billing/ ? "CPU billing/$other"
                         : $label =~ /p99/ ? "p99 module/$other" : "module/$other";
                sprintf('%s %.2f', $name, $f->($res{$round}));
            } @targets)));
            # the same comparison in CPU time: the other variant's CPU per
            # request over the module's, so above 1 means the module is cheaper
            my @others = grep { $have{$_} && $_ ne 'module' && $_ ne 'static' } @variants;
            $line->(sprintf("           CPU per request, %s\n", join('  ', map {
                my $o = $_;
                sprintf('%s/module %.2f (variant only %.2f)', $o,
                        $res{$round}{$o}{cpu}{machine} / ($res{$round}{module}{cpu}{machine} || 1),
                        $res{$round}{$o}{cpu}{variant} / ($res{$round}{module}{cpu}{variant} || 1));
            } @others))) if @others;
            # for scale: what plain proxying, the same round trip with no
            # work of its own, reaches over njs and app in the same round
            my @ceil = grep { $have{$_} } qw(njs app);
            $line->(sprintf("           plain proxying: %s\n", join('  ', map {
                sprintf('proxy/%s %.2f', $_, $rps_ratio->($round, 'proxy', $_))
            } @ceil))) if $have{proxy} && @ceil;
        }
        $line->("\ntargets (every round)\n");
        my $missed = 0;
        for my $t (@targets) {
            my ($label, $other, $f, $op, $limit, $info) = @$t;
            my @vals = map { $f->($res{$_}) } 1 .. $cfg{rounds};
            my @sorted = sort { $a <=> $b } @vals;
            my $worst = $op eq '>=' ? $sorted[0] : $sorted[-1];
            my $median = middle(@vals);
            if (defined $info) {
                $line->(sprintf("  %-32s worst %5.2f  median %5.2f  (%s)\n",
                                $label, $worst, $median, $info));
                next;
            }
            my $ok = $op eq '>=' ? $worst >= $limit : $worst <= $limit;
            $missed++ unless $ok;
            my $note = '';
            if (!$ok && $op eq '>=' && $other ne 'proxy' && $have{proxy}) {
                my @ceil = map { $rps_ratio->($_, 'proxy', $other) } 1 .. $cfg{rounds};
                my $low = (sort { $a <=> $b } @ceil)[0];
                $note = sprintf('  (plain proxying reaches %.2f x %s in its worst round)', $low, $other)
                    if $low < $limit;
            }
            $line->(sprintf("  %-32s worst %5.2f  median %5.2f  %s%s\n", $label, $worst, $median,
                            $ok ? 'PASS' : 'MISS', $note));
        }
        spew("$results/table.txt", $out);
        open(my $tsv, '>', "$results/results.tsv") or die;
        print $tsv "round\tvariant\trps\tp50_ms\tp99_ms\trequests\tcpu_variant_us\t"
            . "cpu_variant_user_us\tcpu_standin_us\tcpu_wrk_us\tcpu_machine_us\tbusy_pct\tsteal_pct\n";
        for my $round (1 .. $cfg{rounds}) {
            for my $v (@variants) {
                my $r = $res{$round}{$v};
                print $tsv join("\t", $round, $v, @$r{qw(rps p50 p99 requests)},
                                map { sprintf('%.2f', $_) }
                                @{$r->{cpu}}{qw(variant variant_user standin wrk machine busy steal)}), "\n";
            }
        }
        close $tsv;
        print "\nraw wrk output, table.txt and results.tsv in $results\n";
        return ($missed && $cfg{strict}) ? 3 : 0;
    }
    spew("$results/table.txt", $out);
    return 0;
}

# ------------------------------------------------------------ paired

# The CPU cost targets, measured in pairs: proxy and one other variant at
# the same time (run_wrk_pair), ROUNDS times each, the pairs interleaved.
sub paired {
    my @others = grep { $_ ne 'proxy' } @variants;
    fail("paired needs VARIANTS with proxy and another variant")
        unless @others && grep { $_ eq 'proxy' } @variants;
    start_checked();
    standin_mode('fast');

    my $half = int($cfg{connections} / 2) || 1;
    print "\n== paired timing: $cfg{rounds} rounds; in each, proxy and one other variant at once,\n"
        . "   each under wrk -c $half -t $cfg{threads} -d $cfg{duration}s after ${\ $cfg{warmup}}s warm-up\n";
    my $out = '';
    my $line = sub { my ($s) = @_; print $s; $out .= $s };
    my %ratio;
    $line->(sprintf("\n%-5s %-8s %9s %9s %12s %9s   %s\n", 'round', 'variant', 'req/s', 'proxy req/s',
                    'CPU us/req', 'proxy', 'ratio (user us/req: variant proxy)'));
    for my $round (1 .. $cfg{rounds}) {
        for my $v (@others) {
            check_redirect($_) for 'proxy', $v;
            run_wrk_pair('proxy', $v, $cfg{warmup});
            my $r = run_wrk_pair('proxy', $v, $cfg{duration}, "$round-$v");
            my ($a, $b) = ($r->{$v}{cpu}, $r->{proxy}{cpu});
            my $q = $a->{variant} / ($b->{variant} || 1);
            push @{ $ratio{$v} }, $q;
            $line->(sprintf("%-5d %-8s %9.0f %11.0f %10.1f %9.1f   %5.2f  (%.1f %.1f)\n",
                            $round, $v, $r->{$v}{rps}, $r->{proxy}{rps}, $a->{variant},
                            $b->{variant}, $q, $a->{variant_user}, $b->{variant_user}));
        }
    }

    # the targets of issue 20: Retention (module) and Billing over proxy
    my %target = (module => 1.15, billing => 1.10);
    my $missed = 0;
    $line->("\nCPU per request over proxy's, nginx workers only\n");
    for my $v (@others) {
        my @s = sort { $a <=> $b } @{ $ratio{$v} };
        my $median = middle(@s);
        my $verdict = '';
        if ($target{$v}) {
            my $ok = $median <= $target{$v};
            $missed++ unless $ok;
            $verdict = sprintf('  target median <= %.2f: %s', $target{$v}, $ok ? 'PASS' : 'MISS');
        }
        $line->(sprintf("  %-8s best %5.2f  median %5.2f  worst %5.2f%s\n",
                        $v, $s[0], $median, $s[-1], $verdict));
    }
    spew("$results/paired.txt", $out);
    print "\nraw wrk output and paired.txt in $results\n";
    return ($missed && $cfg{strict}) ? 3 : 0;
}

# ------------------------------------------------------------ callgrind

# Inclusive cost of a set of functions: the cost of every call into the
# set from a function outside it (so nothing is counted twice), plus the
# exclusive cost of set members that are never called from outside.
sub inclusive_of {
    my ($cg, $in) = @_;
    my $sum = 0;
    for my $from (keys %{ $cg->{arc} }) {
        next if $in->($from);
        for my $to (keys %{ $cg->{arc}{$from} }) {
            $sum += $cg->{arc}{$from}{$to}{cost} if $in->($to);
        }
    }
    return $sum;
}

sub calls_to {
    my ($cg, $re) = @_;
    my $n = 0;
    for my $from (keys %{ $cg->{arc} }) {
        for my $to (keys %{ $cg->{arc}{$from} }) {
            my (undef, undef, $name) = split /\t/, $to, 3;
            $n += $cg->{arc}{$from}{$to}{calls} if $name =~ $re;
        }
    }
    return $n;
}

sub fn_name { (split /\t/, $_[0], 3)[2] }
sub fn_obj { my $o = (split /\t/, $_[0], 3)[0]; $o =~ s{.*/}{}; $o }

sub callgrind {
    my $n = $cfg{cg_n};
    start_checked();
    stop($variant_pid{$_}) for @variants;
    standin_mode('fast');

    my (%cg, %out);
    for my $v (@variants) {
        my $dir = "$results/$v";
        my $cgout = "$dir/callgrind.out";
        unlink glob("$cgout*");
        print "== $v under valgrind --tool=callgrind (single process)\n";
        my $pid = start_variant($v, 'single', 'valgrind', '--tool=callgrind',
                                "--callgrind-out-file=$cgout", '--dump-instr=no',
                                "--log-file=$dir/valgrind.log");
        my $s = http_connect($port{$v}) or fail("$v: cannot connect");
        for my $i (1 .. $cfg{cg_warmup}) {
            my $r = http_request($s, '/cancel', \@browser_headers);
            fail("$v under valgrind: warm-up request $i failed") unless $r && $r->{status} == 302
                && ($r->{headers}{location} // '') eq $session_url;
        }
        system('callgrind_control', '-z', $pid) == 0 or fail("callgrind_control -z $pid failed");
        for my $i (1 .. $n) {
            my $r = http_request($s, '/cancel', \@browser_headers);
            fail("$v under valgrind: request $i failed") unless $r && $r->{status} == 302
                && ($r->{headers}{location} // '') eq $session_url;
        }
        system('callgrind_control', '-d', $pid) == 0 or fail("callgrind_control -d $pid failed");
        close $s;
        my $t = time + 30;
        sleep 0.2 until -s "$cgout.1" || time > $t;
        sleep 1;
        stop($pid);
        fail("no callgrind dump in $cgout.1") unless -s "$cgout.1";
        $cg{$v} = Callgrind::parse("$cgout.1");
        system("callgrind_annotate --inclusive=yes $cgout.1 > $dir/callgrind-inclusive.txt 2>&1");
        system("callgrind_annotate $cgout.1 > $dir/callgrind-exclusive.txt 2>&1");
    }

    # Attribution.  Costs are Ir (instructions executed) per request over
    # the N timed requests on one keepalive connection, event loop and
    # syscalls' user-space side included.  The module's extra cost over
    # plain proxying is split with inclusive costs (a call's cost with all
    # it calls in turn, the "inclusive" column of callgrind_annotate),
    # taken at the first call into each group so nothing counts twice:
    #   HMAC        calls into libcrypto or ngx_edge_hmac_*
    #               (OpenSSL's own malloc/free included)
    #   JSON        calls into ngx_http_precancel_json_* and the static
    #               helpers of ngx_http_precancel_json.c (body writing and
    #               reply parsing)
    #   URL check   ngx_http_precancel_url_check and ngx_regex_exec
    #               (precancel_redirect_allow)
    #   subrequest  ngx_http_subrequest (creating it) plus the growth,
    #               module minus proxy, of the exclusive cost of the
    #               machinery a subrequest runs through a second time:
    #               the phase engine, location lookup, posted requests,
    #               the postpone filter and request finalization
    #   other       the rest of the difference (the module's own glue,
    #               variables, the 302 special response page, ...)
    # Per-function differences of exclusive cost are listed too, since
    # static functions of Debian's stripped nginx show as addresses.
    my $per = sub { $_[0] / $n };
    my $in_crypto = sub { my $o = fn_obj($_[0]); $o =~ /^libcrypto/ || fn_name($_[0]) =~ /^ngx_edge_(hmac|digest)_/ };
    my $in_json = sub { fn_name($_[0]) =~ /^ngx_http_precancel_(json|utf8)/ || (split /\t/, $_[0])[1] =~ /ngx_http_precancel_json\.c$/ };
    my $in_url = sub { fn_name($_[0]) =~ /^(ngx_http_precancel_url_check|ngx_regex_exec_array|ngx_regex_exec|pcre2_match(_8)?)$/ || (split /\t/, $_[0])[1] =~ /ngx_http_precancel_url\.c$/ };
    my $sub_re = qr/^(ngx_http_subrequest|ngx_http_post_request|ngx_http_run_posted_requests|ngx_http_core_run_phases|ngx_http_core_\w+_phase|ngx_http_\w+_handler|ngx_http_update_location_config|ngx_http_core_find_location|ngx_http_core_find_static_location|ngx_http_finalize_request|ngx_http_terminate_request|ngx_http_postpone_filter\w*|ngx_http_set_exten|ngx_http_map_uri_to_path|ngx_http_handler|ngx_http_precancel_done|ngx_http_precancel_wake)$/;

    my %tot = map { $_ => $per->($cg{$_}{total} // do { my $s = 0; $s += $_ for values %{ $cg{$_}{excl} }; $s }) } @variants;
    my $extra = $tot{module} - $tot{proxy};
    my %cat;
    for my $c (['HMAC', $in_crypto], ['JSON', $in_json], ['URL check', $in_url]) {
        $cat{$c->[0]} = $per->(inclusive_of($cg{module}, $c->[1])) - $per->(inclusive_of($cg{proxy}, $c->[1]));
    }
    my %ex = map { my $v = $_; $v => { map { fn_name($_) => 0 } () } } @variants;
    for my $v (@variants) {
        for my $k (keys %{ $cg{$v}{excl} }) {
            $ex{$v}{ fn_obj($k) . ':' . fn_name($k) } += $cg{$v}{excl}{$k};
        }
    }
    my $sub_cost = $per->(inclusive_of($cg{module}, sub { fn_name($_[0]) eq 'ngx_http_subrequest' }));
    for my $k (keys %{ { %{ $ex{module} }, %{ $ex{proxy} } } }) {
        my ($o, $name) = split /:/, $k, 2;
        next if $name eq 'ngx_http_subrequest';
        next unless $o =~ /nginx/ && $name =~ $sub_re;
        $sub_cost += $per->(($ex{module}{$k} // 0) - ($ex{proxy}{$k} // 0));
    }
    $cat{subrequest} = $sub_cost;
    my $other = $extra;
    $other -= $cat{$_} for keys %cat;

    my $o = '';
    $o .= sprintf("\n== callgrind: instructions (Ir) per request, N=%d after %d warm-up, one keepalive connection\n\n",
                  $n, $cfg{cg_warmup});
    $o .= sprintf("  %-8s %10.0f Ir/request\n", $_, $tot{$_}) for @variants;
    $o .= sprintf("  %-8s %10.0f Ir/request (%.2fx proxy)\n\n", 'extra', $extra, $tot{module} / $tot{proxy});
    $o .= "the module's extra Ir/request, by where they go:\n";
    for my $c ('HMAC', 'JSON', 'URL check', 'subrequest') {
        $o .= sprintf("  %-11s %9.0f  %5.1f%%\n", $c, $cat{$c}, 100 * $cat{$c} / $extra);
    }
    $o .= sprintf("  %-11s %9.0f  %5.1f%%\n", 'other', $other, 100 * $other / $extra);

    $o .= "\nallocations per request (calls):\n";
    for my $v (@variants) {
        $o .= sprintf("  %-8s malloc %.2f  free %.2f  posix_memalign %.2f  ngx_palloc* %.2f  CRYPTO_malloc/zalloc %.2f\n", $v,
            map { $per->(calls_to($cg{$v}, $_)) }
                qr/^malloc$/, qr/^free$/, qr/^posix_memalign$/,
                qr/^ngx_p(c|n)?alloc$/, qr/^CRYPTO_(malloc|zalloc)$/);
    }

    my @d = sort { abs($b->[1]) <=> abs($a->[1]) }
            map { [$_, $per->(($ex{module}{$_} // 0) - ($ex{proxy}{$_} // 0))] }
            keys %{ { %{ $ex{module} }, %{ $ex{proxy} } } };
    $o .= "\nlargest differences of exclusive Ir/request, module - proxy (object:function):\n";
    $o .= sprintf("  %+9.0f  %s\n", $_->[1], $_->[0]) for grep { defined } @d[0 .. 24];

    # Billing: its total against proxy's and Retention's, and where it
    # differs from plain proxying, function by function
    my @db = sort { abs($b->[1]) <=> abs($a->[1]) }
             map { [$_, $per->(($ex{billing}{$_} // 0) - ($ex{proxy}{$_} // 0))] }
             keys %{ { %{ $ex{billing} }, %{ $ex{proxy} } } };
    $o .= sprintf("\nbilling: %.0f Ir/request, %.2fx proxy, %.2fx module\n",
                  $tot{billing}, $tot{billing} / $tot{proxy}, $tot{billing} / $tot{module});
    $o .= "largest differences of exclusive Ir/request, billing - proxy (object:function):\n";
    $o .= sprintf("  %+9.0f  %s\n", $_->[1], $_->[0]) for grep { defined } @db[0 .. 24];

    $o .= "\ninclusive Ir/request of the module's entry points:\n";
    for my $f (qw(ngx_http_precancel_handler ngx_http_precancel_build_body ngx_edge_hmac_hex
                  ngx_http_subrequest ngx_http_precancel_wake ngx_http_precancel_read_reply
                  ngx_http_precancel_json_lookup ngx_http_precancel_answer)) {
        my $c = inclusive_of($cg{module}, sub { fn_name($_[0]) eq $f });
        $o .= sprintf("  %9.0f  %s\n", $per->($c), $f) if $c;
    }
    $o .= "\nfiles: $results/{proxy,module,billing}/callgrind.out.1 and callgrind-{inclusive,exclusive}.txt\n";
    print $o;
    spew("$results/callgrind.txt", $o);
    return 0;
}

# ------------------------------------------------------------ memory

# The request pool, from nginx's debug log: the pool a request is given is
# created with request_pool_size (4096) and logged as "posix_memalign:
# ADDR:4096"; more blocks of the same size are added as it fills, large
# allocations are logged as "malloc: ADDR:SIZE".  When the request is
# freed, ngx_destroy_pool() logs "free: ADDR" for each large allocation and
# then "free: ADDR, unused: N" for each block.  A subrequest allocates from
# its parent's pool, so the module's whole flow is in there.  Per request:
#   allocated = blocks x 4096 + large allocations
#   used      = allocated - the unused tails of the blocks
sub parse_pools {
    my ($log) = @_;
    open(my $f, '<', $log) or die "$log: $!";
    my (%size, @pools, $cur);
    while (my $l = <$f>) {
        if ($l =~ /(?:posix_memalign|malloc): ([0-9a-fA-F]+):(\d+)/) {
            $size{$1} = $2;
            $cur = undef;
            next;
        }
        if ($l =~ /\] \d+#\d+: \*\d+ free: ([0-9a-fA-F]+), unused: (\d+)/) {
            $cur //= { blocks => 0, large => 0, unused => 0, size => 0 };
            $cur->{first} //= $1;
            $cur->{blocks}++;
            $cur->{size} += $size{$1} // 0;
            $cur->{unused} += $2;
            next;
        }
        if ($l =~ /\] \d+#\d+: \*\d+ free: ([0-9a-fA-F]+)\s*$/) {
            if ($cur && $cur->{blocks}) { push @pools, $cur; $cur = undef }
            $cur //= { blocks => 0, large => 0, unused => 0, size => 0 };
            $cur->{large} += $size{$1} // 0;
            next;
        }
        if ($cur && $cur->{blocks}) { push @pools, $cur }
        $cur = undef if $l !~ /run cleanup/;
    }
    push @pools, $cur if $cur && $cur->{blocks};
    close $f;
    # request pools: a first block of request_pool_size
    return [ grep { ($size{ $_->{first} } // 0) == 4096 } @pools ];
}

sub median { my @s = sort { $a <=> $b } @_; $s[$#s / 2] }

sub memory {
    my $n = $cfg{mem_n};
    start_checked();
    stop($variant_pid{$_}) for @variants;
    standin_mode('fast');
    my %m;
    for my $v (@variants) {
        my $pid = start_variant($v, 'debug');
        check_redirect($v) for 1 .. 5;                  # warm-up
        truncate("$results/$v/debug.log", 0);
        my $s = http_connect($port{$v}) or fail("$v: cannot connect");
        for my $i (1 .. $n) {
            my $r = http_request($s, '/cancel', \@browser_headers);
            fail("$v: request $i failed") unless $r && $r->{status} == 302;
        }
        close $s;
        sleep 0.5;
        stop($pid);
        my $pools = parse_pools("$results/$v/debug.log");
        fail("$v: found " . @$pools . " request pools in the debug log, expected $n "
             . "(is nginx built --with-debug?)") unless @$pools >= $n;
        my @alloc = map { $_->{size} + $_->{large} } @$pools;
        my @used = map { $_->{size} + $_->{large} - $_->{unused} } @$pools;
        $m{$v} = { alloc => median(@alloc), used => median(@used),
                   max_alloc => (sort { $b <=> $a } @alloc)[0],
                   blocks => median(map { $_->{blocks} } @$pools),
                   large => median(map { $_->{large} } @$pools), pools => scalar @$pools };
    }
    my $o = sprintf("\n== request pool per request (median of %d keepalive requests, debug log)\n\n", $n);
    $o .= sprintf("  %-7s %6s %7s %10s %10s %9s\n", 'variant', 'blocks', 'large', 'allocated', 'used', 'max alloc');
    $o .= sprintf("  %-7s %6d %7d %10d %10d %9d\n", $_, @{ $m{$_} }{qw(blocks large alloc used max_alloc)}) for @variants;
    my $d = $m{module}{alloc} - $m{proxy}{alloc};
    my $du = $m{module}{used} - $m{proxy}{used};
    $o .= sprintf("\n  module - proxy: %d bytes allocated, %d used\n", $d, $du);
    $o .= sprintf("  target: request pool < 8 KiB above plain proxying  %s\n",
                  $d < 8192 ? 'PASS' : 'MISS');
    $o .= "\n(allocations OpenSSL makes with malloc are not in the pool; see bench/run callgrind)\n";
    print $o;
    spew("$results/memory.txt", $o);
    return 0;
}

# ------------------------------------------------------------ main

print "bench: mode $mode, results in $results\n";
print "bench: ports 127.0.0.1:$port{standin} (stand-in), "
    . join(', ', map { "$port{$_} ($_)" } @all_variants) . ", $port{node} (node)\n";

my $rc;
if ($mode eq 'check') {
    start_checked();
    print "all variants correct\n";
    $rc = 0;
} elsif ($mode eq 'throughput') {
    $rc = throughput();
} elsif ($mode eq 'paired') {
    $rc = paired();
} elsif ($mode eq 'callgrind') {
    $rc = callgrind();
} else {
    $rc = memory();
}
cleanup();
exit $rc;
