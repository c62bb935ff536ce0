#!/usr/bin/env perl
# Provider stand-in for Chargebee Retention's precancel endpoint and for
# the two Chargebee Billing calls the module makes.
#
# An independent re-implementation, from the public description of the
# server-side precancel request, of the checks Retention makes: public key,
# JSON body, content type, ISO8601 timestamp within the allowed skew,
# HMAC-SHA512 signature of the raw body, app_id.  For Billing
# (/api/v2/hosted_pages/pre_cancel and
# /api/v2/subscriptions/{id}/remove_scheduled_cancellation), from the API
# reference: HTTP Basic with a site API key and an empty password, a form
# body decoded by URI's form parser, the idempotency and request-origin
# headers, the parameters' limits, and the API's error shape.  Plus /echo (what a
# webhook application received), /inspect (echoes a
# canonical description of what it received), /fault/* (misbehaviour on
# demand) and /stats.  Listens on 127.0.0.1 only.  See README.md here.
#
# Shares no code with the nginx module on purpose.

use strict;
use warnings;

use FindBin ();
use Getopt::Long qw(GetOptions);
use IO::Socket::INET ();
use Socket qw(SOL_SOCKET SO_RCVTIMEO SO_LINGER SOMAXCONN IPPROTO_TCP TCP_NODELAY);
use POSIX qw(WNOHANG EINTR EAGAIN EWOULDBLOCK);
use Fcntl qw(:flock O_RDWR O_CREAT O_EXCL SEEK_SET);
use Digest::SHA qw(hmac_sha512_hex sha256_hex);
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use Time::HiRes ();
use Time::Local qw(timegm_modern);
use IO::Compress::Gzip qw(gzip $GzipError);
use File::Temp ();
use MIME::Base64 qw(decode_base64);
use URI ();

use constant {
    MAX_HEADER      => 64 * 1024,
    MAX_BODY        => 8 * 1024 * 1024,
    MAX_BIG         => 64 * 1024 * 1024,
    IDLE_TIMEOUT    => 30,      # seconds without a byte from the client
    HANG_TIMEOUT    => 300,
    SLOT_SIZE       => 64,      # bytes per worker in the stats file
    INSPECT_BASE    => 'https://cancel.example.com/inspect?',
    VALUE_MAX       => 64,      # longer /inspect values are hashed
};

# ---------------------------------------------------------------- options

my %opt = (
    keys           => "$FindBin::Bin/../keys/keys.txt",
    'billing-keys' => "$FindBin::Bin/../keys/billing.txt",
    'billing-base' => 'https://billing.example.com/pages/v3/',
    workers        => 4,
    'session-base' => 'https://cancel.example.com/session/',
    'max-skew'     => 3600,
);

GetOptions(\%opt, 'listen=i', 'keys=s', 'billing-keys=s', 'billing-base=s',
           'workers=i', 'log=s',
           'session-base=s', 'pid-file=s', 'max-skew=f', 'parent=i',
           'help')
    or usage(2);
usage(0) if $opt{help};
usage(2, "--listen PORT is required") unless defined $opt{listen};
usage(2, "--listen: bad port") unless $opt{listen} > 0 && $opt{listen} < 65536;
usage(2, "--workers must be 1..1024")
    unless $opt{workers} >= 1 && $opt{workers} <= 1024;
usage(2, "--max-skew must be >= 0") unless $opt{'max-skew'} >= 0;

sub usage {
    my ($rc, $msg) = @_;
    print STDERR "precancel-standin: $msg\n" if $msg;
    print STDERR <<'EOU';
usage: precancel-standin.pl --listen PORT [--keys FILE] [--workers N]
         [--billing-keys FILE] [--billing-base URL]
         [--log FILE] [--session-base URL] [--pid-file FILE]
         [--max-skew SECONDS] [--parent PID]
EOU
    exit $rc;
}

# ------------------------------------------------------------------- keys

my %KEYS = load_keys($opt{keys});   # public key => private key
die "precancel-standin: no usable keys in $opt{keys}\n" unless %KEYS;

# Billing: site API key => its name (the same file format, NAME FILE)
my %API_KEYS = reverse load_keys($opt{'billing-keys'});

