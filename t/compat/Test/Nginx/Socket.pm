package Test::Nginx::Socket;

# A small stand-in for Test::Nginx::Socket (openresty/test-nginx, CPAN),
# used only when the real module is not installed.  It reads the same
# `=== TEST N: title` / `--- section` data, runs nginx the same way and
# emits the same Test::More checks with the same names, for the part of
# the format this project uses.  Only modules of Debian's `perl` package
# are used.

use strict;
use warnings;

use Test::More ();
use IO::Socket::INET ();
use IO::Select ();
use POSIX qw(SIGQUIT SIGKILL WNOHANG);
use Time::HiRes ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use List::Util qw(shuffle min);
use Scalar::Util qw(looks_like_number);

our $VERSION = '0.01-compat';

# ---------------------------------------------------------------------
# settings (same environment variables and defaults as the real one)

our $NginxBinary   = $ENV{TEST_NGINX_BINARY} || find_nginx();
our $ServerAddr    = '127.0.0.1';
our $ServerName    = 'localhost';
our $ServerPort    = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort;
our $Workers       = 1;
our $WorkerConnections = 64;
our $LogLevel      = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled = 'on';
our $RepeatEach    = 1;
our $NoShuffle     = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $NoRootLocation = 0;
our $NoLongString  = undef;
our $Timeout       = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $Sleep         = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $LoadModules   = $ENV{TEST_NGINX_LOAD_MODULES};
our $CheckAccumErrLog = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $WorkerUser    = $ENV{TEST_NGINX_WORKER_USER};
our $ConfigPreamble = '';
our $FilterHttpConfig;
our $NginxVersion;
our $NginxRawVersion;
our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;
our @TestCleanupHandlers;
our @ResponseBodyChecks;

our $ServRoot = $ENV{TEST_NGINX_SERVROOT} || File::Spec->rel2abs('t/servroot');
our $ServerRoot = $ServRoot;
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;
our $LogDir     = "$ServRoot/logs";
our $ErrLogFile = "$LogDir/error.log";
our $AccLogFile = "$LogDir/access.log";
our $HtmlDir    = "$ServRoot/html";
our $ConfDir    = "$ServRoot/conf";
our $ConfFile   = "$ConfDir/nginx.conf";
our $PidFile    = "$LogDir/nginx.pid";

our $RandPorts = {};
my $ErrLogFilePos = 0;
my $NginxPid;           # the nginx this runner started and has not stopped
my $HadConfig;
my $InChild = 0;

# ---------------------------------------------------------------------
# exports: the real one's functions, Test::More's, and Test::Base's blocks

my @OWN = qw(
    run_tests run_test repeat_each no_shuffle no_long_string log_level
    worker_connections workers master_on master_off master_process_enabled
    env_to_nginx no_root_location add_block_preprocessor config_preamble
    timeout server_name server_addr server_root html_dir server_port
    server_port_for_client no_nginx_manager check_accum_error_log use_hup
    add_test_cleanup_handler add_cleanup_handler add_response_body_check
    bail_out is_str blocks no_diag_on_only filters filters_delay
    set_http_config_filter
    $ServerPort $ServerPortForClient $ServerAddr $ServerName $ServRoot
    $ServerRoot $NginxVersion $PidFile $ConfFile $RepeatEach $NoLongString
    $NginxBinary
);
my @MORE = qw(
    ok is isnt like unlike is_deeply cmp_ok pass fail diag note explain
    skip todo_skip plan done_testing BAIL_OUT subtest can_ok isa_ok new_ok
    use_ok require_ok eq_array eq_hash eq_set $TODO
);
our @EXPORT = (@OWN, @MORE);

sub import {
    my ($class, @args) = @_;
    my $caller = caller;
    no strict 'refs';
    for my $sym (@OWN) {
        if ($sym =~ s/^\$//) {
            *{"${caller}::$sym"} = \${"Test::Nginx::Socket::$sym"};
        } else {
            *{"${caller}::$sym"} = \&{"Test::Nginx::Socket::$sym"};
        }
    }
    for my $sym (@MORE) {
        if ($sym =~ s/^\$//) {
            *{"${caller}::$sym"} = \${"Test::More::$sym"};
        } else {
            *{"${caller}::$sym"} = \&{"Test::More::$sym"};
        }
    }
    @args = grep { !/^-/ } @args;
    Test::More->builder->plan(@args) if @args;
}

sub find_nginx {
    for my $dir (File::Spec->path) {
        return 'nginx' if -x "$dir/nginx";
    }
    return '/usr/sbin/nginx';
}

# ---------------------------------------------------------------------
# small setters/getters

sub repeat_each { $RepeatEach = shift if @_; $RepeatEach }
sub no_shuffle () { $NoShuffle = 1 }
sub no_long_string () { $NoLongString = 1 }
sub log_level { $LogLevel = shift if @_; $LogLevel }
sub worker_connections { $WorkerConnections = shift if @_; $WorkerConnections }
sub workers { $Workers = shift if @_; $Workers }
sub master_on () { $MasterProcessEnabled = 'on' }
sub master_off () { $MasterProcessEnabled = 'off' }
sub master_process_enabled {
    $MasterProcessEnabled = (shift() ? 'on' : 'off') if @_;
    $MasterProcessEnabled;
}
sub no_root_location () { $NoRootLocation = 1 }
sub config_preamble { $ConfigPreamble = shift }
sub timeout { $Timeout = shift if @_; $Timeout }
sub server_name { $ServerName = shift if @_; $ServerName }
sub server_addr { $ServerAddr = shift if @_; $ServerAddr }
sub server_root () { $ServRoot }
sub html_dir () { $HtmlDir }
sub server_port { $ServerPort = shift if @_; $ServerPort }
sub server_port_for_client {
    $ServerPortForClient = shift if @_;
    $ServerPortForClient;
}
sub no_nginx_manager () { warn "compat Test::Nginx: no_nginx_manager ignored\n" }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub use_hup () { }
sub add_test_cleanup_handler { unshift @TestCleanupHandlers, shift }
sub add_cleanup_handler { unshift @CleanupHandlers, shift }
sub add_response_body_check { push @ResponseBodyChecks, shift }
sub set_http_config_filter { $FilterHttpConfig = shift }
sub is_str { &Test::More::is(@_) }

