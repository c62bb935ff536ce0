package PrecancelTest;

# What every t/*.t file of this project shares: the test keys, the
# provider stand-in (started once per file) and the default http-level
# precancel configuration for blocks that do not bring their own.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Socket::INET ();
use Test::Nginx::Socket ();
use PrecancelStandin ();

our $KEYS = abs_path(dirname(__FILE__) . '/../keys');

sub setup {
    my (%opt) = @_;

    # git does not keep file modes: without this nginx warns that the
    # test keys can be read by other users
    chmod 0600, glob("$KEYS/*.key");

    $ENV{TEST_NGINX_KEYS} = $KEYS;
    $ENV{TEST_NGINX_STANDIN_PORT} ||= free_port();

    unless ($opt{no_standin}) {
        PrecancelStandin::start(port => $ENV{TEST_NGINX_STANDIN_PORT},
                                workers => $opt{workers} || 4);
    }

    Test::Nginx::Socket::no_shuffle();

    Test::Nginx::Socket::add_block_preprocessor(sub {
        my $block = shift;

        if (!defined $block->http_config) {
            $block->set_value("http_config", <<"_EOC_");
    precancel_app_id            APP_TEST;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $KEYS/test1.key;
_EOC_
        }
    });
}

# a port on 127.0.0.1 that nothing listens on now
sub free_port {
    my $sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                     LocalPort => 0, Proto => 'tcp',
                                     Listen => 1)
        or die "cannot find a free port: $!";
    my $port = $sock->sockport;
    close $sock;
    return $port;
}

# the private key of a test key file, for tests that look for leaks
sub key {
    my ($name) = @_;
    return PrecancelStandin::read_key("$KEYS/$name");
}

1;