sub load_keys {
    my ($file) = @_;
    open my $fh, '<', $file or die "precancel-standin: $file: $!\n";
    my $dir = $file =~ m{^(.*)/} ? $1 : '.';
    my %k;
    while (my $line = <$fh>) {
        $line =~ s/\r?\n\z//;
        next if $line =~ /^\s*(#|$)/;
        $line =~ s/\s+#.*//;
        my ($pub, $path) = split ' ', $line;
        unless (defined $path) {
            warn "precancel-standin: $file:$.: expected PUBLIC_KEY FILE\n";
            next;
        }
        $path = "$dir/$path" unless $path =~ m{^/};
        open my $kf, '<', $path or die "precancel-standin: $path: $!\n";
        my $key = <$kf>;
        close $kf;
        $key = '' unless defined $key;
        $key =~ s/\s+\z//;
        if ($key eq '') {
            warn "precancel-standin: $path: empty key, $pub skipped\n";
            next;
        }
        $k{$pub} = $key;
    }
    return %k;
}

# ------------------------------------------------------------- the socket

my $listener = IO::Socket::INET->new(
    LocalAddr => '127.0.0.1',
    LocalPort => $opt{listen},
    Proto     => 'tcp',
    Listen    => SOMAXCONN,
    ReuseAddr => 1,
) or die "precancel-standin: cannot listen on 127.0.0.1:$opt{listen}: $@\n";

# accept() gives up after one second so that workers can look around
setsockopt($listener, SOL_SOCKET, SO_RCVTIMEO, pack('l!l!', 1, 0))
    or die "precancel-standin: SO_RCVTIMEO: $!\n";

# --------------------------------------------------------- the stats file
#
# One SLOT_SIZE record per worker slot: "requests verified rejected".  Each
# worker writes only its own slot through its own file description, so no
# lock is needed; /stats reads and sums all of them.  The file is unlinked
# at once and reopened by workers via /proc, so nothing is left behind.

my ($stats_fh, $stats_name) = File::Temp::tempfile('precancel-standin-XXXXXX',
                                                   TMPDIR => 1);
syswrite $stats_fh, sprintf("%-*s", SLOT_SIZE - 1, '0 0 0') . "\n"
    for 1 .. $opt{workers};
my $stats_path = "/proc/$$/fd/" . fileno($stats_fh);
if (-e $stats_path) {
    unlink $stats_name;
    $stats_name = undef;
} else {
    $stats_path = $stats_name;      # no /proc: keep the name, unlink at exit
}

# ----------------------------------------------------------------- master

our $STOP = 0;
my $MASTER = $$;
my $PARENT = $opt{parent};
my $PARENT_PPID = getppid();        # if --parent is our parent, watch ppid

$SIG{PIPE} = 'IGNORE';
$SIG{$_} = sub { $STOP = 1 } for qw(TERM INT QUIT HUP);

if ($opt{'pid-file'}) {
    open my $pf, '>', $opt{'pid-file'}
        or die "precancel-standin: $opt{'pid-file'}: $!\n";
    print $pf "$$\n";
    close $pf;
}

my %slot_of;                        # worker pid => slot
my @started_at;                     # slot => time of last spawn

# main() runs at the end of this file, once all file-level variables
# below have their values
sub main {
    spawn($_) for 0 .. $opt{workers} - 1;

    while (!$STOP) {
        sleep 1;
        while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
            my $slot = delete $slot_of{$pid};
            next unless defined $slot;
            last if $STOP;
            # do not spin if a worker dies at once
            Time::HiRes::sleep(0.5) if time - $started_at[$slot] < 1;
            spawn($slot) unless $STOP;
        }
        $STOP = 1 if defined $PARENT && !parent_alive();
    }
    shutdown_workers();
    exit 0;
}

sub parent_alive {
    return 0 if $PARENT == $PARENT_PPID && getppid() != $PARENT_PPID;
    return 0 unless kill(0, $PARENT) || $!{EPERM};
    if (open my $st, '<', "/proc/$PARENT/stat") {
        my $s = <$st> // '';
        return 0 if $s =~ /\)\s+Z\b/;      # a zombie: it has exited
    }
    return 1;
}

sub shutdown_workers {
    my @pids = keys %slot_of;
    kill 'TERM', @pids;
    my $deadline = Time::HiRes::time() + 5;
    while (%slot_of && Time::HiRes::time() < $deadline) {
        my $pid = waitpid(-1, WNOHANG);
        if ($pid > 0) { delete $slot_of{$pid}; next }
        last if $pid < 0;
        Time::HiRes::sleep(0.02);
    }
    if (%slot_of) {
        kill 'KILL', keys %slot_of;
        waitpid($_, 0) for keys %slot_of;
    }
    unlink $stats_name if defined $stats_name;
    if ($opt{'pid-file'} && open my $pf, '<', $opt{'pid-file'}) {
        my $p = <$pf> // '';
        close $pf;
        unlink $opt{'pid-file'} if $p =~ /^\Q$MASTER\E\s*$/;
    }
}

sub spawn {
    my ($slot) = @_;
    $started_at[$slot] = time;
    my $pid = fork;
    unless (defined $pid) {
        warn "precancel-standin: fork: $!\n";
        return;
    }
    if ($pid) {
        $slot_of{$pid} = $slot;
        return;
    }
    $SIG{$_} = sub { POSIX::_exit(0) } for qw(TERM INT QUIT HUP);
    POSIX::_exit(0) if $STOP;
    my $rc = eval { worker($slot); 0 } // do {
        warn "precancel-standin[$$]: $@";
        1;
    };
    POSIX::_exit($rc);
}

# ----------------------------------------------------------------- worker

my ($SLOT, $STATS, $LOG);
my @COUNT = (0, 0, 0);              # requests verified rejected
my $SESSIONS = 0;
my $FLAKY = 0;
my $JSON  = JSON::PP->new->utf8->allow_nonref;          # bytes in/out
my $JSONB = JSON::PP->new->allow_nonref;                # bytes as latin1
my $JLOG  = JSON::PP->new->utf8->canonical;