# the last one added runs first, as in the real one
sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }

sub env_to_nginx {
    die "env_to_nginx: no arguments specified\n" unless @_;
    for my $v (@_) {
        die "env_to_nginx: bad argument value: $v\n"
            if $v !~ /^[A-Za-z_]/ || $v =~ /\n/;
        push @EnvToNginx, $v;
    }
}

sub bail_out {
    cleanup();
    Test::More::BAIL_OUT(join '', @_);
}

sub trim {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /g;
    $s =~ s/\s{2,}/ /g;
    $s;
}

sub fmt_str {
    my $s = shift;
    chomp $s;
    $s =~ s/"/\\"/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\n/\\n/g;
    $s;
}

sub parse_time {
    my $t = shift;
    return $t unless defined $t;
    if ($t =~ s/([^_a-zA-Z])ms$/$1/) { $t /= 1000 }
    else { $t =~ s/([^_a-zA-Z])s$/$1/ }
    $t;
}

# ---------------------------------------------------------------------
# the data blocks (what Test::Base gives the real one)

my $Blocks;
my %FilterMap;
my $NoDiagOnOnly;

sub no_diag_on_only { $NoDiagOnOnly = 1 }
sub filters_delay { }

sub filters {
    my $map = shift;
    if (ref $map eq 'HASH') {
        %FilterMap = (%FilterMap, %$map);
    } else {
        die "compat Test::Nginx: only filters({ section => [...] }) "
          . "is supported\n";
    }
}

sub blocks {
    my $section = shift;
    $Blocks ||= parse_data();
    my @b = @$Blocks;
    @b = grep { exists $_->{$section} } @b if defined $section;
    return wantarray ? @b : scalar @b;
}

sub read_data {
    no strict 'refs';
    my $fh = \*{"main::DATA"};
    return '' unless defined fileno $fh;
    local $/;
    my $s = <$fh>;
    return defined $s ? $s : '';
}

sub parse_data {
    my $spec = read_data();
    my @hunks = ($spec =~ /^(===.*?(?=^===|\z))/msg);
    my @blocks;
    my $seq = 1;
    for my $hunk (@hunks) {
        my $b = make_block($hunk);
        if (exists $b->{ONLY}) {
            Test::More::diag("I found ONLY: maybe you're debugging?")
                unless $NoDiagOnOnly;
            @blocks = ($b);
            last;
        }
        next if exists $b->{SKIP};
        push @blocks, $b;
        last if exists $b->{LAST};
    }
    for my $b (@blocks) {
        $b->{seq_num} = [$seq++];
        run_filters($b);
    }
    return \@blocks;
}

sub make_block {
    my $hunk = shift;
    my $b = bless {}, 'Test::Nginx::Socket::Block';
    $hunk =~ s/\A===[ \t]*(.*)\s+// or die "bad block: $hunk";
    my $name = $1;
    my @parts = split /^--- +\(?(\w+)\)? *(.*)?\n/m, $hunk;
    my $desc = shift @parts;
    $desc = $name unless defined $desc && $desc =~ /\S/;
    $desc =~ s/\s*\z//;
    $b->{description} = [$desc];
    my (%map, @order);
    while (@parts) {
        my ($type, $filters, $value) = splice @parts, 0, 3;
        $value = '' unless defined $value;
        $filters = '' unless defined $filters;
        if ($filters =~ /:(\s|\z)/) {
            die "Extra lines not allowed in '$type' section\n"
                if $value =~ /\S/;
            ($filters, $value) = split /\s*:(?:\s+|\z)/, $filters, 2;
            $value = '' unless defined $value;
            $value =~ s/^\s*(.*?)\s*$/$1/;
        }
        $map{$type} = $filters;
        push @order, $type;
        $b->{$type} = [$value];
    }
    $b->{name} = [$name];
    $b->{_section_map} = [\%map];
    $b->{_section_order} = [\@order];
    return $b;
}

