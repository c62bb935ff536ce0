# The Debian package (make deb) installed and taken off the way a user
# does it: "apt-get install ./libnginx-mod-http-precancel_*.deb" enables
# the module through a link in /etc/nginx/modules-enabled; Debian's stock
# /etc/nginx/nginx.conf plus one site that uses the module passes
# "nginx -t" and answers one cancel click with the stand-in's session URL;
# removing the package disables the module, purging it leaves the machine
# as it was before the test.
#
# Runs only as root with PRECANCEL_DEB naming the .deb (make package-test
# builds it and sets it).  It installs the package on this machine, so it
# skips, touching nothing:
# - when the package is already installed (or removed but not purged):
#   this test would purge it at the end and will not change an install
#   that it did not make;
# - when the machine's own nginx runs (/run/nginx.pid): installing and
#   removing a module package reloads that nginx (dpkg trigger
#   nginx-reload), and this test must not disturb it.
# The nginx it starts has its own prefix, pid file, logs, temporary
# directories and port (a copy of the stock nginx.conf with those lines
# replaced and the sites-enabled include pointing at the test's site).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(sleep);
use PrecancelTest;
use PrecancelStandin;

my $pkg       = 'libnginx-mod-http-precancel';
my $deb       = $ENV{PRECANCEL_DEB};
my $nginx     = '/usr/sbin/nginx';
my $available = '/usr/share/nginx/modules-available';
my $enabled   = '/etc/nginx/modules-enabled';
my $modules   = '/usr/lib/nginx/modules';
my $snippet   = "$available/mod-http-precancel.conf";
my $link      = "$enabled/50-mod-http-precancel.conf";

plan skip_all => "installs a package: run as root (make package-test)"
    unless $> == 0;
plan skip_all => "PRECANCEL_DEB does not name the package's .deb "
                 . "(make package-test builds it and sets it)"
    unless $deb && -f $deb;
plan skip_all => "$pkg is already on this machine (dpkg status "
                 . "\"" . dpkg_status() . "\"): the test would purge it"
    if dpkg_status() !~ /^(not-installed)?$/;
plan skip_all => "the machine's nginx runs (/run/nginx.pid): installing "
                 . "a module package would reload it"
    if system_nginx_runs();

$ENV{DEBIAN_FRONTEND} = 'noninteractive';
my @apt = ('apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=120');

my $dir = tempdir(CLEANUP => 1);
chmod 0755, $dir;              # the workers run as www-data
my $keys = $PrecancelTest::KEYS;
chmod 0600, "$keys/test1.key";

my $before = machine_state();
my ($ours, $nginx_pid, $standin);

END {
    my $status = $?;
    stop_nginx() if $nginx_pid;
    PrecancelStandin::stop($standin) if $standin;
    run(@apt, 'purge', $pkg) if $ours && dpkg_status() !~ /^(not-installed)?$/;
    $? = $status;
}

my ($rc, $out);

# ----------------------------------------- the previous release first

# PRECANCEL_OLD_DEB (make package-test builds it from the commit before
# the changelog's last version): installed first, so that the install
# below is the upgrade a user makes
if (my $old = $ENV{PRECANCEL_OLD_DEB}) {
    ($rc, $out) = run(@apt, 'install', '--no-install-recommends',
                      abs_path($old));
    $ours = 1;
    is($rc, 0, "apt-get install $old (the previous release)")
        or BAIL_OUT($out);
    my $v = dpkg_field('Version');
    isnt($v, deb_field($deb, 'Version'), "the previous release is $v");
    ok(-l $link, "$link is a link before the upgrade");
}

# ------------------------------------------------------------ install

# apt-get takes a path to a .deb, not a name, only with a slash in it
$deb = abs_path($deb);
($rc, $out) = run(@apt, 'install', '--no-install-recommends', $deb);
$ours = 1;
is($rc, 0, "apt-get install $deb") or BAIL_OUT($out);
is(dpkg_status(), 'installed', "$pkg is installed");
is(dpkg_field('Version'), deb_field($deb, 'Version'),
   "its version is the new one");
like(dpkg_field('Provides'), qr/\blibnginx-mod-http-webhook-verify\b/,
     "it provides libnginx-mod-http-webhook-verify");

ok(-f "$modules/ngx_http_precancel_module.so", "the module is in $modules");
is(slurp($snippet), "load_module modules/ngx_http_precancel_module.so;\n",
   "$snippet loads it");
ok(-l $link, "$link is a link");
is(readlink($link), $snippet, "which points at the modules-available snippet");
ok(-f "/usr/share/doc/$pkg/copyright", "copyright file installed");

# --------------------------------- the stock nginx.conf with one site

my $port = PrecancelTest::free_port();
my $standin_port = PrecancelTest::free_port();

mkdir "$dir/$_" for qw(logs tmp);
symlink $modules, "$dir/modules"    # as /usr/share/nginx/modules is
    or die "symlink: $!";

write_file("$dir/site.conf", <<"_EOC_");
client_body_temp_path $dir/tmp/body;
proxy_temp_path       $dir/tmp/proxy;
fastcgi_temp_path     $dir/tmp/fastcgi;
uwsgi_temp_path       $dir/tmp/uwsgi;
scgi_temp_path        $dir/tmp/scgi;

precancel_app_id            APP_TEST;
precancel_public_key        pk_test_1;
precancel_private_key_file  $keys/test1.key;

server {
    listen 127.0.0.1:$port;

    location = /account/cancel {
        precancel_pass   /_p;
        precancel_field  subscription_id sub_42;
    }

    location = /_p {
        internal;
        proxy_pass http://127.0.0.1:$standin_port/precancel;
    }
}
_EOC_

