#!/usr/bin/env bash
# The explorer's pyramid and query layer on a synthetic galaxy of 10^7 rows:
#  1. ingest time with and without the pyramid (`--no-pyramid`), alternating, RUNS rounds;
#  2. single-threaded latency of the query layer (p50/p95): projections and region queries
#     (`apps/milkyway/examples/bench_queries.rs`).
# Usage: scripts/bench_galaxy_queries.sh [DIR]   (default DIR: target/bench-pyr; knobs STARS, FILES, RUNS, ROUNDS)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-target/bench-pyr}
STARS=${STARS:-10000000}
FILES=${FILES:-20}
RUNS=${RUNS:-3}
ROUNDS=${ROUNDS:-20}
cargo build --release -p milkyway --bin milkyway --example bench_queries
MW=target/release/milkyway
mkdir -p "$DIR"
[ -d "$DIR/cat" ] || $MW synth -o "$DIR/cat" --stars "$STARS" --files "$FILES"
echo "ingest wall seconds (with pyramid | without), alternating:"
for r in $(seq 1 "$RUNS"); do
  for mode in with without; do
    flag=""; [ $mode = without ] && flag="--no-pyramid"
    /usr/bin/time -f "%e %M" -o "$DIR/ingest-$mode.time" $MW ingest "$DIR/cat" -o "$DIR/galaxy-$mode" --force --quiet $flag 2>"$DIR/ingest-$mode.log"
    read -r wall rss < "$DIR/ingest-$mode.time"
    echo "round $r $mode: wall ${wall} s, peak RSS ${rss} KB $(grep -o 'pyramid: levels.*' "$DIR/ingest-$mode.log" | sed 's/.*bytes, /(pyramid /;s/$/)/')"
  done
done
echo "load: $(cat /proc/loadavg)"
target/release/examples/bench_queries "$DIR/galaxy-with" "$ROUNDS"