sub run_filters {
    my $b = shift;
    my $map = $b->{_section_map}[0];
    for my $type (@{ $b->{_section_order}[0] }) {
        my @filters = ('norm', 'trim');
        my $extra = $FilterMap{$type};
        push @filters, ref $extra ? @$extra : $extra if defined $extra;
        my $spec = $map->{$type};
        $spec =~ s/^\s+|\s+$//g;
        my @append;
        for my $f (split /\s+/, $spec) {
            last unless length $f;
            if ($f =~ s/^-//) { @filters = grep { $_ ne $f } @filters }
            elsif ($f =~ s/^\+//) { push @append, $f }
            else { push @filters, $f }
        }
        my @value = @{ $b->{$type} };
        for my $f (@filters, @append) {
            my $arg = ($f =~ s/=(.*)$//) ? $1 : undef;
            @value = apply_filter($b, $f, $arg, @value);
            $b->{$type} = [@value];
        }
    }
    $b->{is_filtered} = [1];
}

sub apply_filter {
    my ($b, $f, $arg, @v) = @_;
    no strict 'refs';
    if (defined &{"main::$f"}) {
        local $_ = (@v == 1 && !defined $v[0]) ? undef : join '', @v;
        my @r = &{"main::$f"}(@v);
        @r = ($_) if !@r || (@r == 1 && defined $r[0] && $r[0] =~ /\A(\d+|)\z/);
        return @r;
    }
    if ($f eq 'norm') {
        my $t = defined $v[0] ? $v[0] : '';
        $t =~ s/\015\012/\n/g;
        $t =~ s/\r/\n/g;
        return $t;
    }
    if ($f eq 'trim') {
        return map { s/\A([ \t]*\n)+//; s/(?<=\n)\s*\z//g; $_ } @v;
    }
    return map { chomp; $_ } @v if $f eq 'chomp';
    return map { chop; $_ } @v if $f eq 'chop';
    return map { $_ . "\n" } @v if $f eq 'unchomp';
    return eval_filter($v[0]) if $f eq 'eval';
    return map { $_ . $arg } @v if $f eq 'append';
    return map { $arg . $_ } @v if $f eq 'prepend';
    return join(defined $arg ? $arg : '', @v) if $f eq 'join';
    return [@v] if $f eq 'array';
    return map { "$_\n" } split /\n/, join '', @v if $f eq 'lines';
    if ($f eq 'base64_decode') {
        require MIME::Base64;
        return map { MIME::Base64::decode_base64($_) } @v;
    }
    if ($f eq 'eval_stdout') {
        my $out = '';
        open my $fh, '>', \$out or die;
        my $old = select $fh;
        eval_filter($v[0]);
        select $old;
        return $out;
    }
    die "Can't find a function or method for '$f' filter\n";
}

package Test::Nginx::Socket::Filter;
# `--- foo eval` code runs here, under strict, like Test::Base's filter
sub eval_it { my @r = eval $_[0]; return $@ if $@; return @r }

package Test::Nginx::Socket;

sub eval_filter { Test::Nginx::Socket::Filter::eval_it(@_) }

# ---------------------------------------------------------------------
# env expansion

sub port_in_use {
    my $port = shift;
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                                  Proto => 'tcp', ReuseAddr => 1, Listen => 1);
    return 1 unless $s;
    close $s;
    return 0;
}

sub expand_env_in_text {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;
    return $text if ref $text;
    $rand_ports ||= $RandPorts;
    my %used = ($ServerPort => 1, map { $_ => 1 } values %$rand_ports);
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;
        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            unless (defined $rand_ports->{$var}) {
                my $p;
                for (1 .. 1000) {
                    $p = int(rand 63547) + 1988;
                    last if !$used{$p} && !port_in_use($p);
                    undef $p;
                }
                bail_out("$name - Cannot find an available listening port "
                         . "number for $var.\n") unless defined $p;
                $rand_ports->{$var} = $p;
                $used{$p} = 1;
            }
            $val = $rand_ports->{$var};
        } else {
            bail_out("$name - No environment $var defined.\n")
                unless defined $ENV{$var};
            $val = $ENV{$var};
        }
        $val;
    }ge;
    return $text;
}

# ---------------------------------------------------------------------
# nginx: version, server root, config, start, stop

sub get_nginx_version {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        bail_out("Failed to get the version of the Nginx in PATH: "
                 . (defined $out ? $out : ''));
    }
    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return canon_version($1, $2, $3);
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub canon_version { sprintf "%d.%03d%03d", @_[0 .. 2] }

sub setup_server_root {
    if (-d $ServRoot) {
        # only the directories this runner makes, never the whole tree
        remove_tree($ConfDir, $HtmlDir, $LogDir, "$ServRoot/cache",
                    glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"));
    }
    for my $d ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        next if -d $d;
        make_path($d) or bail_out("Failed to do mkdir $d\n");
    }
    open my $out, '>', "$HtmlDir/index.html"
        or bail_out("Can't open $HtmlDir/index.html for writing: $!\n");
    print $out '<html><head><title>It works!</title></head>'
             . '<body>It works!</body></html>';
    close $out;
}

sub write_user_files {
    my ($block) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;
    if (!ref $files) {
        my @list;
        my ($fname, $body, $date);
        for my $line (split /^/, $files) {
            if ($line =~ />>> (\S+)(?:\s+(.+))?/) {
                push @list, [$fname, $body, $date] if $fname;
                ($fname, $date, $body) = ($1, $2, undef);
            } else {
                $body .= $line;
            }
        }
        push @list, [$fname, $body, $date] if $fname;
        $files = \@list;
    } elsif (ref $files ne 'ARRAY') {
        bail_out("$name - wrong value type: " . ref($files)
                 . ", only scalar or ARRAY are accepted");
    }
    for my $f (@$files) {
        my ($fname, $body, $date) = @$f;
        $body = '' unless defined $body;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";
        if ($path =~ m{(.*)/}) {
            make_path($1) unless -d $1;
        }
        $body = expand_env_in_text($body, $name);
        open my $out, '>', $path
            or bail_out("$name - Cannot open $path for writing: $!\n");
        binmode $out;
        print $out $body;
        close $out;
        if ($date) {
            system("TZ=GMT touch -t '$date' '$path'") == 0
                or bail_out("Failed to touch $path\n");
        }
    }
}

sub write_config_file {
    my ($block, $config) = @_;
    my $name = $block->name;

    my $http_config = expand_env_in_text($block->http_config, $name);
    $http_config = '' unless defined $http_config;
    $http_config = $FilterHttpConfig->($http_config) if $FilterHttpConfig;
    $config = '' unless defined $config;

    my $main_config = $block->main_config;
    $main_config = '' unless defined $main_config;
    if ($LoadModules) {
        my @m = map { "load_module $_;" } grep { $_ } split /\s+/, $LoadModules;
        $main_config = join ' ', @m, $main_config if @m;
    }
    $main_config = expand_env_in_text($main_config, $name);
    my $post_main_config = expand_env_in_text($block->post_main_config, $name);
    $post_main_config = '' unless defined $post_main_config;

    my $err_log_file = $block->error_log_file || $ErrLogFile;
    $err_log_file = expand_env_in_text($err_log_file, $name);
    my $server_name = $block->server_name;
    $server_name = $ServerName unless defined $server_name;
    $server_name =~ s/\\/\\\\/g;
    $server_name =~ s/'/\\'/g;
    my $log_level = $block->log_level || $LogLevel;

    my $V = `$NginxBinary -V 2>&1`;
    my $temp = '';
    $temp .= " client_body_temp_path $ServRoot/client_body_temp;"
        unless $http_config =~ /\bclient_body_temp_path\b/;
    $temp .= " proxy_temp_path $ServRoot/proxy_temp;"
        unless $http_config =~ /\bproxy_temp_path\b/;
    for my $m (qw(fastcgi scgi uwsgi)) {
        $temp .= " ${m}_temp_path $ServRoot/${m}_temp;"
            unless $V =~ /--without-http_${m}_module/;
    }

    my $env = '';
    for my $v (qw(MOCKEAGAIN_VERBOSE MOCKEAGAIN MOCKEAGAIN_WRITE_TIMEOUT_PATTERN
                  LD_PRELOAD LD_LIBRARY_PATH DYLD_INSERT_LIBRARIES
                  DYLD_FORCE_FLAT_NAMESPACE), @EnvToNginx)
    {
        my $e = $v =~ /\s/ ? "'$v'" : $v;
        $env .= "env $e;\n";
    }

    my $root_location = $NoRootLocation ? '' : <<"_EOC_";
        location / {
            root $HtmlDir;
            index index.html index.htm;
        }
_EOC_

    my $user = '';
    if (defined $WorkerUser) { $user = "user $WorkerUser;\n" }
    elsif ($> == 0) { $user = "user root;\n" }

    open my $out, '>', $ConfFile
        or bail_out("Can't open $ConfFile for writing: $!\n");
    print $out <<"_EOC_";
worker_processes  $Workers;
daemon $DaemonEnabled;
master_process $MasterProcessEnabled;
error_log $err_log_file $log_level;
pid       $PidFile;
$env
$main_config

http {
    access_log $AccLogFile;$temp

    default_type text/plain;
    keepalive_timeout  68000ms;

$http_config
    server {
        listen          $ServerPort;
        server_name     '$server_name';
        client_max_body_size 30M;

        # Begin preamble config...
$ConfigPreamble
        # End preamble config...

        # Begin test case config...
$config
        # End test case config.

$root_location    }
}

$post_main_config

events {
    accept_mutex off;

    worker_connections  $WorkerConnections;
}
$user
_EOC_
    close $out;
}

sub read_pid {
    open my $in, '<', $PidFile or return undef;
    my $pid = <$in>;
    close $in;
    return undef unless defined $pid && $pid =~ /^\s*(\d+)\s*$/;
    return $1;
}

sub is_running { my $pid = shift; return $pid && kill 0, $pid }

sub stop_nginx {
    my $name = shift || '';
    my $pid = $NginxPid;
    undef $NginxPid;
    return unless is_running($pid);
    kill SIGQUIT, $pid;
    my $left = $Timeout;
    while ($left > 0 && is_running($pid)) {
        waitpid $pid, WNOHANG;
        Time::HiRes::sleep(0.05);
        $left -= 0.05;
    }
    if (is_running($pid)) {
        warn "$name - timeout when waiting for the process $pid to exit\n";
        kill SIGKILL, $pid;
        Time::HiRes::sleep(0.05);
    }
}

# an nginx left running (TEST_NGINX_NO_CLEAN) by an earlier run of this
# runner on this very server root: recognised by its command line
sub stop_leftover_nginx {
    my $pid = read_pid();
    return unless is_running($pid);
    open my $in, '<', "/proc/$pid/cmdline" or return;
    my $cmd = do { local $/; <$in> };
    close $in;
    return unless defined $cmd && index($cmd, $ConfFile) >= 0;
    $NginxPid = $pid;
    stop_nginx('leftover');
}

sub nginx_command {
    my $cmd = $NginxBinary;
    $cmd .= " -e $ErrLogFile" if $NginxVersion >= 1.019005;
    return "$cmd -p $ServRoot/ -c $ConfFile > /dev/null";
}

sub cleanup {
    $_->() for @CleanupHandlers;
    stop_nginx('cleanup') unless $ENV{TEST_NGINX_NO_CLEAN};
}

END {
    cleanup() unless $InChild;
}

# ---------------------------------------------------------------------
# running the blocks

sub run_tests () {
    srand($$ + Time::HiRes::time() * 1000000);
    $NginxVersion = get_nginx_version();
    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort
        unless defined $ENV{TEST_NGINX_SERVER_PORT};

    my @blocks = blocks();
    @blocks = shuffle @blocks unless $NoShuffle;
    for my $block (@blocks) {
        $_->($block) for @BlockPreprocessors;
        $block->set_value('name', "$0 " . $block->name);
        run_test($block);
        $_->($block) for @TestCleanupHandlers;
    }
    # as with the real one, the nginx of a block is stopped when the next
    # block starts its own, and the last one here (unless
    # TEST_NGINX_NO_CLEAN)
    cleanup();
}

sub skip_spec {
    my ($block) = @_;
    my $name = $block->name;
    my $spec = $block->skip_nginx;
    if (defined $spec) {
        $spec =~ m{^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)
                   (?:\s*:\s*(.*))?\s*$}x
            or bail_out("$name - Invalid --- skip_nginx spec: $spec");
        my ($n, $op, $reason) = ($1, $2, $6);
        my $ver = canon_version($3, $4, $5);
        $reason ||= "nginx version $op $3.$4.$5";
        my $skip = eval "$NginxVersion $op $ver";
        return ($skip, $n, $reason);
    }
    $spec = $block->skip_eval;
    if (defined $spec && $spec =~ /^\s*(\d+)\s*:\s*(.*)/s) {
        my ($n, $code) = ($1, $2);
        my $skip = eval $code;
        bail_out("$name - skip_eval - failed to eval the Perl code "
                 . "\"$code\": $@") if $@;
        return ($skip, $n, 'skip_eval');
    }
    return;
}