my $conf = slurp('/etc/nginx/nginx.conf');
my @edits = (    # what the test's nginx must not share with the machine's
    [pid        => qr{^pid\s+\S+;}m,        "pid $dir/logs/nginx.pid;"],
    [error_log  => qr{^error_log\s+\S+;}m,  "error_log $dir/logs/error.log;"],
    [access_log => qr{^\s*access_log\s+\S+;}m,
                   "access_log $dir/logs/access.log;"],
    [sites      => qr{^\s*include\s+/etc/nginx/sites-enabled/\*;}m,
                   "include $dir/site.conf;"],
);
for my $edit (@edits) {
    my ($what, $re, $line) = @$edit;
    my $n = () = $conf =~ /$re/g;
    is($n, 1, "/etc/nginx/nginx.conf has one $what line")
        or BAIL_OUT("not Debian's stock nginx.conf");
    $conf =~ s/$re/$line/;
}
like($conf, qr{^include /etc/nginx/modules-enabled/\*\.conf;}m,
     "the copy still includes $enabled/*.conf");
write_file("$dir/nginx.conf", $conf);

my @nginx = ($nginx, '-p', "$dir/", '-c', "$dir/nginx.conf",
             '-e', "$dir/logs/error.log");

($rc, $out) = run(@nginx, '-t');
is($rc, 0, "nginx -t passes with the stock nginx.conf and the site")
    or diag $out;

# ---------------------------------------------- one cancel click

$standin = PrecancelStandin::start(port => $standin_port, workers => 2);

($rc, $out) = run(@nginx);
is($rc, 0, "nginx starts") or diag $out;
$nginx_pid = wait_for_pid("$dir/logs/nginx.pid");
ok($nginx_pid, "nginx wrote its pid file")
    or diag slurp("$dir/logs/error.log");

my $res = HTTP::Tiny->new(max_redirect => 0, timeout => 10)
    ->get("http://127.0.0.1:$port/account/cancel");
is($res->{status}, 302, "the cancel click gets a 302")
    or diag "$res->{status} $res->{content}\n", slurp("$dir/logs/error.log");
like($res->{headers}{location} // '',
     qr{^https://cancel\.example\.com/session/},
     "to the stand-in's session URL");

stop_nginx();
ok(!alive($nginx_pid // 0), "the test's nginx has stopped");
undef $nginx_pid;
PrecancelStandin::stop($standin);
undef $standin;

# --------------------------------------------------- remove, purge

($rc, $out) = run(@apt, 'remove', $pkg);
is($rc, 0, "apt-get remove $pkg") or diag $out;
ok(!-e $link, "removing disables the module: no $link");
ok(-l "$link.removed", "dh_nginx's scripts keep it as $link.removed");

($rc, $out) = run('dpkg', '--purge', $pkg);
is($rc, 0, "dpkg --purge $pkg") or diag $out;
like(dpkg_status(), qr/^(not-installed)?$/, "$pkg is not installed");
is_deeply(machine_state(), $before,
          "$enabled, $available and $modules are as before the test");
is_deeply([glob "/var/lib/dpkg/info/$pkg.*"], [],
          "dpkg keeps no file of the package");

done_testing();

# ------------------------------------------------------------ helpers

# a field of the installed package, and of a .deb
sub dpkg_field {
    my (undef, $s) = run('dpkg-query', '-W', "-f=\${$_[0]}", $pkg);
    chomp $s;
    return $s;
}

sub deb_field {
    my (undef, $s) = run('dpkg-deb', '-f', $_[0], $_[1]);
    chomp $s;
    return $s;
}

# "installed", "config-files", "not-installed" (known, purged) or "" (unknown)
sub dpkg_status {
    my (undef, $s) = run('dpkg-query', '-W', '-f=${db:Status-Status}', $pkg);
    return $s =~ /^([a-z-]+)$/ ? $1 : '';
}

sub system_nginx_runs {
    my $pid = slurp('/run/nginx.pid') // return 0;
    return $pid =~ /^(\d+)/ && kill(0, $1);
}

# each of the three directories: name => link target or "file"
sub machine_state {
    my %state;
    for my $d ($enabled, $available, $modules) {
        # absent on a machine with no module package yet (none of
        # Debian's libnginx-mod-* installed): dpkg makes it and removes it
        if (!-e $d) {
            $state{$d} = 'absent';
            next;
        }
        opendir my $dh, $d or die "$d: $!";
        $state{$d} = { map { $_ => (readlink("$d/$_") // 'file') }
                       grep { !/^\.\.?$/ } readdir $dh };
    }
    return \%state;
}

sub wait_for_pid {
    my ($file) = @_;
    for (1 .. 100) {
        my $pid = slurp($file);
        return $1 if defined $pid && $pid =~ /^(\d+)/;
        sleep 0.05;
    }
    return undef;
}

# a process that has not exited (nginx's master is not our child: where
# nothing reaps orphans it stays a zombie)
sub alive {
    my ($pid) = @_;
    my $stat = slurp("/proc/$pid/stat") // return 0;
    return $stat !~ /^\d+ \(.*\) Z /s;
}

# the test's own nginx only, by the pid it wrote
sub stop_nginx {
    return unless $nginx_pid && kill 'QUIT', $nginx_pid;
    for (1 .. 200) {
        return unless alive($nginx_pid);
        sleep 0.05;
    }
    kill 'KILL', $nginx_pid;
}

# exit code and output (stdout and stderr) of a command, off the TAP stream
sub run {
    my @cmd = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        open STDIN, '<', '/dev/null';
        { exec @cmd }
        print "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }
    local $/;
    my $out = <$fh> // '';
    close $fh;
    return ($? >> 8, $out);
}

sub slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return undef;
    local $/;
    return scalar <$fh>;
}

sub write_file {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $text;
    close $fh or die "$file: $!";
}
