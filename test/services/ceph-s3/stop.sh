#!/bin/bash
# Stops the daemons start.sh started in $D, by pid file (never by name), then
# the watchdog. Idempotent. Does not remove $D (the caller does).
# The cluster is throwaway, so SIGKILL is right: a graceful OSD shutdown
# takes ~6 s and there is nothing to keep.
: "${D:?set D to the directory given to start.sh}"
pids=()
for n in client.rgw.a osd.0 mon.a; do
  p=$(cat "$D/run/$n.pid" 2>/dev/null) || continue
  kill -9 "$p" 2>/dev/null && pids+=("$p")
done
for p in "${pids[@]}"; do
  for _ in $(seq 1 50); do
    # gone, or a zombie waiting for a parent that may never reap it
    state=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) || break
    [ "$state" = Z ] && break
    sleep 0.05
  done
done
if [ -f "$D/run/watchdog.pid" ] && [ "$PPID" != "$(cat "$D/run/watchdog.pid")" ]; then
  kill "$(cat "$D/run/watchdog.pid")" 2>/dev/null
fi
true