sub run_test {
    my $block = shift;
    return if defined $block->SKIP;

    my $name = $block->name;
    $RandPorts = {};
    my $config = expand_env_in_text($block->config, $name);

    my ($should_skip, $n_skip, $skip_reason) = skip_spec($block);
    if ($should_skip) {
        SKIP: { Test::More::skip("$name - $skip_reason", $n_skip); }
        return;
    }

    # a block without --- config reuses the nginx of the block before it
    # (the real one does not restart nginx then)
    if (!defined $config) {
        bail_out("$name - No '--- config' section specified and could not "
                 . "get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?")
            unless $HadConfig;
        goto REQUEST;
    }
    $HadConfig = 1;

    stop_nginx($name);
    stop_leftover_nginx();
    setup_server_root();
    if (my $code = $block->post_setup_server_root) {
        eval $code;
        bail_out("$name - post_setup_server_root failed: $@") if $@;
    }
    write_user_files($block);
    write_config_file($block, $config);

    my $cmd = nginx_command();
    $ErrLogFilePos = 0;
    my $must_die = $block->must_die;

    if (defined $must_die) {
        for my $i (0 .. $RepeatEach - 1) {
            system($cmd);
            my $status = $?;
            if ($status == -1) {
                Test::More::fail("$name - failed to execute the nginx command line");
            } elsif ($status & 128) {
                Test::More::fail("$name - nginx core dumped");
            } elsif (looks_like_number($must_die)) {
                Test::More::is($must_die, $status >> 8,
                               "$name - die with the expected exit code");
            } else {
                Test::More::isnt($status, 0, "$name - die as expected");
            }
            check_error_log($block, $i);
            if ($status == 0) {
                warn "WARNING: $name - nginx must die but it does not; "
                   . "killing it (req $i)\n";
                for (1 .. 15) { last if -f $PidFile; Time::HiRes::sleep($Sleep) }
                $NginxPid = read_pid();
                stop_nginx($name);
            }
        }
        return;
    }

    my $waited = 0;
    my $tries = 0;
    while (1) {
        system($cmd);
        last if $? == 0;
        my $status = $?;
        $tries++;
        my $delay = min(0.1 * $tries, 1);
        Time::HiRes::sleep($delay);
        $waited += $delay;
        next if $waited < 5;
        bail_out("$name - Cannot start nginx using command \"$cmd\" "
                 . "(status code $status).");
    }
    for (1 .. 100) { last if read_pid(); Time::HiRes::sleep(0.01) }
    $NginxPid = read_pid();
    Time::HiRes::sleep($Sleep);

  REQUEST:
    if (my $code = $block->init) {
        eval $code;
        bail_out("$name - init failed: $@") if $@;
    }

    $ErrLogFilePos = 0;
    for my $i (0 .. $RepeatEach - 1) {
        write_user_files($block) if $i > 0;
        run_requests($block, $i);
    }
}

