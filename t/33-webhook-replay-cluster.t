# The replay guard shared by a cluster (webhook_verify_replay_store), as
# a user deploys it: two nginx nodes, each with its own zone, and one
# real memcached reached through Debian's libnginx-mod-http-memc, all
# started here (Test::Nginx runs one nginx, so this file starts its own):
# - delivered through node A, the same webhook at node B: 204 (replayed);
# - a copy at B while A delivers it: 409 with Retry-After; A's delivery
#   fails (400): released, and the next copy at B reaches the application;
# - 1,000 copies at once, half to each node: the application gets one;
# - memcached stopped: fail=closed refuses with 503 (store_error),
#   fail=open delivers (store_bypassed) and the node's own zone still
#   refuses a copy; memcached frozen (it takes connections and answers
#   nothing): the timeout= deadline answers in time; memcached back:
#   guarded again.  No worker error at any point.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);
use PrecancelTest;
use PrecancelStandin;
use WebhookTest;

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my ($module) = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');
my $memc = $ENV{TEST_NGINX_MEMC_MODULE}
           || '/usr/lib/nginx/modules/ngx_http_memc_module.so';
my $memcached = '/usr/bin/memcached';

plan skip_all => "TEST_NGINX_LOAD_MODULES does not name the module"
    unless $module && -f $module;
plan skip_all => "curl is needed" unless `curl --version 2>/dev/null`;
plan skip_all => "memcached is needed (Debian's memcached)"
    unless -x $memcached;
plan skip_all => "the memc module is needed (libnginx-mod-http-memc)"
    unless -f $memc;

chmod 0600, glob("$PrecancelTest::KEYS/*.secret");

my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
my $keys = $PrecancelTest::KEYS;
my $sweep = PrecancelTest::sweep_dir();
my $app = PrecancelTest::free_port();
my $mc = PrecancelTest::free_port();
my %port = (a => PrecancelTest::free_port(), b => PrecancelTest::free_port());

# the memc module must be one this nginx loads (Debian's, for its nginx)
{
    open my $t, '>', "$dir/memc-test.conf" or die $!;
    print $t "load_module $memc;\nevents {}\n";
    close $t;
    plan skip_all => "$nginx does not load $memc"
        if system("$nginx -t -q -p $dir -c $dir/memc-test.conf"
                  . " -e $dir/memc-test.log >/dev/null 2>&1") != 0;
}

PrecancelStandin::start(port => $app, workers => 16,
                        log => "$dir/app.log");

my $memcached_pid;

sub memcached_start {
    my @user = $> == 0 ? ('-u', 'root') : ();
    $memcached_pid = fork // die "fork: $!";
    if (!$memcached_pid) {
        exec $memcached, '-l', '127.0.0.1', '-p', $mc, '-U', '0', '-c', '4096',
             @user;
        exit 127;
    }
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$mc");
        return if $s;
        sleep 0.1;
    }
    BAIL_OUT("memcached did not start");
}

sub memcached_stop {
    kill 'TERM', $memcached_pid;
    waitpid $memcached_pid, 0;
    undef $memcached_pid;
}

END {
    if ($memcached_pid) {
        kill 'CONT', $memcached_pid;
        kill 'TERM', $memcached_pid;
        waitpid $memcached_pid, 0;
    }
}

memcached_start();

