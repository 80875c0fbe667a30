#!/usr/bin/perl
# test-smsc.pl - SMPP 3.4 test SMSC for Kannel tests (loopback only).
#
# Why this exists: the SMPP "server" shipped by kannel-extras
# (/usr/lib/kannel/test/drive_smpp) cannot act as an SMSC for MT traffic:
# it does not answer bind_transceiver, its submit_sm_resp carries no
# message_id, it never sends delivery receipts, it logs short_message with
# %s (UCS-2 is cut at the first NUL byte), it listens on all interfaces and
# it connects to bearerbox as an smsbox on the fixed port 13001.  No Debian
# or PyPI package ships a ready SMSC simulator that sends receipts, so this
# script is a small SMSC built on Net::SMPP (Debian: libnet-smpp-perl), which
# does all PDU encoding and decoding.
#
# Usage: test-smsc.pl --port N [--host 127.0.0.1] [--log FILE]
#                     [--pidfile FILE] [--dlr-delay SECONDS]
#                     [--system-id ID --password PW]
#
# Behaviour:
#   bind_transmitter/receiver/transceiver: accepted (if --system-id/--password
#     are given they must match, else ESME_RINVSYSID / ESME_RINVPASWD).
#   submit_sm: answered with submit_sm_resp, message_id = 1, 2, 3 ... (decimal).
#     If registered_delivery asks for a receipt, a deliver_sm receipt
#     (esm_class 0x04, "id:N ... stat:DELIVRD err:000 text:...", plus TLVs
#     receipted_message_id and message_state) is sent after --dlr-delay s.
#   Magic destination numbers for failure tests:
#     84900000002  accepted, receipt stat:UNDELIV err:001 (Kannel DLR type 2)
#     84900000016  submit_sm_resp status 0x45 ESME_RSUBMITFAIL (Kannel DLR 16)
#     84900000058  submit_sm_resp status 0x58 ESME_RTHROTTLED (Kannel retries)
#     84900000000  accepted, never a receipt
#
# Log: one JSON object per line (UTF-8), e.g. for every submit_sm:
#   {"event":"submit_sm","message_id":"1","source_addr":"HAIPHONG1022",
#    "source_addr_ton":5,"source_addr_npi":0,"destination_addr":"84912345678",
#    "dest_addr_ton":1,"dest_addr_npi":1,"esm_class":3,"data_coding":8,
#    "registered_delivery":1,"short_message_hex":"...","udh_hex":"",
#    "payload_hex":"<UCS-2 bytes>","text":"<decoded text>",
#    "concat":{"ref":..,"total":..,"seq":..} (only for parts), "time":...}
#   other events: listening, connect, bind, deliver_sm (the receipts sent),
#   deliver_sm_resp, unbind, disconnect, unknown_pdu.

use strict;
use warnings;
use Net::SMPP;
use IO::Select;
use JSON::PP;
use Encode qw(decode);
use POSIX qw(strftime);
use Time::HiRes qw(time);
use Getopt::Long;

my ($host, $port, $logfile, $pidfile, $dlr_delay) = ('127.0.0.1', undef, undef, undef, 1.0);
my ($want_sysid, $want_pw);
GetOptions('host=s' => \$host, 'port=i' => \$port, 'log=s' => \$logfile,
           'pidfile=s' => \$pidfile, 'dlr-delay=f' => \$dlr_delay,
           'system-id=s' => \$want_sysid, 'password=s' => \$want_pw)
    or die "usage: $0 --port N [--host H] [--log F] [--pidfile F] [--dlr-delay S]\n";
die "$0: --port is required\n" unless $port;

my $log;
if (defined $logfile) {
    open($log, '>>', $logfile) or die "$0: cannot open $logfile: $!\n";
} else {
    open($log, '>&', \*STDOUT) or die;
}
$log->autoflush(1);
my $json = JSON::PP->new->utf8->canonical;

sub logev {
    my (%ev) = @_;
    $ev{time} = sprintf('%.3f', time);
    print $log $json->encode(\%ev), "\n";
}

my $listener = Net::SMPP->new_listen($host, port => $port, smpp_version => 0x34,
                                     timeout => 5)
    or die "$0: cannot listen on $host:$port: $!\n";
if (defined $pidfile) {
    open(my $p, '>', $pidfile) or die "$0: cannot write $pidfile: $!\n";
    print $p "$$\n";
    close $p;
}
logev(event => 'listening', host => $host, port => $port, pid => $$);