# ---------------------------------------------------------------------
# requests

sub parse_more_headers {
    my $in = shift;
    my ($out, $chunked) = ('', 0);
    for my $h (split /\n+/, $in) {
        next if $h =~ /^\s*#/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $v = '' unless defined $v;
        $chunked = 1 if lc($k) eq 'transfer-encoding' && $v eq 'chunked';
        $out .= "$k: $v\r\n";
    }
    return ($out, $chunked);
}

sub build_request {
    my ($name, $more, $chunked, $req, $conn) = @_;
    my ($first, $content) = split /\n/, $req, 2;
    $first = '' unless defined $first;
    $first =~ /^\s*(\S+) *(?:(\S+) *)?(?:(\S+) *)?\s*$/
        or bail_out("$name - Request line is not valid. Should be "
                    . "'meth [url [version]]' but got \"$first\".");
    my ($meth, $url, $ver) = ($1, defined $2 ? $2 : '/',
                              defined $3 ? $3 : 'HTTP/1.1');
    $content = '' unless defined $content;
    my $len = '';
    if (!$chunked && $content ne '' && $more !~ /(?:^|\n)Content-Length:/) {
        $content =~ s/^\s+|\s+$//gs;
        $len = 'Content-Length: ' . length($content) . "\r\n";
    }
    $more =~ s/(?<!\r)\n/\r\n/g;
    my $hdrs = '';
    $hdrs .= "Host: $ServerName\r\n" if $more !~ /(?:^|\n)Host:/mi;
    $hdrs .= "Connection: " . ($conn // 'close') . "\r\n"
        if $more !~ /(?:^|\n)Connection/mi;
    return "$meth $url $ver\r\n$hdrs$more$len\r\n$content";
}

sub requests_of_block {
    my $block = shift;
    my $name = $block->name;
    my $raw = $block->raw_request;
    if (defined $raw) {
        # an array is sent packet by packet, raw_request_middle_delay
        # seconds apart
        return [ref $raw eq 'ARRAY' ? [@$raw] : $raw];
    }
    my $pipelined = $block->pipelined_requests;
    if (defined $pipelined) {
        bail_out("$name - invalid entries in --- pipelined_requests")
            unless ref $pipelined eq 'ARRAY';
        my $more = $block->more_headers || '';
        my $all = '';
        for my $i (0 .. $#$pipelined) {
            my $m = ref $more eq 'ARRAY' ? $more->[$i] : $more;
            bail_out("--- more_headers lacks data for the $i pipelined "
                     . "request") unless defined $m;
            my ($hdr, $chunked) = parse_more_headers($m);
            my $r = expand_env_in_text($pipelined->[$i], $name);
            $all .= build_request($name, $hdr, $chunked, $r,
                                  $i == $#$pipelined ? 'close' : 'keep-alive');
        }
        return [$all];
    }
    my $req;
    if (defined $block->request_eval) {
        Test::More::diag("$name - request_eval DEPRECATED. Use request eval instead.");
        $req = eval $block->request_eval;
        warn $@ if $@;
    } else {
        $req = $block->request;
        if (defined $req && !ref $req) {
            1 while $req =~ s/^\s*\#[^\n]+\s+|^\s+//gs;
        }
    }
    bail_out("$name - request empty") unless defined $req;
    my $more = $block->more_headers || '';
    my @reqs = ref $req eq 'ARRAY' ? @$req : ($req);
    my @out;
    for my $i (0 .. $#reqs) {
        my $m = $more;
        if (ref $m eq 'ARRAY') {
            $m = $m->[$i];
            bail_out("--- more_headers lacks data for the request") unless defined $m;
        }
        my ($hdr, $chunked) = parse_more_headers($m);
        my $r = $reqs[$i];
        $r = join '', map { ref $_ ? $_->{value} : $_ } @$r if ref $r eq 'ARRAY';
        bail_out("$name - Request line should be non-empty") if !length $r;
        push @out, build_request($name, $hdr, $chunked, $r);
    }
    return \@out;
}

sub send_request {
    my ($block, $req, $timeout) = @_;
    my $name = $block->name;
    my $sock;
    my $deadline = Time::HiRes::time() + 5;
    for (my $try = 1; ; $try++) {
        $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr,
                                      PeerPort => $ServerPortForClient,
                                      Proto => 'tcp', Timeout => $timeout);
        last if $sock;
        if (Time::HiRes::time() > $deadline) {
            Test::More::fail("$name - Can't connect to $ServerAddr:"
                             . "$ServerPortForClient: $! (aborted)\n");
            return undef;
        }
        Time::HiRes::sleep(min(($Sleep + $Sleep * $try) * $try / 2, 0.5));
    }
    binmode $sock;
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);
    my ($off, $resp) = (0, '');
    my $writing = 1;
    my @packets;
    if (ref $req eq 'ARRAY') {
        @packets = @$req;
        $req = shift @packets;
    }
    my $delay = parse_time($block->raw_request_middle_delay) // 0;
    while (1) {
        my ($r, $w) = IO::Select->select($sel, $writing ? $sel : undef,
                                         undef, $timeout);
        if (!$r && !$w) {
            close $sock;
            Test::More::fail("ERROR: client socket timed out - $name\n")
                unless defined $block->abort;
            last;
        }
        if ($w && @$w) {
            my $n = syswrite $sock, $req, length($req) - $off, $off;
            if (defined $n) {
                $off += $n;
            } elsif (!$!{EAGAIN}) {
                $resp = "write failed: $!" if $resp eq '';
                $writing = 0;
            }
            if ($off >= length $req && @packets) {
                Time::HiRes::sleep($delay) if $delay;
                ($req, $off) = (shift @packets, 0);
                next;
            }
            if ($off >= length $req) {
                $writing = 0;
                my $shut = $block->shutdown;
                if (defined $shut) {
                    shutdown $sock, ($shut =~ /^$/ ? 1 : $shut);
                }
            }
        }
        if ($r && @$r) {
            my $n = sysread $sock, my $buf, 65536;
            if (defined $n && $n > 0) { $resp .= $buf; next }
            next if !defined $n && $!{EAGAIN};
            close $sock;
            last;
        }
    }
    return $resp;
}