for my $node (qw(a b)) {
    mkdir "$dir/$node";
    mkdir "$dir/$node/logs";
    open my $fh, '>', "$dir/$node/nginx.conf" or die $!;
    print $fh <<"_EOC_";
load_module $module;
load_module $memc;
worker_processes 2;
pid $dir/$node/logs/nginx.pid;
error_log $sweep/error-$node.log debug;
events { worker_connections 2048; accept_mutex off; }
http {
    access_log $sweep/access-$node.log;
    # the store's subrequests run the log phase too: they decide nothing
    log_subrequest on;
    client_body_temp_path $dir/$node/body;
    proxy_temp_path $dir/$node/proxy;

    webhook_verify_replay_zone hooks:1m;
    precancel_metrics_zone metrics:1m;

    upstream replay_store {
        server 127.0.0.1:$mc;
        keepalive 16;
    }

    server {
        listen 127.0.0.1:$port{$node} reuseport;
        webhook_verify github;
        webhook_verify_secret_file $keys/webhook-github.secret;
        webhook_verify_replay hooks hold=30s;
        webhook_verify_replay_store /replay-store timeout=500ms;
        add_header X-Verify \$webhook_verify_status always;
        add_header X-Node $node always;
        precancel_metrics_name hooks;

        location = /metrics { webhook_verify off; precancel_metrics; }

        # the application: slow to answer 400, or quick to answer 200
        location = /slow { proxy_pass http://127.0.0.1:$app/fault/slow?ms=1500; }
        location = /hook { proxy_pass http://127.0.0.1:$app/echo; }
        location = /open {
            webhook_verify_replay_store /replay-store timeout=500ms fail=open;
            proxy_pass http://127.0.0.1:$app/echo;
        }

        # the cluster's store: memcached's add is an atomic set-if-absent
        location = /replay-store {
            internal;
            set \$memc_cmd \$webhook_verify_store_command;
            set \$memc_key \$webhook_verify_store_key;
            set \$memc_value \$webhook_verify_store_value;
            set \$memc_exptime \$webhook_verify_store_exptime;
            memc_connect_timeout 3s;
            memc_send_timeout 3s;
            memc_read_timeout 3s;
            memc_pass replay_store;
        }
    }
}
_EOC_
    close $fh;
    PrecancelTest::start_nginx($nginx, "$dir/$node");
}

my $n = 0;

# a new signed message: its file's name and its signature
sub message {
    my ($tag) = @_;
    my $name = "msg" . ++$n . ".json";
    my $body = qq({"id":"evt_${tag}_$n","type":"invoice.paid"});
    open my $bf, '>', "$dir/$name" or die $!;
    print $bf $body;
    close $bf;
    return ($name, WebhookTest::github(WebhookTest::secret("github"), $body));
}

sub curl_args {
    my ($node, $uri, $msg) = @_;
    return "-s -o /dev/null -D - -X POST --data-binary \@$dir/$msg->[0]"
           . " -H 'Content-Type: application/json'"
           . " -H 'X-Hub-Signature-256: $msg->[1]'"
           . " http://127.0.0.1:$port{$node}$uri";
}

# one signed POST to a node: its response head
sub post {
    my $args = curl_args(@_);
    return scalar `curl $args`;
}

sub app_calls { PrecancelStandin::calls("$dir/app.log", $_[0]) }

# one of memcached's "stats": curr_items (entries held), cmd_set (add
# and set commands), delete_hits
sub mc_stat {
    my ($name) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$mc") or return -1;
    print $s "stats\r\n";
    my $value = -1;
    while (my $l = <$s>) {
        $value = $1 if $l =~ /^STAT \Q$name\E (\d+)/;
        last if $l =~ /^END/;
    }
    close $s;
    return $value;
}

# waits (5 s at most) for a stat to reach a value: a node's background
# set or delete, which its answer does not wait for
sub mc_wait {
    my ($name, $want) = @_;
    for (1 .. 100) { return if mc_stat($name) >= $want; sleep 0.05 }
    diag("memcached's $name stayed below $want");
}

sub status { $_[0] =~ m{^HTTP/1\.1 (\d+)} ? $1 : "none" }
sub verify { $_[0] =~ m{^X-Verify: (\S+)\r?$}mi ? $1 : "none" }

my ($res, $msg, $t0);

# --- delivered at A, replayed at B

$msg = [message("ab")];
my $sets = mc_stat("cmd_set");
$res = post(a => "/hook", $msg);
is(status($res), 200, "delivered at node A: 200") or diag($res);
is(verify($res), "ok", "\$webhook_verify_status ok");
mc_wait(cmd_set => $sets + 2);      # add, then set in the background

$res = post(b => "/hook", $msg);
is(status($res), 204, "the same webhook at node B: 204") or diag($res);
is(verify($res), "replayed", "\$webhook_verify_status replayed");
$res = post(a => "/hook", $msg);
is(status($res), 204, "and again at node A: 204");
is(app_calls("/echo"), 1, "the application got it once");

# --- in flight at A, a copy at B, A's delivery fails, B's retry goes on

$msg = [message("flight")];
my $first_args = curl_args(a => "/slow", $msg);
my $items = mc_stat("curr_items");
my $deletes = mc_stat("delete_hits");
open my $bg, '-|', "curl $first_args" or die $!;
mc_wait(curr_items => $items + 1);  # A's add

$res = post(b => "/slow", $msg);
is(status($res), 409, "a copy at B while A delivers it: 409") or diag($res);
like($res, qr/^Retry-After: 30\r?$/mi, "with Retry-After (the hold)");
is(verify($res), "in_flight", "\$webhook_verify_status in_flight");

my $first = do { local $/; <$bg> };
close $bg;
is(status($first), 400, "A's delivery: the application's 400");
mc_wait(delete_hits => $deletes + 1);

$res = post(b => "/slow", $msg);
is(status($res), 400,
   "released: the next copy, at B, reaches the application") or diag($res);
is(app_calls("/fault/slow"), 2, "the application saw two calls");
mc_wait(delete_hits => $deletes + 2);
$res = post(a => "/slow", $msg);
is(status($res), 400, "and at A, where it failed first, too") or diag($res);
is(app_calls("/fault/slow"), 3, "the application saw three calls");

# --- 1,000 copies at once over both nodes

$msg = [message("burst")];
open my $cfg, '>', "$dir/burst.curl" or die $!;
for my $i (1 .. 1000) {
    my $node = $i % 2 ? 'a' : 'b';
    print $cfg "next\n" if $i > 1;
    print $cfg "url = \"http://127.0.0.1:$port{$node}/hook\"\n",
               "request = \"POST\"\n",
               "data-binary = \"\@$dir/$msg->[0]\"\n",
               "header = \"X-Hub-Signature-256: $msg->[1]\"\n",
               "output = \"/dev/null\"\n",
               "silent\n",
               "write-out = \"%{http_code}\\n\"\n";
}
close $cfg;

my $out = `curl --parallel --parallel-max 200 -K $dir/burst.curl 2>/dev/null`;
my %codes;
$codes{$_}++ for split /\n/, $out;

note(join " ", map { "$_ x $codes{$_}" } sort keys %codes);
is($codes{200}, 1, "1,000 copies at once over two nodes: one 200")
    or diag(join " ", map { "$_ x $codes{$_}" } sort keys %codes);
is(($codes{409} // 0) + ($codes{204} // 0), 999,
   "the 999 others: 409 (in flight) or 204 (delivered)")
    or diag(join " ", map { "$_ x $codes{$_}" } sort keys %codes);
is(app_calls("/echo"), 2, "the application got the message once");

# --- memcached stopped

memcached_stop();

$msg = [message("down")];
$res = post(a => "/hook", $msg);
is(status($res), 503, "store down, fail=closed: 503") or diag($res);
is(verify($res), "store_error", "\$webhook_verify_status store_error");
$res = post(a => "/hook", $msg);
is(status($res), 503,
   "refused again: the node's reservation was given back, not kept");
is(app_calls("/echo"), 2, "the application did not get it");

$msg = [message("open")];
$res = post(b => "/open", $msg);
is(status($res), 200, "store down, fail=open: delivered") or diag($res);
is(verify($res), "store_bypassed", "\$webhook_verify_status store_bypassed");
$res = post(b => "/open", $msg);
is(status($res), 204, "the node's own zone still refuses a copy");
is(app_calls("/echo"), 3, "the application got it once");

# --- memcached frozen: connections are taken, nothing is answered

memcached_start();
kill 'STOP', $memcached_pid;

$msg = [message("frozen")];
$t0 = time;
$res = post(a => "/hook", $msg);
my $took = time - $t0;
is(status($res), 503, "store frozen, fail=closed: 503") or diag($res);
ok($took >= 0.4 && $took < 2.5,
   "answered at the 500 ms deadline, before memc's own 3 s timeouts")
    or diag("took $took s");

$t0 = time;
$res = post(b => "/open", $msg);
$took = time - $t0;
is(status($res), 200, "store frozen, fail=open: delivered") or diag($res);
ok($took < 2.5, "at the deadline too") or diag("took $took s");

kill 'CONT', $memcached_pid;

# --- memcached back: guarded again

$msg = [message("back")];
$sets = mc_stat("cmd_set");
$res = post(a => "/hook", $msg);
is(status($res), 200, "memcached back: delivered at A") or diag($res);
mc_wait(cmd_set => $sets + 2);
$res = post(b => "/hook", $msg);
is(status($res), 204, "and refused at B") or diag($res);

# --- the metrics: the store's outcomes have their series

sub metric {
    my ($node, $outcome) = @_;
    my $m = `curl -s http://127.0.0.1:$port{$node}/metrics`;
    return $m =~ /^precancel_webhook_requests_total\{location="hooks",scheme="github",outcome="\Q$outcome\E"\} (\d+)$/m
        ? $1 : "none";
}

is(metric(a => "store_error"), 3, "node A counted 3 store_error (down twice, frozen once)");
is(metric(b => "store_bypassed"), 2, "node B counted 2 store_bypassed (down, frozen)");
is(metric(b => "store_error"), 0, "and no store_error");

# --- the error log

my $log = '';
for my $node (qw(a b)) {
    open my $el, '<', "$sweep/error-$node.log" or die $!;
    $log .= do { local $/; <$el> };
    close $el;
}

like($log, qr/webhook verification failed \(replayed, scheme github\): the message was delivered before \(store "\/replay-store"\), answering 204 without the application/,
     "the error line of a replay found in the store");
like($log, qr/webhook verification failed \(in_flight, scheme github\): a copy of the message is being delivered \(store "\/replay-store"\), answering 409 with Retry-After/,
     "the error line of a copy in flight at another node");
like($log, qr/webhook verification failed \(store_error, scheme github\): webhook_verify_replay_store "\/replay-store" answered \(status 502\): refused, answering 503 \(fail=closed\)/,
     "the error line of fail=closed, store down");
like($log, qr/webhook verification failed \(store_error, scheme github\): webhook_verify_replay_store "\/replay-store" did not answer in time \(status 504\): refused, answering 503 \(fail=closed\)/,
     "the error line of fail=closed at the deadline");
like($log, qr/\[warn\] .*webhook_verify_replay_store "\/replay-store" answered \(status 502\): delivering without the cluster-wide check \(fail=open\)/,
     "the warning of fail=open");
unlike($log, qr/\[(alert|crit|emerg)\]/, "no [alert], [crit] or [emerg]");
unlike($log, qr/exited on signal/, "no worker crashed");

PrecancelTest::sweep();
done_testing();
