# Prometheus metrics (precancel_metrics_zone, precancel_metrics,
# precancel_metrics_name): this file starts its own nginx with two
# workers, sends a scripted mix of cancel clicks and webhooks over many
# connections (both workers take some), and checks the exact values the
# endpoint prints; then reloads nginx (HUP) with a location more and
# checks that every value was kept and the new series start at 0.  The
# output passes promtool check metrics, the example alerting rules in
# docs/ pass promtool check rules, and a real Prometheus scrapes the
# endpoint and answers a query with a counter's value.  Last, the
# configuration errors nginx -t reports.

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

chmod 0600, glob("$PrecancelTest::KEYS/*.secret"),
            glob("$PrecancelTest::KEYS/*.key");

my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;
mkdir "$dir/logs";
my $port = PrecancelTest::free_port();
my $app = PrecancelTest::free_port();
my $keys = $PrecancelTest::KEYS;
my $sweep = PrecancelTest::sweep_dir();
my $root = "$FindBin::Bin/..";

PrecancelStandin::start(port => $app, workers => 8);

# the configuration; $more: locations only the reloaded one has
sub write_conf {
    my ($more) = @_;
    $more //= "";

    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh <<"_EOC_";
load_module $module;
worker_processes 2;
pid $dir/logs/nginx.pid;
error_log $sweep/error.log debug;
events { worker_connections 256; accept_mutex off; }
http {
    log_format pids '\$pid \$uri \$status';
    access_log $sweep/access.log pids;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;

    precancel_metrics_zone metrics:1m;

    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $keys/test1.key;

    server {
        listen 127.0.0.1:$port reuseport;
        add_header X-Status \$precancel_status always;
        add_header X-Verify \$webhook_verify_status always;
        precancel_fallback /direct;

        location = /metrics {
            precancel_metrics;
            allow 127.0.0.1;
            deny all;
        }

        location = /cancel {
            precancel_metrics_name cancel;
            precancel_pass /_ok;
        }

        location = /slow {
            precancel_metrics_name slow;
            precancel_pass /_slow;
        }

        location = /down {
            precancel_metrics_name down;
            precancel_fallback "";
            precancel_pass /_down;
        }

        location = /refused {
            precancel_metrics_name refused;
            precancel_pass /_refused;
        }

        location = /hook {
            precancel_metrics_name hooks;
            webhook_verify github;
            webhook_verify_secret_file $keys/webhook-github.secret;
            proxy_pass http://127.0.0.1:$app/echo;
        }

        # a location without a name is not counted
        location = /uncounted {
            precancel_pass /_ok;
        }

        $more

        location = /_ok { internal; proxy_pass http://127.0.0.1:$app/precancel; }
        location = /_slow { internal; proxy_pass http://127.0.0.1:$app/fault/slow?ms=350; }
        location = /_down { internal; proxy_connect_timeout 1s; proxy_pass http://127.0.0.1:1/; }
        location = /_refused { internal; proxy_pass http://127.0.0.1:$port/provider-400; }
        location = /provider-400 {
            default_type application/json;
            return 400 '{"valid":false,"message":"Invalid Key Id"}';
        }
        location = /direct { return 200 "direct\\n"; }
    }
}
_EOC_
    close $fh;
}

write_conf();
my $master = PrecancelTest::start_nginx($nginx, $dir);

sub metrics {
    return scalar `curl -s http://127.0.0.1:$port/metrics`;
}

# the value of one series in the endpoint's output, undef when absent
sub value {
    my ($out, $series) = @_;
    return $out =~ /^\Q$series\E (\S+)$/m ? $1 + 0 : undef;
}

# n requests, 4 at a time, each on a connection of its own; the status
# codes and the X-Status or X-Verify values seen, counted
sub send_many {
    my ($n, @args) = @_;
    my $quoted = join ' ', map { "'$_'" } @args;
    my $out = `seq $n | xargs -P 4 -I{} curl -s -o /dev/null -D - $quoted`;
    my (%codes, %status);
    $codes{$1}++ while $out =~ m{^HTTP/1\.1 (\d+)}mg;
    $status{$1}++ while $out =~ /^X-(?:Status|Verify): (\S+)\r?$/mg;
    return (\%codes, \%status);
}

# --- the scripted mix

my ($codes, $status);

($codes, $status) = send_many(24, "http://127.0.0.1:$port/cancel");
is($codes->{302}, 24, "24 cancel clicks: 302");
is($status->{redirected}, 24, "all of them redirected");

($codes, $status) = send_many(3, '-X', 'DELETE',
                              "http://127.0.0.1:$port/cancel");
is($codes->{405}, 3, "3 DELETE: 405");

($codes, $status) = send_many(2, "http://127.0.0.1:$port/slow");
is($status->{redirected}, 2, "2 slow provider calls: redirected");

($codes, $status) = send_many(2, "http://127.0.0.1:$port/down");
is($codes->{502}, 2, "2 calls to a provider that is down: 502");
is($status->{upstream_failed}, 2, "upstream_failed");

($codes, $status) = send_many(3, "http://127.0.0.1:$port/refused");
is($codes->{302}, 3, "3 calls the provider refuses: 302 to the fallback");
my ($refused_status) = keys %$status;
is(scalar keys %$status, 1, "one \$precancel_status for them: "
                            . ($refused_status // 'none'));

($codes, $status) = send_many(4, "http://127.0.0.1:$port/uncounted");
is($codes->{302}, 4, "4 clicks on a location without a name");

my $body = '{"id":"evt_metrics","type":"invoice.paid"}';
my $sig = WebhookTest::github(WebhookTest::secret("github"), $body);
open my $bf, '>', "$dir/hook.json" or die $!;
print $bf $body;
close $bf;

($codes, $status) = send_many(5, '-X', 'POST', '--data-binary',
                              "\@$dir/hook.json", '-H',
                              "X-Hub-Signature-256: $sig",
                              "http://127.0.0.1:$port/hook");
is($status->{ok}, 5, "5 signed webhooks: ok");

($codes, $status) = send_many(2, '-X', 'POST', '--data-binary',
                              "\@$dir/hook.json", '-H',
                              "X-Hub-Signature-256: sha256=" . "0" x 64,
                              "http://127.0.0.1:$port/hook");
is($status->{mismatch}, 2, "2 with a wrong signature: mismatch");

($codes, $status) = send_many(1, '-X', 'POST', '--data-binary',
                              "\@$dir/hook.json",
                              "http://127.0.0.1:$port/hook");
is($status->{missing}, 1, "1 unsigned: missing");

($codes, $status) = send_many(1, "http://127.0.0.1:$port/hook");
is($status->{method}, 1, "1 GET: method");

# the workers that answered, from the access log
open my $al, '<', "$sweep/access.log" or die $!;
my %pids;
while (<$al>) { $pids{$1}++ if m{^(\d+) /(cancel|hook) } }
close $al;
is(scalar keys %pids, 2, "both workers took some of the requests");

# --- the values

my %want = (
    'precancel_requests_total{location="cancel",provider="retention",status="redirected"}' => 24,
    'precancel_requests_total{location="cancel",provider="retention",status="method_not_allowed"}' => 3,
    'precancel_requests_total{location="cancel",provider="retention",status="upstream_failed"}' => 0,
    'precancel_answers_total{location="cancel",provider="retention",answer="redirected"}' => 24,
    'precancel_answers_total{location="cancel",provider="retention",answer="refused"}' => 3,
    'precancel_answers_total{location="cancel",provider="retention",answer="fallback"}' => 0,
    'precancel_provider_responses_total{location="cancel",provider="retention",class="2xx"}' => 24,
    'precancel_provider_duration_seconds_count{location="cancel",provider="retention"}' => 24,
    'precancel_provider_duration_seconds_bucket{location="cancel",provider="retention",le="+Inf"}' => 24,

    'precancel_requests_total{location="slow",provider="retention",status="redirected"}' => 2,
    'precancel_provider_duration_seconds_bucket{location="slow",provider="retention",le="0.3"}' => 0,
    'precancel_provider_duration_seconds_bucket{location="slow",provider="retention",le="0.5"}' => 2,
    'precancel_provider_duration_seconds_bucket{location="slow",provider="retention",le="0.75"}' => 2,
    'precancel_provider_duration_seconds_bucket{location="slow",provider="retention",le="+Inf"}' => 2,
    'precancel_provider_duration_seconds_bucket{location="cancel",provider="retention",le="5"}' => 24,
    'precancel_provider_duration_seconds_count{location="slow",provider="retention"}' => 2,

    'precancel_requests_total{location="down",provider="retention",status="upstream_failed"}' => 2,
    'precancel_answers_total{location="down",provider="retention",answer="refused"}' => 2,
    'precancel_provider_responses_total{location="down",provider="retention",class="none"}' => 2,

    "precancel_requests_total{location=\"refused\",provider=\"retention\",status=\"" . ($refused_status // 'none') . "\"}" => 3,
    'precancel_answers_total{location="refused",provider="retention",answer="fallback"}' => 3,
    'precancel_provider_responses_total{location="refused",provider="retention",class="4xx"}' => 3,

    'precancel_webhook_requests_total{location="hooks",scheme="github",outcome="ok"}' => 5,
    'precancel_webhook_requests_total{location="hooks",scheme="github",outcome="mismatch"}' => 2,
    'precancel_webhook_requests_total{location="hooks",scheme="github",outcome="missing"}' => 1,
    'precancel_webhook_requests_total{location="hooks",scheme="github",outcome="method"}' => 1,
    'precancel_webhook_requests_total{location="hooks",scheme="github",outcome="stale"}' => 0,
    'precancel_webhook_verified_bytes_total{location="hooks",scheme="github"}' => 5 * length($body),
);

my $out = metrics();

for my $s (sort keys %want) {
    is(value($out, $s), $want{$s}, $s);
}

my $sum = value($out, 'precancel_provider_duration_seconds_sum{location="slow",provider="retention"}');
ok(defined $sum && $sum >= 0.7 && $sum < 1.0,
   "the slow location's round trips add up to 2 x 350 ms and a bit: "
   . ($sum // 'none'));

# the buckets are printed cumulative: each at least the one before
for my $loc (qw(cancel slow down refused)) {
    my @b = $out =~ /^precancel_provider_duration_seconds_bucket\{location="$loc",[^}]*\} (\d+)$/mg;
    is(scalar @b, 11, "$loc: 11 buckets");
    is_deeply([sort { $a <=> $b } @b], \@b, "$loc: cumulative (@b)");
}

my $answers = 0;
$answers += $1 while $out =~ /^precancel_answers_total\{location="cancel",[^}]*\} (\d+)$/mg;
is($answers, 27, "each of the 27 /cancel requests counted once");

unlike($out, qr/location="uncounted"|location=""/,
       "no series for a location without precancel_metrics_name");

# one series for each name of each table: the tables are the module's
my @outcomes = $out =~ /^precancel_webhook_requests_total\{location="hooks",scheme="github",outcome="([a-z_]+)"\}/mg;
ok(scalar(@outcomes) >= 13, "a webhook series for each outcome of "
   . "\$webhook_verify_status: @outcomes");
like("@outcomes", qr/\bok\b.*\bmismatch\b.*\breplayed\b/,
     "among them ok, mismatch and replayed");

# the build
my ($changelog_version) = `head -n 1 $root/packaging/debian/changelog`
                          =~ /\(([^)]+)\)/;
my ($nginx_version) = `$nginx -v 2>&1` =~ m{nginx/(\S+)};
like($out, qr/^precancel_build_info\{version="\Q$changelog_version\E",nginx_version="\Q$nginx_version\E"\} 1$/m,
     "precancel_build_info: $changelog_version (the changelog's), nginx $nginx_version");

# the format
my $head = `curl -s -o /dev/null -D - http://127.0.0.1:$port/metrics`;
like($head, qr{^Content-Type: text/plain; version=0\.0\.4; charset=utf-8\r?$}mi,
     "Content-Type: text/plain; version=0.0.4");
like(scalar `curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:$port/metrics`,
     qr/^405$/, "a POST to the endpoint: 405");

SKIP: {
    skip "promtool is not installed (.ci/deps)", 2
        unless -x '/usr/bin/promtool';

    open my $mf, '>', "$dir/metrics.txt" or die $!;
    print $mf $out;
    close $mf;

    my $check = `promtool check metrics < $dir/metrics.txt 2>&1`;
    is($?, 0, "promtool check metrics passes") or diag($check);

    $check = `promtool check rules $root/docs/metrics-alerts.yml 2>&1`;
    is($?, 0, "promtool check rules docs/metrics-alerts.yml passes")
        or diag($check);
}

# --- a reload: the values stay, a new location's series start at 0

my @old = split ' ', `ps -o pid= --ppid $master`;
is(scalar @old, 2, "two workers before the reload");

write_conf(<<'_EOC_');
        location = /cancel-new {
            precancel_metrics_name cancel_new;
            precancel_pass /_ok;
        }
_EOC_

kill 'HUP', $master;

for (1 .. 100) {
    last unless grep { kill 0, $_ } @old;
    sleep 0.1;
}

ok(!(grep { kill 0, $_ } @old), "the old workers are gone");
my @new = split ' ', `ps -o pid= --ppid $master`;
is(scalar @new, 2, "two new workers");

$out = metrics();

for my $s (sort keys %want) {
    is(value($out, $s), $want{$s}, "after the reload: $s");
}

is(value($out, 'precancel_answers_total{location="cancel_new",provider="retention",answer="redirected"}'),
   0, "a location of the new configuration: its series at 0");

($codes, $status) = send_many(6, "http://127.0.0.1:$port/cancel");
($codes, $status) = send_many(1, "http://127.0.0.1:$port/cancel-new");

$out = metrics();
is(value($out, 'precancel_answers_total{location="cancel",provider="retention",answer="redirected"}'),
   30, "counted on from the kept value: 24 + 6");
is(value($out, 'precancel_answers_total{location="cancel_new",provider="retention",answer="redirected"}'),
   1, "the new location counts");

open my $mf2, '>', "$dir/metrics2.txt" or die $!;
print $mf2 $out;
close $mf2;

SKIP: {
    skip "promtool is not installed (.ci/deps)", 1
        unless -x '/usr/bin/promtool';

    my $check = `promtool check metrics < $dir/metrics2.txt 2>&1`;
    is($?, 0, "promtool check metrics passes after the reload")
        or diag($check);
}

# --- a real Prometheus scrapes the endpoint

SKIP: {
    skip "prometheus is not installed (.ci/deps)", 1
        unless -x '/usr/bin/prometheus';

    my $pport = PrecancelTest::free_port();
    mkdir "$dir/prometheus";

    open my $pc, '>', "$dir/prometheus.yml" or die $!;
    print $pc <<"_EOC_";
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: precancel
    static_configs:
      - targets: ['127.0.0.1:$port']
_EOC_
    close $pc;

    my $ppid = fork;
    die "fork: $!" unless defined $ppid;

    if ($ppid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/prometheus.log";
        open STDERR, '>&', \*STDOUT;
        exec '/usr/bin/prometheus', "--config.file=$dir/prometheus.yml",
             "--storage.tsdb.path=$dir/prometheus",
             "--web.listen-address=127.0.0.1:$pport";
        exit 127;
    }

    my $query = 'precancel_answers_total{location="cancel",answer="redirected"}';
    (my $q = $query) =~ s/([^A-Za-z0-9_])/sprintf("%%%02X", ord $1)/ge;
    my $got = '';

    for (1 .. 300) {
        $got = `curl -s 'http://127.0.0.1:$pport/api/v1/query?query=$q'`;
        last if $got =~ /"value":\[[0-9.]+,"\d+"\]/;
        sleep 0.1;
    }

    like($got, qr/"value":\[[0-9.]+,"30"\]/,
         "Prometheus scraped the endpoint: $query is 30")
        or diag($got, `tail -n 20 $dir/prometheus.log`);

    kill 'TERM', $ppid;
    waitpid $ppid, 0;
}

# --- configuration errors at nginx -t

sub nginx_t {
    my ($http, $server) = @_;
    my $d = tempdir(CLEANUP => 1);
    mkdir "$d/logs";
    open my $fh, '>', "$d/nginx.conf" or die $!;
    print $fh <<"_EOC_";
load_module $module;
pid $d/logs/nginx.pid;
error_log $d/logs/error.log;
events { }
http {
    access_log off;
    $http
    server { listen 127.0.0.1:$port; $server }
}
_EOC_
    close $fh;
    return scalar `$nginx -t -p $d -c $d/nginx.conf 2>&1`;
}

like(nginx_t("", "location / { precancel_metrics_name web; }"),
     qr/\[emerg\] \d+#\d+: "precancel_metrics_name web" requires "precancel_metrics_zone" in the http block/,
     "a name without the zone");
like(nginx_t("", "location / { precancel_metrics; }"),
     qr/\[emerg\] \d+#\d+: "precancel_metrics" requires "precancel_metrics_zone" in the http block/,
     "the endpoint without the zone");
like(nginx_t("precancel_metrics_zone m:1m;",
             'location / { precancel_metrics_name "a b"; }'),
     qr/\[emerg\] \d+#\d+: invalid "precancel_metrics_name" "a b": it has a character other than/,
     "a name with a space");
like(nginx_t("precancel_metrics_zone m:1m;",
             'location / { precancel_metrics_name \'x"}\'; }'),
     qr/\[emerg\] \d+#\d+: invalid "precancel_metrics_name" "x"}": it has a character other than/,
     "a name that would break the label's quoting");
like(nginx_t("precancel_metrics_zone m:1m;",
             'location / { precancel_metrics_name 9lives; }'),
     qr/\[emerg\] \d+#\d+: invalid "precancel_metrics_name" "9lives": it does not start with a letter/,
     "a name that starts with a digit");
like(nginx_t("precancel_metrics_zone m:1m; precancel_metrics_zone n:1m;", ""),
     qr/\[emerg\] \d+#\d+: "precancel_metrics_zone" directive is duplicate/,
     "two zones");
like(nginx_t("precancel_metrics_zone m:1k;", ""),
     qr/\[emerg\] \d+#\d+: zone "m" in "precancel_metrics_zone" is too small/,
     "a zone too small");
like(nginx_t("precancel_metrics_zone m;", ""),
     qr/\[emerg\] \d+#\d+: invalid zone "m" in "precancel_metrics_zone": expected NAME:SIZE/,
     "a zone without a size");
like(nginx_t("precancel_metrics_zone m:1m;",
             "location / { precancel_metrics_name web; } location /m { precancel_metrics; }"),
     qr/test is successful/, "a valid configuration");

open my $el, '<', "$sweep/error.log" or die $!;
my $log = do { local $/; <$el> };
close $el;
unlike($log, qr/\[(alert|crit|emerg)\]/, "no [alert], [crit] or [emerg]");

PrecancelTest::sweep();
done_testing();