# a parsed response: { code, headers => [[name, value], ...], content }
sub parse_response {
    my ($name, $raw, $head) = @_;
    my $raw_headers = $raw =~ /(.*?\r\n)\r\n/s ? $1 : '';
    my $res = { headers => [] };
    my $str = $raw;
    my $status = $str =~ s/^(.*)\n// ? $1 : do { my $s = $str; $str = ''; $s };
    $status =~ s/\r\z//;
    my (undef, $code) = $status =~ /^\d{3} / ? (undef, split ' ', $status, 2)
                                             : split ' ', $status, 3;
    while (1) {
        if ($str =~ s/^([^\s:]+)[ \t]*: ?(.*)\n?//) {
            my ($k, $v) = ($1, $2);
            $v =~ s/\r\z//;
            push @{ $res->{headers} }, [$k, $v];
        } elsif (@{ $res->{headers} } && $str =~ s/^([ \t].*)\n?//) {
            my $c = $1;
            $c =~ s/\r\z//;
            $res->{headers}[-1][1] .= "\n$c";
        } else {
            $str =~ s/^\r?\n//;
            last;
        }
    }
    $code = undef if defined $code && $code !~ /^\d+$/;
    $res->{code} = $code;
    $res->{content} = $str;
    return ($res, $raw_headers) if $code && ($code == 304 || $code == 101);

    my $enc = res_header($res, 'Transfer-Encoding');
    my $len = res_header($res, 'Content-Length');
    my $left;
    if (defined $enc && $enc eq 'chunked') {
        my @trailers = map { $_->[1] } grep { lc $_->[0] eq 'trailer' }
                       @{ $res->{headers} };
        my $decoded = '';
        pos($str) = 0;
        while (1) {
            if (!@trailers && $str =~ /\G0[ \t]*\r\n\r\n/gc) {
                $left = $1 if $str =~ /\G(.+)/gcs;
                last;
            }
            if (@trailers && $str =~ /\G0[ \t]*\r\n/gc) {
                for my $t (@trailers) {
                    if ($str !~ /\G\Q$t\E: [^\n]*\r\n/gc) {
                        Test::More::fail("$name - invalid trailer data received (expected $t).");
                        return;
                    }
                }
                if ($str !~ /\G\r\n/gc) {
                    Test::More::fail("$name - invalid chunked data received (expected CRLF).");
                    return;
                }
                $left = $1 if $str =~ /\G(.+)/gcs;
                last;
            }
            if ($str =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex $1;
                my $start = pos $str;
                if (length($str) - $start < $size) {
                    Test::More::fail("$name - invalid chunked data received "
                                     . "(not enought octets for the data section)");
                    return;
                }
                $decoded .= substr $str, $start, $size;
                pos($str) = $start + $size;
                if ($str !~ /\G\r\n/gc) {
                    Test::More::fail("$name - invalid chunked data received (expected CRLF).");
                    return;
                }
            } elsif ($str =~ /\G(.+)/gcs) {
                Test::More::fail("$name - invalid chunked body received: $1");
                return;
            } else {
                Test::More::fail("$name - no last chunk found - $str");
                return;
            }
        }
        $res->{content} = $decoded;
    } elsif (defined $len && $len ne '' && $len =~ /^\d+$/) {
        if (length $str < $len) {
            warn "WARNING: $name - response body truncated: $len expected, "
               . "but got " . length($str) . "\n" unless $head;
        } elsif (length $str > $len) {
            $left = substr $str, $len;
            $res->{content} = substr $str, 0, $len;
        }
    }
    return ($res, $raw_headers, $left);
}

# like HTTP::Headers->header in scalar context
sub res_header {
    my ($res, $key) = @_;
    return undef unless $res;
    (my $k = lc $key) =~ tr/_/-/;
    my @v = map { $_->[1] } grep { lc($_->[0]) eq $k } @{ $res->{headers} };
    return @v ? join(', ', @v) : undef;
}

