# The replay guard across requests at the same time (Test::Nginx sends
# one request at a time, so this file starts its own nginx, two workers,
# and sends with curl in parallel):
# - a copy that arrives while the first is being delivered gets 409 with
#   Retry-After, and the application is not called for it;
# - the first one's delivery fails (the application answers 400): the
#   message is released, and the next copy reaches the application;
# - 40 copies at once over both workers: the application gets exactly one.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep);
use PrecancelTest;
use PrecancelStandin;
use WebhookTest;

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my ($module) = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');

plan skip_all => "TEST_NGINX_LOAD_MODULES does not name the module"
    unless $module && -f $module;
plan skip_all => "curl is needed" unless `curl --version 2>/dev/null`;

chmod 0600, glob("$PrecancelTest::KEYS/*.secret");

my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
mkdir "$dir/logs";
my $port = PrecancelTest::free_port();
my $app = PrecancelTest::free_port();
my $keys = $PrecancelTest::KEYS;
my $sweep = PrecancelTest::sweep_dir();

PrecancelStandin::start(port => $app, workers => 8,
                        log => "$dir/app.log");

open my $fh, '>', "$dir/nginx.conf" or die $!;
print $fh <<"_EOC_";
load_module $module;
worker_processes 2;
pid $dir/logs/nginx.pid;
error_log $sweep/error.log debug;
events { worker_connections 256; accept_mutex off; }
http {
    access_log $sweep/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    webhook_verify_replay_zone hooks:1m;
    server {
        listen 127.0.0.1:$port reuseport;
        webhook_verify github;
        webhook_verify_secret_file $keys/webhook-github.secret;
        webhook_verify_replay hooks hold=30s;
        add_header X-Verify \$webhook_verify_status always;

        # the application: slow to answer 400, or quick to answer 200
        location = /slow { proxy_pass http://127.0.0.1:$app/fault/slow?ms=1500; }
        location = /hook { proxy_pass http://127.0.0.1:$app/echo; }
    }
}
_EOC_
close $fh;

PrecancelTest::start_nginx($nginx, $dir);

sub body_file {
    my ($name, $body) = @_;
    open my $bf, '>', "$dir/$name" or die $!;
    print $bf $body;
    close $bf;
    return WebhookTest::github(WebhookTest::secret("github"), $body);
}

# the command line of one signed POST; its output: status, Retry-After
sub post {
    my ($uri, $file, $sig) = @_;
    return "curl -s -o /dev/null -D - -X POST --data-binary \@$dir/$file"
           . " -H 'Content-Type: application/json'"
           . " -H 'X-Hub-Signature-256: $sig'"
           . " http://127.0.0.1:$port$uri";
}

sub app_calls { PrecancelStandin::calls("$dir/app.log", $_[0]) }

# --- in flight, then released

my $sig = body_file("one.json", '{"id":"evt_flight"}');

my $first = post("/slow", "one.json", $sig);
open my $bg, '-|', "$first" or die $!;
sleep 0.5;

my $second = `${\ post("/slow", "one.json", $sig)}`;
like($second, qr{^HTTP/1\.1 409}, "a copy while the first is delivered: 409")
    or diag($second);
like($second, qr/^Retry-After: \d+\r?$/mi, "with Retry-After");
like($second, qr/^X-Verify: in_flight\r?$/mi,
     "\$webhook_verify_status is in_flight");

my $first_res = do { local $/; <$bg> };
close $bg;
like($first_res, qr{^HTTP/1\.1 400}, "the first: the application's 400");
is(app_calls("/fault/slow"), 1, "the application saw one call so far");

my $third = `${\ post("/slow", "one.json", $sig)}`;
like($third, qr{^HTTP/1\.1 400},
     "the failed delivery released it: the next copy reaches the application")
    or diag($third);
is(app_calls("/fault/slow"), 2, "the application saw two calls");

# --- many at once over both workers: one delivery

$sig = body_file("burst.json", '{"id":"evt_burst"}');

my $cmd = post("/hook", "burst.json", $sig);
my $out = `for i in \$(seq 40); do ( $cmd | head -n 1 ) & done; wait`;
my %codes;
$codes{$1}++ while $out =~ m{^HTTP/1\.1 (\d+)}mg;

is($codes{200}, 1, "40 copies at once: one 200")
    or diag(join " ", map { "$_ x $codes{$_}" } sort keys %codes);
is(($codes{409} // 0) + ($codes{204} // 0), 39,
   "the 39 others: 409 (in flight) or 204 (delivered)");
is(app_calls("/echo"), 1, "the application got the message once");

open my $el, '<', "$sweep/error.log" or die $!;
my $log = do { local $/; <$el> };
close $el;
like($log, qr/webhook verification failed \(in_flight, scheme github\): a copy of the message is being delivered \(zone "hooks"\), answering 409 with Retry-After/,
     "the error line of a copy in flight");
unlike($log, qr/\[(alert|crit|emerg)\]/, "no [alert], [crit] or [emerg]");

PrecancelTest::sweep();
done_testing();
