#!/bin/bash
# Starts a throwaway single-node Ceph cluster (1 mon, 1 osd, 1 radosgw) on
# 127.0.0.1 without systemd, for tests. Used by test/services/ceph-s3.ts.
#
# Usage: start.sh            env:
#   D          working directory (wiped and created)            required
#   MON_PORT   monitor port (msgr v2)                           default 3300
#   RGW_PORT   S3 gateway port                                  default 7480
#   AK, SK     access and secret key of the S3 user created     default testaccesskey/testsecretkey
#   STORE      memstore (data in RAM, ~4 s) | bluestore (sparse file, ~10 s)  default memstore
#   WATCH_PID  when set, a watchdog stops the cluster once this process exits
#
# Why these settings (each cost time to find):
# - `auth = none` needs `ms mon client mode = crc`, or radosgw hangs on auth error -13.
# - `paxos propose interval = 0.05` cuts start-up from 13-20 s to about 4 s.
# - `tcp_nodelay=1` on the beast frontend: without it most requests wait
#   ~40 ms for a delayed ACK (GET 46 ms -> 7 ms, List 52 ms -> 14 ms).
# - `rgw max listing results = 100` caps list pages (MaxKeys) at 100 keys, so
#   tests exercise pagination with a few hundred objects instead of thousands.
set -euo pipefail
: "${D:?set D to a scratch directory}"
STORE=${STORE:-memstore}
MON_PORT=${MON_PORT:-3300}
RGW_PORT=${RGW_PORT:-7480}
AK=${AK:-testaccesskey}
SK=${SK:-testsecretkey}
HERE=$(dirname "$(readlink -f "$0")")
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(now_ms)
say() { echo "t+$(( $(now_ms) - t0 ))ms $*"; }

rm -rf "$D"; mkdir -p "$D"/{mon,osd0,rgw,log,run,crash}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.0/8
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon max pg per osd = 1000
paxos propose interval = 0.05
paxos min wait = 0.01
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
log file = $D/log/\$name.log
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
crash dir = $D/crash
osd objectstore = $STORE
memstore device bytes = 8589934592
bluestore block path = $D/osd0/block.file
bluestore block create = true
bluestore block size = 21474836480
bluestore fsck on mount = false
osd memory target = 1073741824
bluestore cache autotune = false
bluestore cache size = 268435456
osd max object size = 134217728
[mon.a]
mon data = $D/mon
[osd.0]
osd data = $D/osd0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $D/rgw
rgw dns name = localhost
rgw thread pool size = 64
rgw max listing results = 100
CONF
export CEPH_CONF="$D/ceph.conf"

if [ -n "${WATCH_PID:-}" ]; then
  # Stops the cluster if the test process dies without calling stop().
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -d "$2" ]; do sleep 1; done; D="$2" "$3/stop.sh"; rm -rf "$2"' \
    watchdog "$WATCH_PID" "$D" "$HERE" </dev/null >/dev/null 2>&1 &
  echo $! > "$D/run/watchdog.pid"
fi

monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$D/monmap"
ceph-mon -i a
say "mon started"
ceph --connect-timeout 20 mon stat >/dev/null
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(ceph osd new "$OSD_UUID")
ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" >/dev/null 2>&1
ceph-osd -i "$OSD_ID"
for _ in $(seq 1 120); do ceph osd stat -f json | grep -q '"num_up_osds":1' && break; sleep 0.5; done
say "osd up"
radosgw -n client.rgw.a
for _ in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$RGW_PORT/" && break; sleep 0.5; done
say "rgw answering"
radosgw-admin user create --uid=test --display-name=test --access-key="$AK" --secret-key="$SK" >/dev/null
say "ready on http://127.0.0.1:$RGW_PORT ($STORE)"