sub indexed {
    my ($name, $v, $idx, $need_array) = @_;
    if (ref $v eq 'ARRAY') {
        return $v->[$need_array ? $idx : 0];
    }
    bail_out("$name - You asked for many requests, the expected results "
             . "should be arrays as well.") if $need_array;
    return $v;
}

sub run_requests {
    my ($block, $rep) = @_;
    my $name = $block->name;
    my $reqs = requests_of_block($block);
    my $timeout = parse_time($block->timeout);
    $timeout = $Timeout unless defined $timeout;
    my $need_array = @$reqs > 1;
    my $res;
    if (defined $block->pipelined_requests) {
        my $n = @{ $block->pipelined_requests };
        my $raw = send_request($block, $reqs->[0], $timeout);
        $raw = '' unless defined $raw;
        for my $idx (0 .. $n - 1) {
            my ($raw_headers, $left);
            next if defined $block->ignore_response;
            ($res, $raw_headers, $left) = parse_response($name, $raw, 0);
            check_error_code($block, $res, $idx, 1);
            check_raw_headers($block, $raw_headers, $idx, 1);
            check_response_headers($block, $res, $raw_headers, $idx, 1);
            check_response_body($block, $res, $idx, $rep, 1);
            $raw = $left // '';
        }
        Time::HiRes::sleep($block->wait) if $block->wait;
        check_error_log($block, $rep);
        return;
    }
    for my $idx (0 .. $#$reqs) {
        my $req = $reqs->[$idx];
        my $head = !ref $req && $req =~ /^\s*HEAD\s+/;
        my $raw = send_request($block, $req, $timeout);
        $raw = '' unless defined $raw;
        my ($raw_headers, $left);
        unless (defined $block->ignore_response) {
            ($res, $raw_headers, $left) = parse_response($name, $raw, $head);
            if (defined $left) {
                $left =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                warn "WARNING: $name - unexpected extra bytes after last "
                   . "chunk in response: \"$left\"\n";
            }
            check_error_code($block, $res, $idx, $need_array);
            check_raw_headers($block, $raw_headers, $idx, $need_array);
            check_response_headers($block, $res, $raw_headers, $idx, $need_array);
            check_response_body($block, $res, $idx, $rep, $need_array);
        }
        if ($idx < $#$reqs) {
            Time::HiRes::sleep($block->wait) if $block->wait;
            check_error_log($block, $rep);
        }
    }
    Time::HiRes::sleep($block->wait) if $block->wait;
    check_error_log($block, $rep);
}

# ---------------------------------------------------------------------
# checks

sub check_error_code {
    my ($block, $res, $idx, $need_array) = @_;
    my $name = $block->name;
    my $code = ($res && $res->{code}) || '';
    if (defined $block->error_code_like) {
        my $v = indexed($name, $block->error_code_like, $idx, $need_array);
        Test::More::like($code, qr/$v/sm, "$name - status code ok");
    } elsif (defined $block->error_code) {
        Test::More::is($code, indexed($name, $block->error_code, $idx, $need_array),
                       "$name - status code ok");
    } else {
        Test::More::is($code, 200, "$name - status code ok");
    }
}

sub check_raw_headers {
    my ($block, $raw, $idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->raw_response_headers_like) {
        my $e = indexed($name, $block->raw_response_headers_like, $idx, $need_array);
        Test::More::like($raw, qr/$e/s, "$name - raw resp headers like");
    }
    if (defined $block->raw_response_headers_unlike) {
        my $e = indexed($name, $block->raw_response_headers_unlike, $idx, $need_array);
        Test::More::unlike($raw, qr/$e/s, "$name - raw resp headers unlike");
    }
}

sub parse_expected_headers {
    my $s = shift;
    my @h;
    for my $line (split /\n/, $s) {
        $line =~ s/^\s+|\s+$//g;
        if ($line =~ s/^!\s*//) {
            push @h, [$line, undef];
        } else {
            my ($k, $v) = split /\s*:\s*/, $line, 2;
            push @h, [$k, $v];
        }
    }
    # the real one keeps them in a hash: a later line wins
    my (%seen, @out);
    for my $p (reverse @h) {
        next if !defined $p->[0] || $seen{$p->[0]}++;
        unshift @out, $p;
    }
    return @out;
}

sub check_response_headers {
    my ($block, $res, $raw, $idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->response_headers) {
        my $spec = indexed($name, $block->response_headers, $idx, $need_array);
        for my $p (parse_expected_headers($spec)) {
            my ($k, $v) = @$p;
            if (!defined $v) {
                Test::More::unlike($raw, qr/^\s*\Q$k\E\s*:/ms,
                                   "$name - header $k not present in the raw headers");
                next;
            }
            $v =~ s/\$ServerPort\b/$ServerPort/g;
            $v =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            my $got = res_header($res, $k);
            $got = '' unless defined $got;
            Test::More::is($got, $v, "$name - header $k ok");
        }
    } elsif (defined $block->response_headers_like) {
        my $spec = indexed($name, $block->response_headers_like, $idx, $need_array);
        for my $p (parse_expected_headers($spec)) {
            my ($k, $v) = @$p;
            $v = '' unless defined $v;
            my $got = res_header($res, $k);
            $got = '' unless defined $got;
            Test::More::like($got, qr/^$v$/, "$name - header $k like ok");
        }
    }
}

sub strip_te {
    my $c = shift;
    return $c unless defined $c;
    $c =~ s/^TE: deflate,gzip;q=0\.3\r\n//gm;
    $c =~ s/^Connection: TE, close\r\n//gm;
    $c;
}

