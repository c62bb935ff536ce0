package Callgrind;

# The callgrind output reader the benchmarks share (bench/bench.pl's click
# flows, bench/webhook.pl's verifier): the exclusive cost of each
# function, and the inclusive cost and count of each call arc.
# Functions are keyed "object\tfile\tname"; a callee whose call line
# named no object takes the one its own "fn=" block gave it.
#
#   my $cg = Callgrind::parse($file);
#   # { excl => { fn => Ir }, arc => { from => { to => { cost, calls } } },
#   #   total => Ir from the summary line, or undef }

use strict;
use warnings;

sub parse {
    my ($file) = @_;
    open(my $f, '<', $file) or die "$file: $!";
    my (%names, %excl, %arc, %calls, %fn_ob);
    my ($ob, $fl, $fn, $cob, $cfn) = ('') x 5;
    my ($cfl, $total);          # undef: no cfi=/cfl=, no summary line yet
    my ($in_call, $ncalls) = (0, 0);
    my $cur;
    my $name = sub {
        my ($kind, $v) = @_;
        if ($v =~ /^\((\d+)\)(?: (.*))?$/) {
            $names{$kind}{$1} = $2 if defined $2;
            return $names{$kind}{$1} // "?$1";
        }
        return $v;
    };
    while (my $l = <$f>) {
        chomp $l;
        if ($l =~ /^ob=(.*)/)     { $ob = $name->('ob', $1); next }
        if ($l =~ /^f[l]=(.*)/)   { $fl = $name->('fl', $1); next }
        if ($l =~ /^f[ie]=(.*)/)  { $name->('fl', $1); next }
        if ($l =~ /^fn=(.*)/) {
            $fn = $name->('fn', $1);
            $cur = "$ob\t$fl\t$fn";
            $fn_ob{$fn} //= "$ob\t$fl";
            next;
        }
        if ($l =~ /^cob=(.*)/)    { $cob = $name->('ob', $1); next }
        if ($l =~ /^cf[il]=(.*)/) { $cfl = $name->('fl', $1); next }
        if ($l =~ /^cfn=(.*)/)    { $cfn = $name->('fn', $1); next }
        if ($l =~ /^calls=(\d+)/) { $in_call = 1; $ncalls = $1; next }
        if ($l =~ /^(?:summary|totals):\s*(\d+)/) { $total = $1; next }
        if ($l =~ /^[+\-*\d]/ && defined $cur) {
            my @t = split ' ', $l;
            my $c = $t[1] // 0;
            if ($in_call) {
                # a call line without cob= or cfi=/cfl= names a callee
                # in the caller's object or file (callgrind's format)
                my $file = $cfl // $fl;
                my $callee = ($cob ne '' ? $cob : $ob) . "\t$file\t$cfn";
                $arc{$cur}{$callee} += $c;
                $calls{$cur}{$callee} += $ncalls;
                ($cob, $cfl, $cfn, $in_call) = ('', undef, '', 0);
            } else {
                $excl{$cur} += $c;
            }
            next;
        }
    }
    close $f;
    # a callee's object and file, when the call line did not name them
    my %arc2;
    for my $from (keys %arc) {
        for my $to (keys %{ $arc{$from} }) {
            my ($o, $fi, $n) = split /\t/, $to, 3;
            my $key = $to;
            if (!exists $excl{$to} && $fn_ob{$n}) { $key = "$fn_ob{$n}\t$n" }
            $arc2{$from}{$key}{cost} += $arc{$from}{$to};
            $arc2{$from}{$key}{calls} += $calls{$from}{$to};
        }
    }
    return { excl => \%excl, arc => \%arc2, total => $total };
}

1;
