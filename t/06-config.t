# Configuration mistakes stop "nginx -t" with an [emerg] naming the file
# and line (behaviour 6).

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;
use File::Temp qw(tempdir);

PrecancelTest::setup(no_standin => 1);

# a key file other users can read, made here: git keeps no file modes
my $dir = tempdir(CLEANUP => 1);
open my $fh, '>', "$dir/readable.key" or die $!;
print $fh "sk_test_readable\n";
close $fh;
chmod 0644, "$dir/readable.key";
$ENV{TEST_NGINX_TMP} = $dir;

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("config", <<'_EOC_') unless defined $block->config;
    location = /account/cancel {
        precancel_pass /_precancel;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: precancel_pass without precancel_app_id
--- http_config
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_pass" requires "precancel_app_id" in \S+nginx\.conf:\d+/



=== TEST 2: precancel_pass without precancel_public_key
--- http_config
    precancel_app_id            APP;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_pass" requires "precancel_public_key" in \S+nginx\.conf:\d+/



=== TEST 3: precancel_pass without precancel_private_key_file
--- http_config
    precancel_app_id      APP;
    precancel_public_key  pk_test_1;
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_pass" requires "precancel_private_key_file" in \S+nginx\.conf:\d+/



=== TEST 4: a key file that does not exist
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/no-such.key;
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel private key file "\S+no-such\.key" cannot be opened \(2: No such file or directory\) in \S+nginx\.conf:\d+/



=== TEST 5: a key file that cannot be read (a path through a file)
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key/x;
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel private key file "\S+x" cannot be opened \(20: Not a directory\)/



=== TEST 6: a key file that is a directory
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS;
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel private key file "\S+keys" is not a regular file in \S+nginx\.conf:\d+/



=== TEST 7: an empty key file
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/empty.key;
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel private key file "\S+empty\.key" is empty in \S+nginx\.conf:\d+/



=== TEST 8: a key file holding only white space
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/blank.key;
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel private key file "\S+blank\.key" is empty/



=== TEST 9: a key file other users can read is named in a warning
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_TMP/readable.key;
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log eval
qr/\[warn\] .*precancel private key file "\S+readable\.key" can be read by other users/



=== TEST 10: a bad precancel_redirect_allow regex
--- config
    location = /account/cancel {
        precancel_pass            /_precancel;
        precancel_redirect_allow  ^https://(unclosed;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid precancel_redirect_allow: .*missing closing parenthesis.* in \S+nginx\.conf:\d+/



=== TEST 11: a field path with an empty name
--- config
    location = /account/cancel {
        precancel_pass   /_precancel;
        precancel_field  account..id  x;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid precancel_field path "account\.\.id"/



=== TEST 12: a field path starting with a dot
--- config
    precancel_field .account x;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid precancel_field path "\.account"/



=== TEST 13: a field path ending with a dot
--- config
    precancel_field account. x;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid precancel_field path "account\.": it ends with "\."/



=== TEST 14: a field path with a character outside the allowed ones
--- config
    precancel_field "account.int id" x;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid precancel_field path "account\.int id"/



=== TEST 15: a field path deeper than 8 names
--- config
    precancel_field a.b.c.d.e.f.g.h.i x;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid precancel_field path "a\.b\.c\.d\.e\.f\.g\.h\.i"/



=== TEST 16: a field path the module writes itself
--- config
    precancel_field timestamp.x x;
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel_field path "timestamp\.x": "timestamp" is set by the module/



=== TEST 17: the same path twice
--- config
    precancel_field subscription_id a;
    precancel_field subscription_id b;
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel_field path "subscription_id" is duplicate of "subscription_id"/



=== TEST 18: a path that is a value and an object at once
--- config
    precancel_field account    a;
    precancel_field account.id b;
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel_field path "account\.id" conflicts with "account"/



=== TEST 19: precancel_pass must be a URI
--- config
    location = /account/cancel {
        precancel_pass http://retention.example.com/precancel;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel_pass "http:\/\/retention\.example\.com\/precancel" is not a URI starting with "\/"/



=== TEST 20: precancel_pass twice
--- config
    location = /account/cancel {
        precancel_pass /a;
        precancel_pass /b;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_pass" directive is duplicate/



=== TEST 21: a public key with a control character cannot reach a header
--- http_config
    precancel_app_id            APP;
    precancel_public_key        "pk\r\nX-Injected: 1";
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_public_key" contains a control character/



=== TEST 22: precancel_timeout of 0
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
    precancel_timeout           0;
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_timeout" directive must be more than 0 in \S+nginx\.conf:\d+/



=== TEST 23: precancel_timeout that is not a time
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
    precancel_timeout           soon;
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_timeout" directive invalid value in \S+nginx\.conf:\d+/



=== TEST 24: a complete configuration passes
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
    precancel_field             subscription_id      $arg_s;
    precancel_field             account.internal_id  $arg_a;
    precancel_fallback          /direct;
    precancel_redirect_allow    ^https://[a-z0-9-]+\.example\.com/;
    precancel_timeout           3s;
--- config
    location = /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]
[warn]