sub check_response_body {
    my ($block, $res, $idx, $rep, $need_array) = @_;
    my $name = $block->name;
    my $content = $res ? $res->{content} : undef;

    if (defined $block->response_body || defined $block->response_body_eval) {
        $content = strip_te($content);
        my $expected;
        if ($block->response_body_eval) {
            Test::More::diag("$name - response_body_eval is DEPRECATED. "
                             . "Use response_body eval instead.");
            $expected = eval indexed($name, $block->response_body_eval,
                                     $idx, $need_array);
            warn $@ if $@;
        } else {
            $expected = indexed($name, $block->response_body, $idx, $need_array);
        }
        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
            $expected = expand_env_in_text($expected, $name);
        }
        if (ref $expected) {
            Test::More::like($content, $expected,
                "$name - response_body - like (repeated req $rep, req $idx)");
        } else {
            Test::More::is($content, $expected,
                "$name - response_body - response is expected (repeated req $rep, req $idx)");
        }
    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my $type = defined $block->response_body_like ? 'like' : 'unlike';
        my $pat = $type eq 'like' ? $block->response_body_like
                                  : $block->response_body_unlike;
        $content = strip_te($content);
        $pat = indexed($name, $pat, $idx, $need_array);
        $pat =~ s/\$ServerPort\b/$ServerPort/g;
        $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content);
        $summary = '' unless defined $summary;
        my $cmp = $type eq 'like' ? \&Test::More::like : \&Test::More::unlike;
        $cmp->($content, qr/$pat/s,
               "$name - response_body_$type - response is expected ($summary)");
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $content, $idx, $rep, 0);
    }
}

sub read_log_lines {
    my ($file, $from) = @_;
    open my $in, '<', $file or return ([], $from);
    seek $in, $from, 0 if $from;
    my @lines = <$in>;
    my $pos = tell $in;
    close $in;
    return (\@lines, $pos);
}

sub error_log_lines {
    Time::HiRes::sleep($Sleep * 3);
    my $from = $CheckAccumErrLog ? 0 : $ErrLogFilePos;
    my ($lines, $pos) = read_log_lines($ErrLogFile, $from);
    $ErrLogFilePos = $pos unless $CheckAccumErrLog;
    return ($lines, $from);
}

sub pattern_list {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return split /\n+/, $pats;
    }
    return ($pats) if ref $pats eq 'Regexp';
    return @$pats;
}

sub line_matches {
    my ($line, $pat) = @_;
    return (ref $pat && $line =~ /$pat/) || $line =~ /\Q$pat\E/;
}

sub value_contains {
    my ($v, $s) = @_;
    return $v =~ /\Q$s\E/ if !ref $v || ref $v eq 'Regexp';
    if (ref $v eq 'ARRAY') {
        for (@$v) { return 1 if value_contains($_, $s) }
    }
    return 0;
}

sub check_error_log {
    my ($block, $rep) = @_;
    my $name = $block->name;
    my ($lines, $from);
    my %warn_on = map { $_ => 1 } qw(alert crit emerg);

    if (defined $block->error_log) {
        my $spec = $block->error_log;
        for my $l (keys %warn_on) {
            delete $warn_on{$l} if value_contains($spec, "[$l");
        }
        my @pats = pattern_list($spec);
        ($lines, $from) = error_log_lines();
        # a line may be logged a moment after the response (log phase,
        # subrequest clean-up): wait a little for missing patterns
        my $deadline = Time::HiRes::time() + 1;
        while (Time::HiRes::time() < $deadline) {
            my $missing = 0;
            for my $pat (@pats) {
                next unless defined $pat;
                $missing = 1, last
                    unless grep { line_matches($_, $pat) } @$lines;
            }
            last unless $missing;
            Time::HiRes::sleep(0.05);
            if ($CheckAccumErrLog) {
                ($lines) = read_log_lines($ErrLogFile, 0);
            } else {
                my ($more, $pos) = read_log_lines($ErrLogFile, $ErrLogFilePos);
                push @$lines, @$more;
                $ErrLogFilePos = $pos;
            }
        }
        for my $line (@$lines) {
            for my $pat (@pats) {
                next unless defined $pat;
                if (line_matches($line, $pat)) {
                    Test::More::pass("$name - pattern \"$pat\" matches a line in error.log (req $rep)");
                    undef $pat;
                }
            }
        }
        for my $pat (@pats) {
            next unless defined $pat;
            Test::More::fail("$name - pattern \"$pat\" should match a line in error.log (req $rep)");
        }
    }

    if (defined $block->no_error_log) {
        my $spec = $block->no_error_log;
        for my $l (keys %warn_on) {
            delete $warn_on{$l} if value_contains($spec, "[$l");
        }
        my @pats = pattern_list($spec);
        ($lines) = error_log_lines() unless $lines;
        my %found;
        for my $i (0 .. $#$lines) {
            my $line = $lines->[$i];
            for my $pat (@pats) {
                next unless defined $pat;
                next unless line_matches($line, $pat);
                $found{$pat} = 1;
                my $ln = fmt_str($line);
                my $p = fmt_str($pat);
                my $end = min($i + 10, scalar(@$lines) - 1);
                my $more = join '', @$lines[$i + 1 .. $end - 1];
                Test::More::fail("$name - pattern \"$p\" should not match any line in error.log but matches line \"$ln\" (req $rep)\n$more");
            }
        }
        for my $pat (@pats) {
            next if !defined $pat || $found{$pat};
            my $p = fmt_str($pat);
            Test::More::pass("$name - pattern \"$p\" does not match a line in error.log (req $rep)");
        }
    }

    ($lines) = error_log_lines() unless $lines;
    for my $line (@$lines) {
        for my $l (sort keys %warn_on) {
            warn "WARNING: $name - " . fmt_str($line) . "\n"
                if $line =~ /\[$l\]/;
        }
        if ($line =~ /\bAssertion .*?failed\b/) {
            chomp(my $l = $line);
            Test::More::fail("$name - $l\n");
        }
    }
}

# ---------------------------------------------------------------------

package Test::Nginx::Socket::Block;

our $AUTOLOAD;

sub new { bless {}, shift }

sub set_value {
    my ($self, $k, @v) = @_;
    $self->{$k} = [@v];
}

sub AUTOLOAD {
    my $self = shift;
    (my $k = $AUTOLOAD) =~ s/.*:://;
    return if $k eq 'DESTROY';
    die "Not allowed to set values for '$k'\n" if @_;
    my @v = @{ $self->{$k} || [] };
    # one value (undef when unset) even in list context, so that
    # f($block->foo, $x) keeps its arguments in place
    return wantarray && @v > 1 ? @v : $v[0];
}

1;
