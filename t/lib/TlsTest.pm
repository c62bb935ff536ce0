package TlsTest;

# A throwaway PKI for the TLS tests, made with the openssl command at run
# time (no private key is committed): a test CA and, for the provider's
# name "provider.test",
#
#   good.crt       signed by the CA
#   other.crt      signed by the CA, for "other.test" (the wrong name)
#   untrusted.crt  signed by a second CA that nginx is not told about
#   expired.crt    signed by the CA, valid on 1 January 2020 only
#   self.crt       self-signed
#   chain.crt      signed by a second intermediate under a first one under
#                  the CA, with both intermediates after it (as a server
#                  sends them)
#
# each with its key (NAME.key), all in one directory:
#
#   my $dir = TlsTest::make_pki();     # a temporary directory, removed at exit
#                                      # (unless TLS_TEST_KEEP=1)
#
# openssl's own output goes to STDERR, never to the TAP on STDOUT.

use strict;
use warnings;

use File::Temp qw(tempdir);
use POSIX ();

our $NAME = 'provider.test';

sub make_pki {
    # TLS_TEST_KEEP=1 keeps the directory (and its logs) for a look
    my $dir = tempdir('precancel-tls-XXXXXX', TMPDIR => 1,
                      CLEANUP => !$ENV{TLS_TEST_KEEP});

    _write("$dir/leaf.ext", <<"_EOF_");
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$NAME
_EOF_
    _write("$dir/other.ext", <<"_EOF_");
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:other.test
_EOF_
    _write("$dir/ca.ext", <<"_EOF_");
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
_EOF_

    _ca($dir, 'ca', 'Precancel Test CA');
    _ca($dir, 'rogue-ca', 'Precancel Rogue CA');

    _cert($dir, 'good', $NAME, 'ca', 'leaf.ext');
    _cert($dir, 'other', 'other.test', 'ca', 'other.ext');
    _cert($dir, 'untrusted', $NAME, 'rogue-ca', 'leaf.ext');

    # two intermediates between the CA and the leaf
    _cert($dir, 'int1', 'Precancel Test Intermediate 1', 'ca', 'ca.ext');
    _cert($dir, 'int2', 'Precancel Test Intermediate 2', 'int1', 'ca.ext');
    _cert($dir, 'chain-leaf', $NAME, 'int2', 'leaf.ext');
    _write("$dir/chain.crt", join '', map { _read("$dir/$_.crt") }
                                      qw(chain-leaf int2 int1));
    _run('cp', "$dir/chain-leaf.key", "$dir/chain.key");

    _expired($dir);

    _run('openssl', 'req', '-x509', '-newkey', 'ec',
         '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
         '-keyout', "$dir/self.key", '-out', "$dir/self.crt",
         '-days', '2', '-subj', "/CN=$NAME",
         '-addext', "subjectAltName=DNS:$NAME");

    chmod 0600, glob("$dir/*.key");
    return $dir;
}

# a self-signed CA
sub _ca {
    my ($dir, $name, $cn) = @_;

    _run('openssl', 'req', '-x509', '-newkey', 'ec',
         '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
         '-keyout', "$dir/$name.key", '-out', "$dir/$name.crt",
         '-days', '2', '-subj', "/CN=$cn",
         '-addext', 'basicConstraints=critical,CA:TRUE',
         '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

# a certificate for cn (and the names of ext) signed by issuer
sub _cert {
    my ($dir, $name, $cn, $issuer, $ext) = @_;

    _run('openssl', 'req', '-new', '-newkey', 'ec',
         '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
         '-keyout', "$dir/$name.key", '-out', "$dir/$name.csr",
         '-subj', "/CN=$cn");
    _run('openssl', 'x509', '-req', '-in', "$dir/$name.csr",
         '-CA', "$dir/$issuer.crt", '-CAkey', "$dir/$issuer.key",
         '-set_serial', _serial(), '-days', '2', '-sha256',
         '-extfile', "$dir/$ext", '-out', "$dir/$name.crt");
}

# "openssl x509" sets no start date: "openssl ca" does
sub _expired {
    my ($dir) = @_;
    my $ca = "$dir/expired-ca";

    mkdir $ca or die "mkdir $ca: $!";
    _write("$ca/index.txt", '');
    _write("$ca/serial", "1000\n");
    _write("$ca/ca.cnf", <<"_EOF_");
[ ca ]
default_ca = test_ca

[ test_ca ]
database = $ca/index.txt
new_certs_dir = $ca
serial = $ca/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none

[ any ]
commonName = supplied

[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:$NAME
_EOF_

    _run('openssl', 'req', '-new', '-newkey', 'ec',
         '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
         '-keyout', "$dir/expired.key", '-out', "$dir/expired.csr",
         '-subj', "/CN=$NAME");
    _run('openssl', 'ca', '-batch', '-notext', '-config', "$ca/ca.cnf",
         '-cert', "$dir/ca.crt", '-keyfile', "$dir/ca.key",
         '-startdate', '20200101000000Z', '-enddate', '20200102000000Z',
         '-extensions', 'leaf', '-in', "$dir/expired.csr",
         '-out', "$dir/expired.crt");
}

my $serial = int(rand(1 << 30)) * 16;

sub _serial {
    return ++$serial;
}

sub _run {
    my (@cmd) = @_;
    my $pid = fork;

    die "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>&', \*STDERR;
        open STDERR, '>', '/dev/null' unless $ENV{TEST_VERBOSE};
        exec @cmd or POSIX::_exit(127);
    }

    waitpid $pid, 0;
    die "TlsTest: @cmd[0 .. 1] failed (status " . ($? >> 8) . ")\n" if $?;
}

sub _write {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh $text;
    close $fh or die "$file: $!";
}

sub _read {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    local $/;
    return scalar <$fh>;
}

1;
