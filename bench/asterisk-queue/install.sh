#!/bin/sh
# Install the typhoon-queue overlay into the Asterisk peer chroot (run as root, Asterisk stopped):
#   bench/asterisk-queue/install.sh ROOT AGENTS BASE_PORT CHECKOUT
# The peer's conf first (/work/shared/bench/asterisk-peer/conf, unchanged), then this folder's files; AGENTS
# pjsip endpoints agent01.. with a static contact sip:agent@127.0.0.1:(BASE_PORT + 2*(i-1)) (the SIPp agents),
# each a member of the queue; the gateway's prompts welcome, queue-welcome and queue-hold (hold music).
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$1; AGENTS=$2; BASE=$3; CHECKOUT=$4
PEER=${PEER_CONF:-/work/shared/bench/asterisk-peer/conf}
ETC="$ROOT/etc/asterisk"
rm -rf "$ETC"; mkdir -p "$ETC"
cp "$PEER"/*.conf "$ETC/"
cp "$HERE/queues.conf" "$HERE/musiconhold.conf" "$HERE/extensions.conf" "$ETC/"
cat "$HERE/modules-extra.conf" >> "$ETC/modules.conf"
i=1
while [ "$i" -le "$AGENTS" ]; do
  n=$(printf 'agent%02d' "$i"); port=$((BASE + 2 * (i - 1)))
  printf '\n[%s](ivr-endpoint)\naors = %s\n\n[%s]\ntype = aor\ncontact = sip:agent@127.0.0.1:%s\nmax_contacts = 1\nqualify_frequency = 0\n' \
    "$n" "$n" "$n" "$port" >> "$ETC/pjsip.conf"
  echo "member => PJSIP/$n" >> "$ETC/queues.conf"
  i=$((i + 1))
done
mkdir -p "$ROOT/usr/share/asterisk/sounds/hl" "$ROOT/usr/share/asterisk/moh-hotline"
cp "$CHECKOUT/Prompts/vi/welcome.wav" "$CHECKOUT/Prompts/vi/queue-welcome.wav" "$ROOT/usr/share/asterisk/sounds/hl/"
cp "$CHECKOUT/Prompts/vi/queue-hold.wav" "$ROOT/usr/share/asterisk/moh-hotline/"
