#!/usr/bin/env bash
# Alternating A/B sittings of the 2-step webhook's max throughput (bench/peer-bench.sh with
# MAX_ONLY=1 PROBE=1): this tree's build against a base build, one sitting after the other, each
# on a fresh server and database, so a loaded machine's drift hits both sides alike.
#   usage: bench/engine/ab-sittings.sh OUT_DIR BASE_ROOT AFTER_ROOT [SITTINGS] [REPS]
# BASE_ROOT / AFTER_ROOT: checkouts (e.g. git worktrees) with a build in $NEXT_DIST_DIR
# (default .next). Each sitting takes the heavy lock (/tmp/s10-heavy.lock when it exists).
# Then: node bench/engine/ab-summary.mjs OUT_DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 3 ] || { echo "usage: $0 OUT_DIR BASE_ROOT AFTER_ROOT [SITTINGS] [REPS]" >&2; exit 2; }
OUT="$(realpath -m "$1")"; BASE="$2"; AFTER="$3"; SITTINGS="${4:-3}"; REPS="${5:-3}"
LOCK="${HEAVY_LOCK:-/tmp/s10-heavy.lock}"
mkdir -p "$OUT"
for s in $(seq 1 "$SITTINGS"); do
  # Alternate which side goes first, so neither always follows the other.
  if [ $((s % 2)) = 1 ]; then order="base after"; else order="after base"; fi
  for side in $order; do
    root="$BASE"; [ "$side" = after ] && root="$AFTER"
    start="$(date -u +%H:%M:%S) $(cut -d' ' -f1 /proc/loadavg)"
    echo "[ab $start] sitting $s: $side" >&2
    flock "$LOCK" env TF_ROOT="$root" MAX_ONLY=1 PROBE=1 MAX_WARM_SECS="${MAX_WARM_SECS:-5}" \
      MAX_SECS="${MAX_SECS:-15}" "$HERE/../peer-bench.sh" "$OUT/$s-$side" "$REPS" \
      > "$OUT/$s-$side.md" 2> "$OUT/$s-$side.log"
    # sitting side start-time start-load end-time end-load (1-minute load averages)
    echo "$s $side $start $(date -u +%H:%M:%S) $(cut -d' ' -f1 /proc/loadavg)" >> "$OUT/sittings.txt"
  done
done
