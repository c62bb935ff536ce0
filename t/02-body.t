# The request body: app_id, every configured field at its dotted path,
# an ISO8601 UTC timestamp, RFC 8259 escaping, empty fields left out, and
# a signature the stand-in verifies over exactly those bytes (behaviours
# 2 and 3).  The stand-in logs the exact bytes it received: a block's
# "--- sent_body" pattern must match one of them (checked after the
# blocks ran).  The module also logs the body at debug level (last block).

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use JSON::PP ();
use PrecancelTest;
use PrecancelStandin ();

PrecancelTest::setup(no_standin => 1);

my $dir = File::Temp::tempdir("precancel-body-XXXXXX", TMPDIR => 1,
                              CLEANUP => 1);

PrecancelStandin::start(port => $ENV{TEST_NGINX_STANDIN_PORT}, workers => 4,
                        log => "$dir/standin.log");

my @sent;

add_block_preprocessor(sub {
    my $block = shift;

    push @sent, [$block->name, $block->sent_body]
        if defined $block->sent_body;
});

run_tests();

# the bodies as the stand-in read them off the wire, as bytes
my @bodies;
open my $sl, '<', "$dir/standin.log" or die "standin.log: $!";
while (my $line = <$sl>) {
    my $e = JSON::PP->new->utf8->decode($line);
    next unless defined $e->{body};
    my $b = $e->{body};
    utf8::encode($b);
    push @bodies, $b;
}
close $sl;

for my $s (@sent) {
    my ($name, $re) = @$s;
    ok((grep { /$re/ } @bodies),
       "$name - the stand-in received the body matching $re");
}

__DATA__

=== TEST 1: fields sharing a prefix share one object; timestamp at the root
--- config
    location = /account/cancel {
        precancel_pass   /_precancel;
        precancel_field  subscription_id      $arg_s;
        precancel_field  account.internal_id  $arg_a;
        precancel_field  account.email        $arg_e;
        precancel_field  custom.plan          gold;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel?s=sub_1&a=42&e=a@example.com
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?account.email=a%40example.com&account.internal_id=42&app_id=APP_TEST&custom.plan=gold&subscription_id=sub_1&x-headers=none&x-query=none
--- sent_body eval
qr/^\{"app_id":"APP_TEST","subscription_id":"sub_1","account":\{"internal_id":"42","email":"a\@example\.com"\},"custom":\{"plan":"gold"\},"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}\z/
--- no_error_log
[error]



=== TEST 2: the timestamp is the request time in UTC
--- config
    location = /account/cancel {
        precancel_pass /_precancel;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel
--- error_code: 302
--- sent_body eval
my @t = gmtime(time);
my $day = sprintf("%04d-%02d-%02dT", $t[5] + 1900, $t[4] + 1, $t[3]);
qr/^\{"app_id":"APP_TEST","timestamp":"\Q$day\E\d\d:\d\d:\d\dZ"\}\z/



=== TEST 3: a field whose value is empty is left out, and so is its object
--- config
    location = /account/cancel {
        precancel_pass   /_precancel;
        precancel_field  subscription_id      $arg_s;
        precancel_field  account.internal_id  $arg_missing;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel?s=sub_9
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&subscription_id=sub_9&x-headers=none&x-query=none
--- sent_body eval
qr/^\{"app_id":"APP_TEST","subscription_id":"sub_9","timestamp":"[^"]+"\}\z/



=== TEST 4: a hostile value stays one JSON string and the signature holds
--- config
    location = /account/cancel {
        precancel_pass   /_precancel;
        precancel_field  subscription_id  $http_x_sub;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel
--- more_headers eval
"X-Sub: x\", \"app_id\": \"evil\\\tz"
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&subscription_id=x%22%2C%20%22app_id%22%3A%20%22evil%5C%09z&x-headers=none&x-query=none
--- sent_body eval
qr/^\{"app_id":"APP_TEST","subscription_id":"x\\", \\"app_id\\": \\"evil\\\\\\tz","timestamp"/
--- no_error_log
[error]



=== TEST 5: control characters and UTF-8 are escaped or kept as RFC 8259 says
--- config
    location = /account/cancel {
        precancel_pass   /_precancel;
        precancel_field  subscription_id  $http_x_sub;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel
--- more_headers eval
"X-Sub: \x01\x1f\x7f\xc3\xa9\xe2\x82\xac/"
--- error_code: 302
--- response_headers
Location: https://cancel.example.com/inspect?app_id=APP_TEST&subscription_id=%01%1F%7F%C3%A9%E2%82%AC%2F&x-headers=none&x-query=none
--- sent_body eval
qr/^\{"app_id":"APP_TEST","subscription_id":"\\u0001\\u001f\\u007f\xc3\xa9\xe2\x82\xac\/","timestamp"/



=== TEST 6: a value that is not UTF-8 is refused and the browser falls back
--- config
    location = /account/cancel {
        precancel_pass      /_precancel;
        precancel_field     subscription_id  $http_x_sub;
        precancel_fallback  /account/cancel/direct;
        add_header X-Status $precancel_status always;
        add_header X-Error $precancel_error always;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/inspect;
    }
--- request
GET /account/cancel
--- more_headers eval
"X-Sub: \xc3\x28"
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/account/cancel/direct$
X-Status: ^bad_field$
X-Error: ^field "subscription_id" is not valid UTF-8$
--- error_log
precancel failed: field "subscription_id" is not valid UTF-8, redirecting to fallback "/account/cancel/direct"



=== TEST 7: the stand-in refuses a body signed with another key
--- config
    location = /account/cancel {
        precancel_public_key        pk_test_1;
        precancel_private_key_file  $TEST_NGINX_KEYS/test2.key;
        precancel_pass              /_precancel;
        add_header X-Status $precancel_status always;
        add_header X-Error $precancel_error always;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel;
    }
--- request
GET /account/cancel
--- error_code: 502
--- response_headers
X-Status: rejected
X-Error: provider answered 400: "Invalid Signature"
--- error_log
precancel failed: provider answered 400: "Invalid Signature", answering 502 (no precancel_fallback)



=== TEST 8: at debug level the module logs the body it sends
--- needs: debug
--- config
    location = /account/cancel {
        precancel_pass   /_precancel;
        precancel_field  subscription_id  $arg_s;
    }
    location = /_precancel {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_STANDIN_PORT/precancel;
    }
--- request
GET /account/cancel?s=sub_8
--- error_code: 302
--- error_log eval
qr/precancel body: \{"app_id":"APP_TEST","subscription_id":"sub_8","timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"\}/