my $running = 1;
$SIG{TERM} = $SIG{INT} = sub { $running = 0 };
$SIG{PIPE} = 'IGNORE';

my $sel = IO::Select->new($listener);
my %conn;          # fileno => { smpp => obj, peer => str, bound => type }
my @pending;       # [ due_time, fileno, sub ]
my $next_id = 1;

sub dlr_text_date { strftime('%y%m%d%H%M', localtime($_[0])) }

sub gsm_ish {      # good enough for logs: GSM 03.38 unpacked, ASCII subset
    my ($bytes) = @_;
    (my $s = $bytes) =~ tr/\x00\x02\x11/\@\$_/;
    return decode('latin1', $s);
}

sub describe_sm {
    my ($pdu) = @_;
    my $sm = $pdu->{short_message} // '';
    $sm = $pdu->{message_payload} if $sm eq '' && defined $pdu->{message_payload};
    my ($udh, $payload) = ('', $sm);
    my %out;
    if (($pdu->{esm_class} // 0) & 0x40 && length $sm) {
        my $udhl = ord(substr($sm, 0, 1));
        $udh = substr($sm, 0, $udhl + 1);
        $payload = substr($sm, $udhl + 1);
        my $i = 1;
        while ($i + 1 < length $udh) {
            my ($iei, $iel) = unpack('CC', substr($udh, $i, 2));
            my $v = substr($udh, $i + 2, $iel);
            if ($iei == 0x00 && $iel == 3) {
                my ($r, $t, $s) = unpack('CCC', $v);
                $out{concat} = { ref => $r, total => $t, seq => $s };
            } elsif ($iei == 0x08 && $iel == 4) {
                my ($r, $t, $s) = unpack('nCC', $v);
                $out{concat} = { ref => $r, total => $t, seq => $s };
            }
            $i += 2 + $iel;
        }
    }
    my $dc = $pdu->{data_coding} // 0;
    my $text;
    if ($dc == 8) {
        $text = eval { decode('UTF-16BE', $payload) };
    } elsif ($dc == 0 || $dc == 1 || $dc == 3) {
        $text = gsm_ish($payload);
    }
    $out{short_message_hex} = unpack('H*', $sm);
    $out{udh_hex} = unpack('H*', $udh);
    $out{payload_hex} = unpack('H*', $payload);
    $out{text} = $text if defined $text;
    return %out;
}

sub schedule_receipt {
    my ($fd, $pdu, $id, $stat, $err, $submit_time) = @_;
    my $done = time + $dlr_delay;
    push @pending, [ $done, $fd, sub {
        my $c = $conn{$fd} or return;   # connection gone: receipt lost
        my $first = '';
        my %d = describe_sm($pdu);
        $first = substr($d{text} // '', 0, 20);
        $first =~ s/[^\x20-\x7e]/?/g;
        my $txt = sprintf('id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:%s',
                          $id, ($stat eq 'DELIVRD' ? '001' : '000'),
                          dlr_text_date($submit_time), dlr_text_date(time), $stat, $err, $first);
        my $state = { DELIVRD => 2, UNDELIV => 5, EXPIRED => 3, REJECTD => 8 }->{$stat} // 7;
        my $seq = $c->{smpp}->deliver_sm(
            async => 1,
            source_addr_ton => $pdu->{dest_addr_ton} // 1,
            source_addr_npi => $pdu->{dest_addr_npi} // 1,
            source_addr => $pdu->{destination_addr},
            dest_addr_ton => $pdu->{source_addr_ton} // 0,
            dest_addr_npi => $pdu->{source_addr_npi} // 0,
            destination_addr => $pdu->{source_addr},
            esm_class => 0x04, data_coding => 0, registered_delivery => 0,
            short_message => $txt,
            receipted_message_id => "$id\0",
            message_state => pack('C', $state));
        logev(event => 'deliver_sm', seq => $seq, receipt_for => "$id", stat => $stat,
              short_message => $txt, fd => $fd);
    } ];
}

sub handle_pdu {
    my ($fd, $pdu) = @_;
    my $c = $conn{$fd};
    my $s = $c->{smpp};
    my $cmd = $pdu->{cmd};
    my $name = Net::SMPP::pdu_tab->{$cmd} ? Net::SMPP::pdu_tab->{$cmd}{cmd} : sprintf('0x%08x', $cmd);
    if ($cmd == 0x00000001 || $cmd == 0x00000002 || $cmd == 0x00000009) {
        my $status = 0;
        $status = 0x0F if defined $want_sysid && ($pdu->{system_id} // '') ne $want_sysid;
        $status = 0x0E if !$status && defined $want_pw && ($pdu->{password} // '') ne $want_pw;
        my %resp = (seq => $pdu->{seq}, status => $status, system_id => 'TESTSMSC');
        if ($cmd == 1) { $s->bind_receiver_resp(%resp) }
        elsif ($cmd == 2) { $s->bind_transmitter_resp(%resp) }
        else { $s->bind_transceiver_resp(%resp) }
        $c->{bound} = $name unless $status;
        logev(event => 'bind', type => $name, system_id => $pdu->{system_id},
              password => $pdu->{password}, system_type => $pdu->{system_type},
              interface_version => $pdu->{interface_version}, status => $status, fd => $fd);
    } elsif ($cmd == 0x00000004) {
        my $dst = $pdu->{destination_addr} // '';
        my $status = 0;
        $status = 0x45 if $dst eq '84900000016';
        $status = 0x58 if $dst eq '84900000058';
        my $id = $status ? '' : '' . $next_id++;
        $s->submit_sm_resp(seq => $pdu->{seq}, status => $status, message_id => $id);
        logev(event => 'submit_sm', seq => $pdu->{seq}, status => $status, message_id => $id,
              source_addr => $pdu->{source_addr}, source_addr_ton => $pdu->{source_addr_ton},
              source_addr_npi => $pdu->{source_addr_npi},
              destination_addr => $dst, dest_addr_ton => $pdu->{dest_addr_ton},
              dest_addr_npi => $pdu->{dest_addr_npi}, esm_class => $pdu->{esm_class},
              data_coding => $pdu->{data_coding}, protocol_id => $pdu->{protocol_id},
              registered_delivery => $pdu->{registered_delivery},
              service_type => $pdu->{service_type}, fd => $fd, describe_sm($pdu));
        if (!$status && (($pdu->{registered_delivery} // 0) & 0x03) && $dst ne '84900000000') {
            my $stat = $dst eq '84900000002' ? 'UNDELIV' : 'DELIVRD';
            my $err = $stat eq 'DELIVRD' ? '000' : '001';
            schedule_receipt($fd, $pdu, $id, $stat, $err, time);
        }
    } elsif ($cmd == 0x00000015) {
        $s->enquire_link_resp(seq => $pdu->{seq});
    } elsif ($cmd == 0x80000015) {
        # answer to our own enquire_link (we send none)
    } elsif ($cmd == 0x80000005) {
        logev(event => 'deliver_sm_resp', seq => $pdu->{seq}, status => $pdu->{status}, fd => $fd);
    } elsif ($cmd == 0x00000006) {
        $s->unbind_resp(seq => $pdu->{seq});
        logev(event => 'unbind', fd => $fd);
    } else {
        $s->generic_nack(seq => $pdu->{seq}, status => 0x03) unless $cmd & 0x80000000;
        logev(event => 'unknown_pdu', cmd => $name, seq => $pdu->{seq}, fd => $fd);
    }
}

sub drop {
    my ($fd) = @_;
    my $c = delete $conn{$fd} or return;
    $sel->remove($c->{smpp});
    close($c->{smpp});
    logev(event => 'disconnect', fd => $fd, peer => $c->{peer});
}

while ($running) {
    my $timeout = 0.5;
    if (@pending) {
        my $d = $pending[0][0] - time;
        $timeout = $d < 0 ? 0 : ($d < $timeout ? $d : $timeout);
    }
    for my $h ($sel->can_read($timeout)) {
        if ($h == $listener) {
            my $s = $listener->accept or next;
            my $fd = fileno($s);
            $conn{$fd} = { smpp => $s, peer => $s->peerhost . ':' . $s->peerport, bound => '' };
            $sel->add($s);
            logev(event => 'connect', peer => $conn{$fd}{peer}, fd => $fd);
            next;
        }
        my $fd = fileno($h);
        my $pdu = $h->read_pdu();
        if (!$pdu) { drop($fd); next; }
        handle_pdu($fd, $pdu);
    }
    @pending = sort { $a->[0] <=> $b->[0] } @pending;
    while (@pending && $pending[0][0] <= time) {
        my $job = shift @pending;
        $job->[2]->();
    }
}
drop($_) for keys %conn;
close $listener;
unlink $pidfile if defined $pidfile;
logev(event => 'stopped');