sub worker {
    ($SLOT) = @_;
    open $STATS, '+<', $stats_path or die "stats file: $!\n";
    sysseek $STATS, $SLOT * SLOT_SIZE, SEEK_SET;
    my $rec = '';
    sysread $STATS, $rec, SLOT_SIZE;
    @COUNT = map { $_ // 0 } (split ' ', $rec)[0 .. 2];
    if (defined $opt{log}) {
        open $LOG, '>>', $opt{log} or die "$opt{log}: $!\n";
    }
    while (1) {
        check_alive();
        my $c = $listener->accept;
        unless ($c) {
            next if $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
            die "accept: $!\n" unless $!{ECONNABORTED} || $!{EMFILE};
            sleep 1;
            next;
        }
        setsockopt($c, SOL_SOCKET, SO_RCVTIMEO, pack('l!l!', 1, 0));
        setsockopt($c, IPPROTO_TCP, TCP_NODELAY, 1);
        connection($c);
        close $c;
    }
}

sub check_alive {
    POSIX::_exit(0) if $STOP || getppid() != $MASTER;
}

# Read more bytes into $$buf.  Returns the count, 0 on EOF, error or
# after $timeout seconds without data.
sub fill {
    my ($c, $buf, $timeout) = @_;
    my $waited = 0;
    while (1) {
        my $n = sysread $c, $$buf, 65536, length $$buf;
        return $n if defined $n;
        if ($!{EAGAIN} || $!{EWOULDBLOCK}) {
            check_alive();
            return 0 if ++$waited >= $timeout;
            next;
        }
        next if $!{EINTR};
        return 0;
    }
}

sub write_all {
    my ($c, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite $c, $data, length($data) - $off, $off;
        unless (defined $n) {
            next if $!{EINTR} || $!{EAGAIN};
            return 0;
        }
        $off += $n;
    }
    return 1;
}

my %REASON = (
    100 => 'Continue', 200 => 'OK', 201 => 'Created', 202 => 'Accepted',
    204 => 'No Content', 301 => 'Moved Permanently', 302 => 'Found',
    303 => 'See Other', 304 => 'Not Modified', 307 => 'Temporary Redirect',
    308 => 'Permanent Redirect', 400 => 'Bad Request', 401 => 'Unauthorized',
    403 => 'Forbidden', 404 => 'Not Found', 405 => 'Method Not Allowed',
    408 => 'Request Timeout', 409 => 'Conflict', 411 => 'Length Required',
    413 => 'Payload Too Large', 415 => 'Unsupported Media Type',
    422 => 'Unprocessable Entity', 429 => 'Too Many Requests',
    500 => 'Internal Server Error', 502 => 'Bad Gateway',
    503 => 'Service Unavailable', 504 => 'Gateway Timeout',
);

# One connection, possibly many requests.
sub connection {
    my ($c) = @_;
    my $buf = '';
    while (1) {
        # --- header
        my $hlen;
        while (1) {
            $buf =~ s/\A(?:\r?\n)+//;
            if ($buf =~ /\r?\n\r?\n/g) {
                $hlen = pos $buf;
                last;
            }
            if (length $buf > MAX_HEADER) {
                my $r = { method => '', path => '', query => '',
                          headers => {}, body => '' };
                finish($c, $r, 413, msg('Request Header Too Large'),
                       close => 1);
                return linger($c);
            }
            return unless fill($c, \$buf, IDLE_TIMEOUT);
        }
        if ($hlen > MAX_HEADER) {
            my $r = { method => '', path => '', query => '', headers => {},
                      body => '' };
            finish($c, $r, 413, msg('Request Header Too Large'), close => 1);
            return linger($c);
        }
        my $head = substr $buf, 0, $hlen, '';
        my $r = parse_head($head);
        unless (ref $r) {
            finish($c, { method => '', path => '', query => '',
                         headers => {}, body => '' },
                   400, msg($r), close => 1);
            return linger($c);
        }

        # --- body
        my $h = $r->{headers};
        if (exists $h->{'transfer-encoding'}) {
            finish($c, $r, 411, msg('Length Required'), close => 1);
            return linger($c);
        }
        my $len = 0;
        if (exists $h->{'content-length'}) {
            my @v = split /\s*,\s*/, $h->{'content-length'};
            my %u = map { $_ => 1 } @v;
            if (!@v || keys %u > 1 || $v[0] !~ /^[0-9]{1,15}$/) {
                finish($c, $r, 400, msg('Bad Content-Length'), close => 1);
                return linger($c);
            }
            $len = $v[0] + 0;
        }
        if ($len > MAX_BODY) {
            finish($c, $r, 413, msg('Request Entity Too Large'), close => 1);
            return linger($c);
        }
        if (length $buf < $len && $r->{minor} >= 1 && $r->{major} == 1
            && lc($h->{expect} // '') eq '100-continue')
        {
            write_all($c, "HTTP/1.1 100 Continue\r\n\r\n") or return;
        }
        while (length $buf < $len) {
            return unless fill($c, \$buf, IDLE_TIMEOUT);
        }
        $r->{body} = substr $buf, 0, $len, '';

        # --- keep-alive?
        my %conn = map { lc($_) => 1 } split /\s*,\s*/, ($h->{connection} // '');
        if ($r->{major} == 1 && $r->{minor} >= 1) {
            $r->{keepalive} = !$conn{close};
        } else {
            $r->{keepalive} = !!$conn{'keep-alive'};
        }

        return unless route($c, $r);
        return unless $r->{keepalive};
    }
}

# After an early error reply: stop sending, then read and drop what the
# client still sends (up to 2 s), so that it does not get a reset before
# it has read the reply.
sub linger {
    my ($c) = @_;
    shutdown $c, 1;
    my $deadline = Time::HiRes::time() + 2;
    my $junk;
    while (Time::HiRes::time() < $deadline) {
        my $n = sysread $c, $junk, 65536;
        last if defined $n && $n == 0;
        next if defined $n || $!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR};
        last;
    }
    return;
}

sub parse_head {
    my ($head) = @_;
    my @lines = split /\r?\n/, $head;
    my $rl = shift @lines // '';
    my ($method, $target, $major, $minor) =
        $rl =~ m{^([!#\$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP/([0-9])\.([0-9])$}
        or return 'Bad Request';
    $target =~ s{^[A-Za-z][A-Za-z0-9+.-]*://[^/?]*}{};
    $target = "/$target" unless $target =~ m{^/};
    my ($path, $query) = split /\?/, $target, 2;
    my (%h, @order);
    for my $l (@lines) {
        my ($n, $v) = $l =~ /^([^:\s]+):[ \t]*(.*?)[ \t]*$/
            or return 'Bad Request';
        $n = lc $n;
        if (exists $h{$n}) { $h{$n} .= ", $v" } else { $h{$n} = $v; push @order, $n }
    }
    return {
        method => $method, target => $target, path => $path,
        query => $query // '', major => $major, minor => $minor,
        headers => \%h,
    };
}

sub msg {
    my ($m, $valid) = @_;
    return '{"valid":' . ($valid ? 'true' : 'false') . ',"message":'
        . $JSON->encode($m) . '}';
}

sub query_params {
    my ($q) = @_;
    my %p;
    for my $pair (split /&/, $q) {
        next if $pair eq '';
        my ($k, $v) = split /=/, $pair, 2;
        $p{unpct($k)} = unpct($v // '');
    }
    return \%p;
}

sub unpct {
    my ($s) = @_;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

# percent-encode bytes, RFC 3986 unreserved kept
sub pct {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

# percent-encode a character string as its UTF-8 bytes
sub pct_chars {
    my ($s) = @_;
    utf8::encode($s);
    return pct($s);
}

# Log, count, answer.  %o: close, type, headers (array), raw (whole reply
# already built, written as is), verdict, count (verified|rejected|undef).
sub finish {
    my ($c, $r, $code, $body, %o) = @_;
    $r->{keepalive} = 0 if $o{close};
    my $verdict = $o{verdict};
    unless (defined $verdict) {
        my $d = eval { $JSON->decode($body) };
        $verdict = ref $d eq 'HASH' && !$d->{valid} && defined $d->{message}
                 ? $d->{message} : "$code";
    }
    record($r, $verdict, $o{count});
    return 1 if $o{no_reply};
    my @hdr = ("HTTP/1.1 $code " . ($REASON{$code} // 'Status'));
    push @hdr, 'Content-Type: ' . ($o{type} // 'application/json');
    push @hdr, 'Content-Length: ' . length($body) unless $o{no_length};
    push @hdr, @{ $o{headers} || [] };
    if ($r->{keepalive}) {
        push @hdr, 'Connection: keep-alive' if ($r->{minor} // 0) == 0;
    } else {
        push @hdr, 'Connection: close';
    }
    my $out = join("\r\n", @hdr) . "\r\n\r\n";
    $out .= $body unless ($r->{method} // '') eq 'HEAD';
    return write_all($c, $out) && $r->{keepalive};
}

sub record {
    my ($r, $verdict, $count) = @_;
    unless (($r->{path} // '') eq '/stats') {
        $COUNT[0]++;
        $COUNT[1]++ if ($count // '') eq 'verified';
        $COUNT[2]++ if ($count // '') eq 'rejected';
        sysseek $STATS, $SLOT * SLOT_SIZE, SEEK_SET;
        syswrite $STATS, sprintf('%-*s', SLOT_SIZE - 1, "@COUNT") . "\n";
    }
    return unless $LOG;
    my $t = Time::HiRes::time();
    my @g = gmtime $t;
    my %e = (
        time => sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', $g[5] + 1900,
                        $g[4] + 1, @g[3, 2, 1, 0], ($t - int $t) * 1000),
        pid => $$, method => $r->{method}, path => $r->{path},
        query => $r->{query}, headers => {},
        verdict => $verdict,
    );
    for my $n (keys %{ $r->{headers} }) {
        my $v = $r->{headers}{$n};
        # a Billing API key is a secret: its name only
        $v = billing_key_name($v) if $n eq 'authorization';
        utf8::decode($v);               # left as bytes (latin1) if not UTF-8
        $e{headers}{$n} = $v;
    }
    my $b = $r->{body} // '';
    my $s = $b;
    if (utf8::decode($s)) { $e{body} = $s } else { $e{body_b64} = encode_base64($b, '') }
    my $line = $JLOG->encode(\%e) . "\n";
    flock $LOG, LOCK_EX;
    syswrite $LOG, $line;
    flock $LOG, LOCK_UN;
}

# ------------------------------------------------------- Retention checks

# Returns (undef, $doc) when the request passes, ($code, $message) if not.
sub check {
    my ($r) = @_;
    my $h = $r->{headers};
    return (405, 'Method Not Allowed') unless $r->{method} eq 'POST';
    my $pub = $h->{'signature-public-key'};
    return (400, 'Invalid Key Id') unless defined $pub && exists $KEYS{$pub};
    my $body = $r->{body};
    my $doc = eval { $JSON->decode($body) };
    return (400, 'Invalid JSON') unless ref $doc eq 'HASH';
    my $ct = lc($h->{'content-type'} // '');
    $ct =~ s/\s*;.*//s;
    return (400, 'Invalid Content-Type') unless $ct eq 'application/json';
    return (400, 'Invalid timestamp') unless timestamp_ok($doc->{timestamp});
    my $want = hmac_sha512_hex($body, $KEYS{$pub});
    return (400, 'Invalid Signature')
        unless same($h->{signature} // '', $want);
    my $app = $doc->{app_id};
    return (400, 'Missing app_id')
        unless jtype($app) eq 'string' && length $app;
    return (undef, $doc);
}

# constant-time comparison (time depends only on the expected length)
sub same {
    my ($got, $want) = @_;
    my $d = length($got) ^ length($want);
    my $x = $got . ("\0" x length $want);   # never short of bytes
    for my $i (0 .. length($want) - 1) {
        $d |= ord(substr $x, $i, 1) ^ ord(substr $want, $i, 1);
    }
    return $d == 0;
}

sub timestamp_ok {
    my ($ts) = @_;
    return 0 unless jtype($ts) eq 'string';
    my ($Y, $M, $D, $h, $m, $s, $frac) = $ts =~
        /\A([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?Z\z/
        or return 0;
    my $t = eval { timegm_modern($s, $m, $h, $D, $M - 1, $Y) };
    return 0 unless defined $t;
    $t += $frac if defined $frac;
    return abs(Time::HiRes::time() - $t) <= $opt{'max-skew'};
}

sub jtype {
    my $v = $_[0];
    return 'null' unless defined $v;
    return 'boolean' if JSON::PP::is_bool($v);
    return 'object' if ref $v eq 'HASH';
    return 'array' if ref $v eq 'ARRAY';
    return 'other' if ref $v;
    return $JSON->encode($v) =~ /\A"/ ? 'string' : 'number';
}

sub session_url {
    return $opt{'session-base'} . $$ . '-' . ++$SESSIONS;
}

# ----------------------------------------------------------------- routes

# Returns true to keep the connection.
sub route {
    my ($c, $r) = @_;
    my $p = $r->{path};

    if ($p eq '/precancel') {
        return precancel($c, $r, sub { (200, success_body($r)) });
    }
    if ($p eq '/inspect') {
        return precancel($c, $r, sub {
            (200, msg(INSPECT_BASE . inspect($r, $_[0]), 1)) });
    }
    if ($p eq '/echo') {
        return finish($c, $r, 200, echo($r), type => 'text/plain',
                      verdict => 'echo');
    }
    if ($p eq '/stats') {
        unless ($r->{method} eq 'GET' || $r->{method} eq 'HEAD') {
            return finish($c, $r, 405, msg('Method Not Allowed'),
                          headers => ['Allow: GET']);
        }
        return finish($c, $r, 200, stats(), verdict => 'stats');
    }
    if ($p eq '/api/v2/hosted_pages/pre_cancel') {
        return precancel($c, $r, \&billing_hosted_page, billing => 1);
    }
    if ($p =~ m{\A/api/v2/subscriptions/([^/]*)/remove_scheduled_cancellation\z}) {
        return billing_remove($c, $r, $1);
    }
    # what the hosted page call carried, as an error message
    if ($p eq '/billing/inspect') {
        return precancel($c, $r, sub {
            (400, billing_error('inspect ' . billing_inspect($r, $_[0]),
                                'stand_in_inspect')) }, billing => 1);
    }
    # the faults, with the Billing checks and reply shapes
    if ($p =~ m{\A/billing(/fault/[A-Za-z0-9_-]+)\z}) {
        $r->{billing} = 1;
        $p = $1;
    }
    if ($p =~ m{\A/fault/([A-Za-z0-9_-]+)\z}) {
        my $f = "fault_$1";
        $f =~ tr/-/_/;
        my $code = __PACKAGE__->can($f);
        return $code->($c, $r, query_params($r->{query})) if $code;
    }
    return finish($c, $r, 404, msg('Not Found'));
}

sub precancel {
    my ($c, $r, $ok, %o) = @_;
    $r->{billing} = 1 if $o{billing};
    my ($code, $res, $api_code) = $r->{billing} ? billing_check($r)
                                                 : check($r);
    if (defined $code) {
        my @allow = $code == 405 ? (headers => ['Allow: POST']) : ();
        Time::HiRes::sleep($o{delay}) if $o{delay};
        my $body = $r->{billing} ? billing_error($res, $api_code) : msg($res);
        return finish($c, $r, $code, $body, @allow, verdict => $res,
                      count => 'rejected');
    }
    my ($status, $body, %more) = $ok->($res);
    Time::HiRes::sleep($o{delay}) if $o{delay};
    return finish($c, $r, $status, $body, verdict => 'ok',
                  count => 'verified', %more);
}

sub stats {
    my $all = '';
    sysseek $STATS, 0, SEEK_SET;
    1 while sysread $STATS, $all, 65536, length $all;
    my @sum = (0, 0, 0);
    for my $rec (split /\n/, $all) {
        my @v = split ' ', $rec;
        $sum[$_] += $v[$_] // 0 for 0 .. 2;
    }
    return sprintf '{"requests":%d,"verified":%d,"rejected":%d}', @sum;
}

sub inspect {
    my ($r, $doc) = @_;
    my @leaves;
    flatten(\@leaves, '', $doc, 1);
    my @pairs;
    for my $l (sort { $a->[0] cmp $b->[0] } @leaves) {
        my ($path, $v) = @$l;               # $path: UTF-8 bytes
        my $t = jtype($v);
        my $text;
        if ($t eq 'string') {
            utf8::encode($v);
            $text = length $v > VALUE_MAX ? 'sha256-' . sha256_hex($v) : pct($v);
        } else {
            my $j = $JSON->encode($v);
            $text = "$t:" . (length $j > VALUE_MAX ? 'sha256-' . sha256_hex($j)
                                                    : pct($j));
        }
        push @pairs, pct($path) . "=$text";
    }
    my %skip = map { $_ => 1 } qw(host connection content-length content-type
                                  signature signature-public-key);
    my @h = sort grep { !$skip{$_} } keys %{ $r->{headers} };
    push @pairs, 'x-headers=' . (@h ? join(',', map { pct($_) } @h) : 'none');
    push @pairs, 'x-query=' . ($r->{query} eq '' ? 'none' : pct($r->{query}));
    return join '&', @pairs;
}

# What an application behind nginx received: the method, the body's length
# and SHA-256, and every header (lowercase names, sorted), one a line.
sub echo {
    my ($r) = @_;
    my $b = $r->{body} // '';
    my $out = "method $r->{method}\nlength " . length($b)
              . "\nsha256 " . sha256_hex($b) . "\n";
    $out .= "header $_: $r->{headers}{$_}\n" for sort keys %{ $r->{headers} };
    return $out;
}

sub flatten {
    my ($out, $prefix, $v, $root) = @_;
    if (ref $v eq 'HASH' && (%$v || $root)) {
        for my $k (keys %$v) {
            next if $root && $k eq 'timestamp';
            my $kb = $k;
            utf8::encode($kb);
            flatten($out, $root ? $kb : "$prefix.$kb", $v->{$k}, 0);
        }
    } elsif (ref $v eq 'ARRAY' && @$v) {
        flatten($out, "$prefix.$_", $v->[$_], 0) for 0 .. $#$v;
    } else {
        push @$out, [$prefix, $v];
    }
}

# ----------------------------------------------------------------- faults

sub fault_hang {
    my ($c, $r) = @_;
    finish($c, $r, 0, '', verdict => 'fault hang', no_reply => 1);
    my $deadline = time + HANG_TIMEOUT;
    my $junk = '';
    while (time < $deadline) {
        my $n = sysread $c, $junk, 65536;
        if (defined $n) { return 0 if $n == 0; $junk = ''; next }
        if ($!{EAGAIN} || $!{EWOULDBLOCK} || $!{EINTR}) { check_alive(); next }
        return 0;
    }
    return 0;
}

sub fault_slow {
    my ($c, $r, $q) = @_;
    my $ms = ($q->{ms} // '') =~ /\A[0-9]{1,9}\z/ ? $q->{ms} : 1000;
    return precancel($c, $r, sub { (200, success_body($r)) },
                     delay => $ms / 1000);
}

sub fault_close_mid_body {
    my ($c, $r) = @_;
    finish($c, $r, 0, '', verdict => 'fault close-mid-body', no_reply => 1);
    my $body = success_body($r);
    write_all($c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                . "Content-Length: 200\r\nConnection: close\r\n\r\n"
                . substr($body, 0, 20));
    return 0;
}

sub fault_reset {
    my ($c, $r) = @_;
    finish($c, $r, 0, '', verdict => 'fault reset', no_reply => 1);
    setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    return 0;
}

sub fault_chunked {
    my ($c, $r) = @_;
    return precancel($c, $r, sub {
        my $b = success_body($r);
        my $n = int(length($b) / 3);
        my $out = '';
        for my $part (substr($b, 0, $n), substr($b, $n, $n), substr($b, 2 * $n)) {
            $out .= sprintf("%x\r\n", length $part) . $part . "\r\n";
        }
        $out .= "0\r\n\r\n";
        return (200, $out, no_length => 1,
                headers => ['Transfer-Encoding: chunked']);
    });
}

sub fault_gzip {
    my ($c, $r) = @_;
    return precancel($c, $r, sub {
        my $b = success_body($r);
        my $z;
        gzip(\$b => \$z) or die "gzip: $GzipError\n";
        return (200, $z, headers => ['Content-Encoding: gzip']);
    });
}

sub fault_status {
    my ($c, $r, $q) = @_;
    my $code = $q->{code} // '';
    unless ($code =~ /\A[1-9][0-9]{2}\z/) {
        return finish($c, $r, 400, msg('Bad code'));
    }
    my %o = (verdict => "fault status $code");
    $o{type} = $q->{type} if defined $q->{type};
    return finish($c, $r, $code, $q->{body} // '', %o);
}

sub fault_big {
    my ($c, $r, $q) = @_;
    my $size = $q->{size} // '';
    unless ($size =~ /\A[0-9]{1,10}\z/ && $size <= MAX_BIG) {
        return finish($c, $r, 400, msg('Bad size'));
    }
    my $head = $r->{billing}
             ? '{"hosted_page":{"url":' . $JSON->encode(billing_url())
               . '},"pad":"'
             : '{"valid":true,"message":' . $JSON->encode(session_url())
               . ',"pad":"';
    my $tail = '"}';
    my $pad = $size - length($head) - length($tail);
    $pad = 0 if $pad < 0;
    return finish($c, $r, 200, $head . ('x' x $pad) . $tail,
                  verdict => 'fault big');
}

sub fault_flaky {
    my ($c, $r) = @_;
    return precancel($c, $r, sub {
        return (500, msg('Internal Error'), verdict => 'ok, flaky 500')
            if ++$FLAKY % 2 == 0;
        return (200, success_body($r));
    });
}

# the success reply's headers, then its body one byte every ms
# milliseconds (default 250), for a deadline over the whole reply
sub fault_drip {
    my ($c, $r, $q) = @_;
    my $ms = ($q->{ms} // '') =~ /\A[0-9]{1,6}\z/ ? $q->{ms} : 250;
    my ($code, $res, $api_code) = $r->{billing} ? billing_check($r)
                                                 : check($r);
    return finish($c, $r, $code,
                  $r->{billing} ? billing_error($res, $api_code) : msg($res),
                  verdict => $res, count => 'rejected') if defined $code;
    finish($c, $r, 0, '', verdict => 'fault drip', count => 'verified',
           no_reply => 1);
    my $body = success_body($r);
    write_all($c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                . 'Content-Length: ' . length($body) . "\r\n"
                . "Connection: close\r\n\r\n") or return 0;
    for my $i (0 .. length($body) - 1) {
        Time::HiRes::sleep($ms / 1000);
        check_alive();
        write_all($c, substr($body, $i, 1)) or return 0;
    }
    return 0;
}

# the checks, then the success reply with "X-Accel-Redirect: <to>", which
# nginx acts on unless the provider location ignores the header
sub fault_accel {
    my ($c, $r, $q) = @_;
    my $to = $q->{to} // '/';
    return precancel($c, $r, sub {
        (200, success_body($r), headers => ["X-Accel-Redirect: $to"]) });
}

sub fault_redirect {
    my ($c, $r) = @_;
    return finish($c, $r, 301, msg('Moved Permanently'),
                  headers => ['Location: https://elsewhere.example.com/'],
                  verdict => 'fault redirect');
}

sub fault_url {
    my ($c, $r, $q) = @_;
    my $u = $q->{u} // '';
    return precancel($c, $r, sub {
        # $u is bytes; encoding it as latin1 characters and writing the
        # result as bytes passes the bytes through, JSON-escaped
        return (200, $r->{billing}
                     ? '{"hosted_page":{"type":"pre_cancel","url":'
                       . $JSONB->encode($u) . '}}'
                     : '{"valid":true,"message":' . $JSONB->encode($u) . '}');
    });
}

# Echoes the call's credentials back in every form a provider or a
# middlebox could: in the error message (in=error, the default; 401 in
# the API's error shape for Billing, {"valid":false} for Retention),
# after pad=N filler bytes so that a cut at any length can fall inside
# one, or (in=url) in the success reply's session URL, percent-encoded,
# as ?k=<form> (form=NAME, default the key).  only=PREFIX keeps the forms
# whose names start so; code=echo puts the key into Billing's
# api_error_code as well.  No checks are made.
sub fault_echo_secrets {
    my ($c, $r, $q) = @_;
    my @forms = echo_forms($r);
    my %form = @forms;
    my $pad = ($q->{pad} // '') =~ /\A[0-9]{1,5}\z/ ? $q->{pad} : 0;
    my $key = $r->{billing} ? 'key' : 'private_key';
    my %o = (verdict => 'fault echo-secrets');

    if (($q->{in} // 'error') eq 'url') {
        my $f = $form{$q->{form} // $key} // '';
        my $u = ($r->{billing} ? billing_url() : session_url())
                . '?k=' . pct($f);
        return finish($c, $r, 200, $r->{billing}
                      ? '{"hosted_page":{"type":"pre_cancel","url":'
                        . $JSON->encode($u) . '}}'
                      : msg($u, 1), %o);
    }

    my @pairs;
    my $only = $q->{only} // '';
    while (@forms) {
        my ($n, $v) = splice @forms, 0, 2;
        push @pairs, "$n=$v" if substr($n, 0, length $only) eq $only;
    }
    my $m = 'invalid api key ' . ('x' x $pad) . join('; ', @pairs)
            . '; end of message';

    return finish($c, $r, 401, msg($m), %o) unless $r->{billing};

    my $code = ($q->{code} // '') eq 'echo' ? "bad_key_$form{key}"
                                            : 'api_authentication_failed';
    return finish($c, $r, 401, billing_error($m, $code), %o);
}

# name => value, in order: the credentials of the call as sent and as
# known from the keys files, encoded every way
sub echo_forms {
    my ($r) = @_;
    my $h = $r->{headers};
    my @f;
    my $b64 = sub { encode_base64($_[0], '') };
    my $url = sub { (my $s = encode_base64($_[0], '')) =~ tr{+/=}{-_}d; $s };
    my $lc = sub { (my $s = pct($_[0])) =~ s/(%[0-9A-F]{2})/lc $1/ge; $s };
    my $all = sub {
        my ($n, $v) = @_;
        return ($n => $v, "${n}_pct" => pct($v), "${n}_pct_lower" => $lc->($v),
                "${n}_b64" => $b64->($v), "${n}_b64url" => $url->($v),
                "${n}_b64_pct" => pct($b64->($v)),
                "${n}_b64_pct_lower" => $lc->($b64->($v)));
    };

    if ($r->{billing}) {
        my $auth = $h->{authorization} // '';
        my ($cred) = $auth =~ /\A\S+\s+(\S+)/;
        my ($key) = decode_base64($cred // '') =~ /\A([^:]*):/;
        $key //= '';
        push @f, $all->('key', $key), $all->('key_colon', "$key:"),
                 $all->('authorization', $auth);
    } else {
        my $priv = $KEYS{$h->{'signature-public-key'} // ''} // '';
        push @f, signature => $h->{signature} // '',
                 $all->('private_key', $priv),
                 $all->('private_key_colon', "$priv:");
    }

    return @f;
}

# ---------------------------------------------------------------- Billing

sub success_body {
    my ($r) = @_;
    return $r->{billing} ? billing_hosted_page_body()
                         : msg(session_url(), 1);
}

# "Basic (site_test_1)" for a known site API key, else "(redacted)"
sub billing_key_name {
    my ($v) = @_;
    my ($scheme, $cred) = split ' ', $v, 2;
    return '(redacted)' unless lc($scheme // '') eq 'basic' && defined $cred;
    my ($user) = decode_base64($cred) =~ /\A([^:]*):/;
    return defined $user && exists $API_KEYS{$user}
           ? "Basic ($API_KEYS{$user})" : 'Basic (unknown key, redacted)';
}

sub billing_url {
    return $opt{'billing-base'} . $$ . '-' . ++$SESSIONS . '/';
}

sub billing_hosted_page_body {
    my $now = time;
    return $JLOG->encode({ hosted_page => {
        id => "hp_$$" . '_' . ($SESSIONS + 1), type => 'pre_cancel',
        url => billing_url(), state => 'created', embed => JSON::PP::false,
        created_at => $now, expires_at => $now + 3600,
        object => 'hosted_page' } });
}

sub billing_hosted_page {
    return (200, billing_hosted_page_body());
}

# The API's error shape.
sub billing_error {
    my ($message, $api_code, $param) = @_;
    my $type = $api_code =~ /authentication/ ? 'invalid_request'
             : $api_code eq 'invalid_state_for_request' ? 'invalid_request'
             : 'invalid_request';
    return $JLOG->encode({ message => $message, type => $type,
                           api_error_code => $api_code,
                           (defined $param ? (param => $param) : ()) });
}

# Returns (undef, \@form) when the request passes, else
# ($status, $message, $api_error_code).
sub billing_check {
    my ($r) = @_;
    my $h = $r->{headers};
    return (405, 'Method Not Allowed', 'method_not_allowed')
        unless $r->{method} eq 'POST';

    # HTTP Basic: a site API key as the user name, no password
    my ($scheme, $cred) = split ' ', ($h->{authorization} // ''), 2;
    return (401, 'Sorry, authentication failed. Invalid api key',
            'api_authentication_failed')
        unless lc($scheme // '') eq 'basic' && defined $cred;
    my $plain = decode_base64($cred);
    my ($user, $pass) = $plain =~ /\A([^:]*):(.*)\z/s;
    return (401, 'Sorry, authentication failed. Invalid api key',
            'api_authentication_failed')
        unless defined $user && $pass eq '' && exists $API_KEYS{$user};

    # nothing of a browser's request may come along
    for my $n (qw(cookie x-forwarded-for referer user-agent)) {
        return (400, "browser header $n reached the provider",
                'stand_in_browser_header') if exists $h->{$n};
    }

    my $ct = lc($h->{'content-type'} // '');
    $ct =~ s/\s*;.*//s;
    return (400, 'Invalid Content-Type', 'invalid_request')
        unless $ct eq 'application/x-www-form-urlencoded';

    # the body as a form, with a real parser; bytes outside the form
    # alphabet mean it was not encoded
    my $body = $r->{body};
    return (400, 'Invalid form body', 'invalid_request')
        if $body =~ /[^A-Za-z0-9%+*._~=&-]/
           || $body =~ /%(?![0-9A-Fa-f]{2})/;
    my @form = URI->new('http://x/?' . $body)->query_form;
    for my $v (@form) {
        my $t = $v;
        return (400, 'Form value is not UTF-8', 'invalid_request')
            unless utf8::decode($t);
    }

    my $key = $h->{'chargebee-idempotency-key'};
    return (400, 'chargebee-idempotency-key is missing', 'invalid_request')
        unless defined $key && $key =~ /\A[\x21-\x7e]{1,100}\z/;

    my $ip = $h->{'chargebee-request-origin-ip'};
    return (400, 'Invalid chargebee-request-origin-ip', 'invalid_request')
        if defined $ip
           && $ip !~ /\A(?:[0-9]{1,3}\.){3}[0-9]{1,3}\z/
           && $ip !~ /\A[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\z/;
    for my $n (qw(chargebee-request-origin-user
                  chargebee-request-origin-device
                  chargebee-business-entity-id)) {
        return (400, "Invalid $n", 'invalid_request')
            if defined $h->{$n} && $h->{$n} !~ /\A[\x20-\x7e]+\z/;
    }
    my $enc = $h->{'chargebee-request-origin-user-encoded'};
    if (defined $enc) {
        my $u = $enc =~ m{\A[A-Za-z0-9+/]+={0,2}\z} ? decode_base64($enc)
                                                   : undef;
        return (400, 'Invalid chargebee-request-origin-user-encoded',
                'invalid_request')
            unless defined $u && length $u && utf8::decode($u);
    }
    for my $n (qw(actions email webhook)) {
        my $v = $h->{"chargebee-event-$n"};
        return (400, "Invalid chargebee-event-$n", 'invalid_request')
            if defined $v && $v ne 'all-disabled';
    }

    if ($r->{path} !~ m{/remove_scheduled_cancellation\z}) {
        my %f = @form;
        my $id = $f{'subscription[id]'};
        return (400, 'subscription[id] : cannot be blank', 'param_wrong_value',
                'subscription[id]')
            unless defined $id && length $id;
        return (400, 'subscription[id] : is too long', 'param_wrong_value',
                'subscription[id]') if length $id > 50;
        my %max = (pass_thru_content => 2048, cancel_url => 250,
                   redirect_url => 250);
        for my $n (keys %max) {
            return (400, "$n : is too long", 'param_wrong_value', $n)
                if defined $f{$n} && length $f{$n} > $max{$n};
        }
    }

    return (undef, \@form);
}

sub billing_remove {
    my ($c, $r, $id) = @_;
    $r->{billing} = 1;
    unless ($id =~ /\A[A-Za-z0-9_-]{1,50}\z/) {
        return finish($c, $r, 404, billing_error(
                          '404 Not Found', 'resource_not_found'),
                      verdict => 'bad subscription id in path',
                      count => 'rejected');
    }
    return precancel($c, $r, sub {
        my %f = @{ $_[0] };
        if (defined $f{billing_cycles} && $f{billing_cycles} !~ /\A[0-9]+\z/) {
            return (400, billing_error('billing_cycles : invalid number',
                                       'param_wrong_value', 'billing_cycles'));
        }
        if ($id =~ /\Asub_noschedule/) {
            return (400, billing_error(
                'There is no scheduled cancellation for this subscription',
                'invalid_state_for_request'));
        }
        return (200, $JLOG->encode({
            subscription => { id => $id, status => 'active',
                              object => 'subscription',
                              (defined $f{billing_cycles}
                               ? (remaining_billing_cycles
                                  => $f{billing_cycles} + 0) : ()) },
            customer => { id => "cust_$id", object => 'customer' } }));
    });
}

# "a=1&b=2 h:name=value,... x:name,..." of what the call carried: the form
# pairs in order, the chargebee-* headers, and other header names
sub billing_inspect {
    my ($r, $form) = @_;
    my @f = @$form;
    my @pairs;
    while (@f) {
        my ($k, $v) = splice @f, 0, 2;
        push @pairs, pct($k) . '=' . pct($v);
    }
    my $h = $r->{headers};
    my @cb = map { "$_=" . $h->{$_} } sort grep { /^chargebee-/ } keys %$h;
    my %std = map { $_ => 1 } qw(host connection content-length content-type
                                  authorization);
    my @other = sort grep { !/^chargebee-/ && !$std{$_} } keys %$h;
    return join('&', @pairs) . ' h:' . join(',', @cb) . ' x:'
           . (@other ? join(',', @other) : 'none');
}

main();
