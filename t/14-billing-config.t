# Chargebee Billing configuration mistakes stop "nginx -t" with an
# [emerg] naming the file and line: a missing API key file, subscription
# id or success URL, an unknown provider, a directive of the other
# provider beside precancel_pass, bad precancel_param names.

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::Nginx::Socket 'no_plan';
use PrecancelTest;

PrecancelTest::setup(no_standin => 1);

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value("http_config", <<'_EOC_')
    precancel_api_key_file  $TEST_NGINX_KEYS/billing1.key;
_EOC_
        unless defined $block->http_config;
});

run_tests();

__DATA__

=== TEST 1: chargebee_pre_cancel without precancel_api_key_file
--- http_config
--- config
    location = /account/cancel {
        precancel_provider         chargebee_pre_cancel;
        precancel_pass             /_p;
        precancel_subscription_id  $arg_sub;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_provider chargebee_pre_cancel" requires "precancel_api_key_file" in \S+nginx\.conf:\d+/



=== TEST 2: chargebee_pre_cancel without precancel_subscription_id
--- config
    location = /account/cancel {
        precancel_provider  chargebee_pre_cancel;
        precancel_pass      /_p;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_provider chargebee_pre_cancel" requires "precancel_subscription_id" in \S+nginx\.conf:\d+/



=== TEST 3: remove_scheduled_cancellation without precancel_success
--- config
    location = /account/keep {
        precancel_provider         chargebee_remove_scheduled_cancellation;
        precancel_pass             /_p;
        precancel_subscription_id  $arg_sub;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_provider chargebee_remove_scheduled_cancellation" requires "precancel_success" in \S+nginx\.conf:\d+/



=== TEST 4: an unknown provider
--- config
    location = /account/cancel {
        precancel_provider  stripe;
        precancel_pass      /_p;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*unknown precancel_provider "stripe": expected retention, chargebee_pre_cancel or chargebee_remove_scheduled_cancellation in \S+nginx\.conf:\d+/



=== TEST 5: a Retention directive in a Billing location
--- config
    location = /account/cancel {
        precancel_provider         chargebee_pre_cancel;
        precancel_pass             /_p;
        precancel_subscription_id  $arg_sub;
        precancel_field            subscription_id $arg_sub;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_field" cannot be used with "precancel_provider chargebee_pre_cancel" in \S+nginx\.conf:\d+/



=== TEST 6: a Billing directive in a Retention location
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
--- config
    location = /account/cancel {
        precancel_pass             /_p;
        precancel_subscription_id  $arg_sub;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_subscription_id" cannot be used with "precancel_provider retention" in \S+nginx\.conf:\d+/



=== TEST 7: Retention without its keys, given only the Billing one
--- config
    location = /account/cancel {
        precancel_pass  /_p;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"precancel_pass" requires "precancel_app_id" in \S+nginx\.conf:\d+/



=== TEST 8: an API key file that does not exist
--- http_config
    precancel_api_key_file  $TEST_NGINX_KEYS/no-such.key;
--- config
    location = /t { return 200; }
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel API key file "\S+no-such\.key" cannot be opened \(2: No such file or directory\) in \S+nginx\.conf:\d+/



=== TEST 9: an empty API key file
--- http_config
    precancel_api_key_file  $TEST_NGINX_KEYS/blank.key;
--- config
    location = /t { return 200; }
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel API key file "\S+blank\.key" is empty in \S+nginx\.conf:\d+/



=== TEST 10: precancel_param subscription[id] is the module's own
--- config
    location = /account/cancel {
        precancel_provider         chargebee_pre_cancel;
        precancel_pass             /_p;
        precancel_subscription_id  $arg_sub;
        precancel_param            subscription[id] $arg_other;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel_param "subscription\[id\]" is set by precancel_subscription_id in \S+nginx\.conf:\d+/



=== TEST 11: precancel_param given twice
--- config
    location = /account/cancel {
        precancel_provider         chargebee_pre_cancel;
        precancel_pass             /_p;
        precancel_subscription_id  $arg_sub;
        precancel_param            redirect_url /a;
        precancel_param            redirect_url /b;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*precancel_param "redirect_url" is duplicate in \S+nginx\.conf:\d+/



=== TEST 12: an unknown precancel_events_disabled value
--- config
    location = /account/cancel {
        precancel_events_disabled  emails;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "emails" in "precancel_events_disabled" \(known: off, actions, email, webhook\) in \S+nginx\.conf:\d+/



=== TEST 13: Billing and Retention locations side by side, directives at server level
--- http_config
    precancel_app_id            APP;
    precancel_public_key        pk_test_1;
    precancel_private_key_file  $TEST_NGINX_KEYS/test1.key;
    precancel_api_key_file      $TEST_NGINX_KEYS/billing1.key;
    precancel_origin_device     web;
    precancel_events_disabled   email;
--- config
    location = /account/cancel {
        precancel_pass  /_p;
        precancel_field subscription_id $arg_sub;
    }
    location = /account/billing-cancel {
        precancel_provider         chargebee_pre_cancel;
        precancel_pass             /_p;
        precancel_subscription_id  $arg_sub;
    }
    location = /account/keep {
        precancel_provider         chargebee_remove_scheduled_cancellation;
        precancel_pass             /_p;
        precancel_subscription_id  $arg_sub;
        precancel_success          /account;
    }
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
