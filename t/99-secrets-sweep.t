# After the whole suite: the debug error logs and access logs of every
# nginx the suite started (collected in PRECANCEL_SWEEP_DIR by
# t/lib/PrecancelTest.pm; "make t" sets it) hold no private key and no
# webhook secret.  Every response's headers and body were checked for
# them as it arrived.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use PrecancelTest;

my $dir = $ENV{PRECANCEL_SWEEP_DIR};

plan skip_all => "PRECANCEL_SWEEP_DIR is not set (make t sets it)"
    unless $dir;

my @secrets = PrecancelTest::secrets();

for my $log ("error.log", "access.log") {
    my $path = "$dir/$log";

    ok(-s $path, "$log was written by the suite")
        or next;

    open my $fh, '<', $path or die "$path: $!";
    my ($lines, $bodies, $hooks, $leaks) = (0, 0, 0, 0);

    while (my $line = <$fh>) {
        $lines++;
        $bodies++ if $line =~ /precancel body: \{/;
        $hooks++ if $line =~ /webhook verify handler/;

        for my $s (@secrets) {
            if (index($line, $s) >= 0) {
                $leaks++;
                diag("$log:$.: holds a private key or a piece of one");
                last;
            }
        }
    }

    close $fh;

    # the sweep means something only if the suite really ran through here
    if ($log eq "error.log") {
        cmp_ok($bodies, '>=', 50,
               "error.log has the debug lines of at least 50 precancels "
               . "($bodies in $lines lines)");
        cmp_ok($hooks, '>=', 50,
               "error.log has the debug lines of at least 50 webhook "
               . "verifications ($hooks)");
    } else {
        cmp_ok($lines, '>=', 50, "access.log has $lines requests");
    }

    is($leaks, 0, "no private key or webhook secret in $log");
}

done_testing();
