# The private key lives in nginx's memory only while a configuration uses
# it: after "nginx -s reload" with a new key file, the old key is gone
# from the master process (OpenSSL's copy is cleansed when the old
# configuration is freed; the module's own read buffer is cleansed at
# once).  The test reads /proc/PID/mem, so it needs root (or ptrace
# rights over nginx); the key is found before the reload, which shows the
# scan works.

use strict;
use warnings;
no warnings "portable";    # 64-bit addresses from /proc/PID/maps
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use Time::HiRes qw(sleep);
use PrecancelTest;

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my ($module) = split ' ', ($ENV{TEST_NGINX_LOAD_MODULES} || '');

plan skip_all => "TEST_NGINX_LOAD_MODULES does not name the module"
    unless $module && -f $module;
plan skip_all => "reading another process's memory needs root"
    unless $> == 0;
plan skip_all => "AddressSanitizer's shadow mappings make a memory scan "
                 . "meaningless (make asan)"
    if $ENV{PRECANCEL_ASAN_DIR};

my $keys = $PrecancelTest::KEYS;
my $old = PrecancelTest::key("test1.key");
my $new = PrecancelTest::key("test2.key");

my $dir = tempdir(CLEANUP => 1);
mkdir "$dir/logs";
copy("$keys/test1.key", "$dir/precancel.key") or die $!;
chmod 0600, "$dir/precancel.key";

my $port = PrecancelTest::free_port();

sub write_conf {
    my ($public) = @_;
    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh <<"_EOC_";
load_module $module;
worker_processes 1;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 16; }
http {
    access_log off;
    precancel_app_id            APP_TEST;
    precancel_public_key        $public;
    precancel_private_key_file  $dir/precancel.key;
    server {
        listen 127.0.0.1:$port;
        location = /account/cancel { precancel_pass /_p; }
        location = /_p { internal; return 200; }
    }
}
_EOC_
    close $fh;
}

# the readable and writable memory of a process holds $needle
sub in_memory {
    my ($pid, $needle) = @_;

    open my $maps, '<', "/proc/$pid/maps" or die "/proc/$pid/maps: $!";
    open my $mem, '<:raw', "/proc/$pid/mem" or die "/proc/$pid/mem: $!";

    while (my $line = <$maps>) {
        my ($from, $to, $perm, $path) =
            $line =~ /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/;
        next unless $perm =~ /^rw/;
        next if $path =~ /^\[(vvar|vsyscall)\]/;

        my ($start, $end) = (hex($from), hex($to));
        next if $end - $start > 1 << 30;    # not a heap nginx could fill

        # in pieces of 1 MiB, each read a needle's length into the next,
        # so that none is missed at a boundary
        for (my $at = $start; $at < $end; $at += (1 << 20)) {
            next unless sysseek($mem, $at, 0);

            my $buf = '';
            my $want = $end - $at;
            $want = (1 << 20) + length($needle) if $want > (1 << 20);

            next unless sysread($mem, $buf, $want);
            return 1 if index($buf, $needle) >= 0;
        }
    }

    return 0;
}

# stop the nginx this test started, however the test ends
my $started;

END {
    if ($started && kill 0, $started) {
        kill 'QUIT', $started;
        for (1 .. 50) { last unless kill 0, $started; sleep 0.1 }
        kill 'KILL', $started if kill 0, $started;
    }
}

sub master_pid {
    open my $fh, '<', "$dir/logs/nginx.pid" or return;
    my $pid = <$fh>;
    chomp $pid;
    return $pid;
}

write_conf("pk_test_1");
is(system($nginx, '-p', "$dir/", '-c', "$dir/nginx.conf",
          '-e', "$dir/logs/error.log"), 0, "nginx starts");

my $pid;
for (1 .. 50) { last if $pid = master_pid(); sleep 0.1 }
ok($pid, "master pid $pid");
$started = $pid;

ok(in_memory($pid, $old), "the key in use is found in the master's memory");

# a new key file and public key, then a reload
copy("$keys/test2.key", "$dir/precancel.key") or die $!;
write_conf("pk_test_2");
kill 'HUP', $pid;

my $done = 0;
for (1 .. 100) {
    sleep 0.1;
    open my $log, '<', "$dir/logs/error.log" or next;
    $done = grep { /reconfiguring|start worker process/ } <$log>;
    last if $done >= 2;
}
sleep 0.5;

ok(in_memory($pid, $new), "the new key is in the master's memory");
ok(!in_memory($pid, $old), "the old key is gone from the master's memory");

my @workers = split ' ', `pgrep -P $pid`;
ok(@workers, "a new worker runs");
ok(!in_memory($_, $old), "the old key is not in worker $_") for @workers;

kill 'QUIT', $pid;
for (1 .. 50) { last unless kill 0, $pid; sleep 0.1 }

open my $log, '<', "$dir/logs/error.log" or die $!;
my @bad = grep { /\[(alert|crit|emerg)\]/ } <$log>;
is(scalar @bad, 0, "no alert in the error log") or diag(@bad);

done_testing();
