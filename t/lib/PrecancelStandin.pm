package PrecancelStandin;

# Start and stop the provider stand-in (precancel-standin.pl, next to this
# file) from test files, and compute signatures the way a client must.
#
#   my $pid = PrecancelStandin::start(port => 19841, workers => 4,
#                                     log => "/tmp/standin.log");
#   PrecancelStandin::stop($pid);        # or leave it to the END block
#   PrecancelStandin::calls("/tmp/standin.log", "/echo");   # requests seen
#
# Options of start(): port (required), workers, log, keys, session_base,
# pid_file, max_skew, args (array ref of further command-line arguments).

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use Time::HiRes ();
use Digest::SHA qw(hmac_sha512_hex);

our $SCRIPT = dirname(abs_path(__FILE__)) . '/precancel-standin.pl';

my %owner;          # stand-in pid => pid of the process that started it

sub _can_connect {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

sub start {
    my (%o) = @_;
    my $port = $o{port} or die "PrecancelStandin::start: port is required\n";
    die "PrecancelStandin::start: something already listens on port $port\n"
        if _can_connect($port);

    my @args = ('--listen', $port, '--parent', $$);
    push @args, '--workers', $o{workers}           if defined $o{workers};
    push @args, '--log', $o{log}                   if defined $o{log};
    push @args, '--keys', $o{keys}                 if defined $o{keys};
    push @args, '--session-base', $o{session_base} if defined $o{session_base};
    push @args, '--pid-file', $o{pid_file}         if defined $o{pid_file};
    push @args, '--max-skew', $o{max_skew}         if defined $o{max_skew};
    push @args, @{ $o{args} }                      if $o{args};

    my $pid = fork;
    die "PrecancelStandin::start: fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        # never write on the test's STDOUT: it carries TAP
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', \*STDERR;
        { exec $^X, $SCRIPT, @args }
        print STDERR "PrecancelStandin: exec $SCRIPT: $!\n";
        POSIX::_exit(127);
    }

    my $deadline = Time::HiRes::time() + 5;
    while (1) {
        if (waitpid($pid, WNOHANG) == $pid) {
            die "PrecancelStandin::start: the stand-in exited with status "
                . ($? >> 8) . " (see stderr)\n";
        }
        last if _can_connect($port);
        if (Time::HiRes::time() > $deadline) {
            kill 'KILL', $pid;
            waitpid $pid, 0;
            die "PrecancelStandin::start: port $port not accepting after 5 s\n";
        }
        Time::HiRes::sleep(0.05);
    }
    $owner{$pid} = $$;
    return $pid;
}

sub stop {
    my ($pid) = @_;
    return unless $pid;
    delete $owner{$pid};
    kill 'TERM', $pid or return;
    my $deadline = Time::HiRes::time() + 10;
    while (Time::HiRes::time() < $deadline) {
        my $r = waitpid $pid, WNOHANG;
        return if $r == $pid || $r < 0;
        Time::HiRes::sleep(0.02);
    }
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

END {
    my $status = $?;
    for my $pid (keys %owner) {
        stop($pid) if $owner{$pid} == $$;   # not in Test::Nginx's forks
    }
    $? = $status;
}

# lowercase hex HMAC-SHA512 of $body keyed with $key: the Signature header
sub hmac_hex {
    my ($key, $body) = @_;
    return hmac_sha512_hex($body, $key);
}

# how many requests for $path the stand-in's log (start's log =>) holds
sub calls {
    my ($log, $path) = @_;
    open my $l, '<', $log or return 0;
    my $n = grep { /"path":"\Q$path\E"/ } <$l>;
    close $l;
    return $n;
}

# the key in a private key file: its first line without trailing whitespace
sub read_key {
    my ($file) = @_;
    open my $fh, '<', $file or die "PrecancelStandin::read_key: $file: $!\n";
    my $key = <$fh>;
    close $fh;
    $key = '' unless defined $key;
    $key =~ s/\s+\z//;
    return $key;
}

1;
