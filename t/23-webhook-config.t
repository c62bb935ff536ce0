# What cannot work stops "nginx -t" with an [emerg] naming the file and
# line: an unknown scheme, no secret, a secret file that cannot be read
# or is empty, a whsec_ secret that is not base64 for "standard", a
# tolerance that is not a time, a status that is not an error, a custom
# scheme without its description.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use WebhookTest;
use File::Temp qw(tempdir);

WebhookTest::setup(no_standin => 1);

# a secret file other users can read, made here: git keeps no file modes
my $dir = tempdir(CLEANUP => 1);
open my $fh, '>', "$dir/readable.secret" or die $!;
print $fh "gh_readable_secret_5e2a9f\n";
close $fh;
chmod 0644, "$dir/readable.secret";
$ENV{TEST_NGINX_TMP} = $dir;

run_tests();

__DATA__

=== TEST 1: an unknown scheme
--- config
    location = /hook {
        webhook_verify paypal;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown webhook_verify scheme "paypal" \(known: cheddargetter, stripe, github, standard, shopify, slack, retention, custom, off\) in \S+nginx\.conf:\d+/



=== TEST 2: a scheme name in another case
--- config
    location = /hook {
        webhook_verify Stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown webhook_verify scheme "Stripe"/



=== TEST 3: no secret
--- config
    location = /hook {
        webhook_verify github;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify" requires "webhook_verify_secret_file" in \S+nginx\.conf:\d+/



=== TEST 4: no secret where the scheme is inherited from the server
--- config
    webhook_verify github;
    location = /hook {
        return 200;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify" requires "webhook_verify_secret_file" in \S+nginx\.conf:\d+/



=== TEST 5: a secret file that does not exist
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/no-such.secret;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*webhook secret file "\S+no-such\.secret" cannot be opened \(2: No such file or directory\) in \S+nginx\.conf:\d+/



=== TEST 6: a secret file that is a directory
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*webhook secret file "\S+keys" is not a regular file/



=== TEST 7: an empty secret file
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/empty.key;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*webhook secret file "\S+empty\.key" is empty in \S+nginx\.conf:\d+/



=== TEST 8: a secret file of white space only
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_KEYS/blank.key;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*webhook secret file "\S+blank\.key" is empty/



=== TEST 9: a whsec_ secret that is not base64, for standard
--- config
    location = /hook {
        webhook_verify standard;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-bad-whsec.secret;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*webhook secret file "\S+webhook-bad-whsec\.secret" is not "whsec_" followed by base64, as wanted by "webhook_verify standard" in \S+nginx\.conf:\d+$/m



=== TEST 10: the same secret is fine for stripe, which keys with it as written
--- config
    location = /hook {
        webhook_verify stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-bad-whsec.secret;
    }
--- request
POST /hook
--- error_code: 401
--- error_log
no "Stripe-Signature" header



=== TEST 11: an inherited secret that one location cannot use
--- http_config
    webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-bad-whsec.secret;
--- config
    location = /stripe {
        webhook_verify stripe;
    }
    location = /standard {
        webhook_verify standard;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*webhook secret file "\S+webhook-bad-whsec\.secret" is not "whsec_" followed by base64/



=== TEST 12: a tolerance that is not a time
--- config
    location = /hook {
        webhook_verify stripe;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret;
        webhook_verify_tolerance five-minutes;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_tolerance" directive invalid value in \S+nginx\.conf:\d+/



=== TEST 13: a tolerance of 0
--- config
    webhook_verify_tolerance 0;
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_tolerance" directive must be more than 0 in \S+nginx\.conf:\d+/



=== TEST 14: a status that is not an error
--- config
    webhook_verify_status 302;
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_status" directive must be between 400 and 599 in \S+nginx\.conf:\d+/



=== TEST 15: custom without webhook_verify_custom
--- config
    location = /hook {
        webhook_verify custom;
        webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-custom.secret;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify custom" requires "webhook_verify_custom" in \S+nginx\.conf:\d+/



=== TEST 16: webhook_verify_custom without header=
--- config
    webhook_verify_custom mac=sha256;
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_custom" requires "header="/



=== TEST 17: webhook_verify_custom with an unknown MAC
--- config
    webhook_verify_custom header=X-Sig mac=md5;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "mac=md5" in "webhook_verify_custom"/



=== TEST 18: webhook_verify_custom with an unknown parameter
--- config
    webhook_verify_custom header=X-Sig digest=sha256;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "digest=sha256" in "webhook_verify_custom"/



=== TEST 19: webhook_verify_custom with a bad header name
--- config
    webhook_verify_custom "header=X Sig";
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid header name "X Sig" in "webhook_verify_custom"/



=== TEST 20: webhook_verify twice
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify stripe;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify" directive is duplicate in \S+nginx\.conf:\d+/



=== TEST 21: a secret name with a space
--- config
    webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret "name=old one";
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid secret name "old one"/



=== TEST 22: two secrets of one name
--- config
    webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret name=k;
    webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe-old.secret name=k;
--- must_die
--- error_log eval
qr/\[emerg\] .*duplicate secret name "k"/



=== TEST 23: a second parameter that is not name=
--- config
    webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-stripe.secret label=k;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "label=k"/



=== TEST 24: a secret file other users can read is named in a warning
--- config
    location = /hook {
        webhook_verify github;
        webhook_verify_secret_file $TEST_NGINX_TMP/readable.secret;
    }
--- request
POST /hook
--- error_code: 401
--- error_log eval
qr/\[warn\] .*webhook secret file "\S+readable\.secret" can be read by other users/



=== TEST 25: webhook_verify off in a nested location
--- config
    webhook_verify github;
    webhook_verify_secret_file $TEST_NGINX_KEYS/webhook-github.secret;
    location /open {
        webhook_verify off;
        return 200 "open\n";
    }
--- request
GET /open
--- response_body
open



=== TEST 26: a status just below the errors
--- config
    location = /hook {
        webhook_verify_status 399;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_status" directive must be between 400 and 599 in \S+nginx\.conf:\d+/



=== TEST 27: a status just beyond the errors
--- config
    webhook_verify_status 600;
--- must_die
--- error_log eval
qr/\[emerg\] .*"webhook_verify_status" directive must be between 400 and 599 in \S+nginx\.conf:\d+/
