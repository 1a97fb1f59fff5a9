#!/usr/bin/env bash
# Ingest speed benchmark of `milkyway ingest` (a benchmark, not a test).
#
#   scripts/bench_ingest.sh [DIR]        (default DIR: target/bench-ingest)
#
# Generates a synthetic catalogue in DIR if it is not there yet (STARS rows in FILES gzip ECSV
# files, `milkyway synth`), sets up .venv (scripts/setup-python.sh) with pandas, builds the
# release binary, then runs RUNS rounds of, in turn (the order rotates every round):
#   ingest   milkyway ingest of the catalogue (talk layout, all cores)
#   gzip     gzip -dc of the same files to /dev/null (GNU gzip, one stream)
#   zlib     python's zlib decompressing the same files (one stream)
#   gzip-2   two gzip -dc processes sharing the files (both cores; for information)
#   pandas   scripts/bench_ingest_pandas.py: pandas + python-blosc2 doing the ingest's job
# and prints the median wall times, MB/s of gzipped input and of CSV text, and the ratios
# time(fastest one-stream decompressor) / time(ingest) and time(pandas) / time(ingest).
#
# Environment: STARS (10000000), FILES (20), RUNS (3), SEED (1), FULL (1: all 152 DR3 columns,
# `synth --full`, rows of real width, ~1.3 KB; default 0: the fast 10 columns, ~150 bytes),
# JOBS (ingest --jobs, default
# all cores), PANDAS_SAMPLE (chunks the pandas contender really writes, the others being
# extrapolated, see bench_ingest_pandas.py; 0 writes them all, which takes hours; default 500).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-target/bench-ingest}
STARS=${STARS:-10000000}
FILES=${FILES:-20}
RUNS=${RUNS:-3}
SEED=${SEED:-1}
FULL=${FULL:-0}
PANDAS_SAMPLE=${PANDAS_SAMPLE:-500}
JOBS=${JOBS:-}

scripts/setup-python.sh
if ! .venv/bin/python -c "import pandas" 2>/dev/null; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check pandas
fi
PY=.venv/bin/python
cargo build --release -p milkyway
MW=${CARGO_TARGET_DIR:-target}/release/milkyway
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench_ingest: needs GNU time at /usr/bin/time" >&2; exit 1; }

CAT=$DIR/catalogue-$STARS-$FILES-seed$SEED
SYNTH_MODE=()
if [ "$FULL" = 1 ]; then
    CAT=$CAT-full
    SYNTH_MODE=(--full)
fi
if [ ! -f "$CAT/complete" ]; then
    rm -rf "$CAT"
    echo "== synthesizing $STARS rows in $FILES files into $CAT" >&2
    "$MW" synth -o "$CAT" --stars "$STARS" --files "$FILES" --seed "$SEED" "${SYNTH_MODE[@]}"
    gzip -dc "$CAT"/*.csv.gz | wc -c > "$CAT/csv_bytes"
    touch "$CAT/complete"
fi
GZ_BYTES=$(cat "$CAT"/*.csv.gz | wc -c)
CSV_BYTES=$(cat "$CAT/csv_bytes")
OUT=$DIR/out
mkdir -p "$OUT"
LOG=$DIR/log
rm -rf "$LOG"
mkdir -p "$LOG"

ZLIB_PY='
import sys, zlib
for f in sys.argv[1:]:
    with open(f, "rb") as fh:
        data = fh.read()
    while data:
        d = zlib.decompressobj(31)
        for i in range(0, len(data), 1 << 20):
            d.decompress(data[i:i + (1 << 20)])
        data = d.unused_data
'

run() { # run NAME ROUND COMMAND...: times one run into $LOG/NAME.ROUND.{time,out}
    local name=$1 round=$2
    shift 2
    sync
    "$TIME" -f "%e %P %M %U %S" -o "$LOG/$name.$round.time" "$@" > "$LOG/$name.$round.out" 2> "$LOG/$name.$round.err" || {
        echo "bench_ingest: $name failed, see $LOG/$name.$round.err" >&2
        exit 1
    }
    echo "   $name: $(cut -d' ' -f1 "$LOG/$name.$round.time") s, CPU $(cut -d' ' -f2 "$LOG/$name.$round.time")" >&2
}

contender() { # contender NAME ROUND
    case $1 in
        ingest) run ingest "$2" "$MW" ingest "$CAT" -o "$OUT/galaxy" --force --quiet ${JOBS:+--jobs "$JOBS"} ;;
        gzip) run gzip "$2" sh -c 'gzip -dc "$@" > /dev/null' sh "$CAT"/*.csv.gz ;;
        zlib) run zlib "$2" "$PY" -c "$ZLIB_PY" "$CAT"/*.csv.gz ;;
        gzip-2) run gzip-2 "$2" sh -c 'ls "$@" | xargs -P 2 -n $(( ($# + 1) / 2 )) sh -c '\''gzip -dc "$@" > /dev/null'\'' sh' sh "$CAT"/*.csv.gz ;;
        pandas) run pandas "$2" "$PY" scripts/bench_ingest_pandas.py "$CAT" -o "$OUT/pandas" --sample-chunks "$PANDAS_SAMPLE" ;;
    esac
}

NAMES=(ingest gzip zlib gzip-2 pandas)
echo "== $RUNS rounds on $CAT ($GZ_BYTES bytes gzipped, $CSV_BYTES bytes of CSV text), $(nproc) cores" >&2
for ((r = 1; r <= RUNS; r++)); do
    echo "-- round $r" >&2
    for ((k = 0; k < ${#NAMES[@]}; k++)); do
        contender "${NAMES[$(((k + r - 1) % ${#NAMES[@]}))]}" "$r"
    done
done

"$PY" - "$LOG" "$RUNS" "$GZ_BYTES" "$CSV_BYTES" "$STARS" "$FILES" "$FULL" <<'EOF'
import statistics, sys
log, runs, gz, csv, stars, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
mode = "full-width (152 columns)" if sys.argv[7] == "1" else "fast-mode (10 columns)"
def times(name):
    out = []
    for r in range(1, runs + 1):
        wall, cpu, rss, user, system = open(f"{log}/{name}.{r}.time").read().split()[:5]
        t = float(wall)
        cpu_s = float(user) + float(system)
        if name == "pandas":
            for line in open(f"{log}/{name}.{r}.out"):
                if line.startswith("extrapolated_extra_s"):
                    t += float(line.split()[1])
                    cpu_s += float(line.split()[1])
        out.append((t, float(cpu.rstrip("%")), int(rss), cpu_s))
    return out
rows = [
    ("ingest", "milkyway ingest (talk layout)"),
    ("gzip", "gzip -dc > /dev/null"),
    ("zlib", "python zlib (one stream)"),
    ("gzip-2", "2 x gzip -dc in parallel"),
    ("pandas", "pandas + python-blosc2"),
]
med = {}
cpus = {}
print(f"catalogue: {stars} synthetic {mode} rows in {files} files, {gz / 1e6:.0f} MB gzipped, {csv / 1e6:.0f} MB of CSV text; {runs} rounds, medians")
print(f"| contender | median s | runs (s) | MB/s gzipped | MB/s CSV | CPU % | CPU s (user+sys) | peak RSS MB |")
print(f"|---|---:|---|---:|---:|---:|---:|---:|")
for name, label in rows:
    ts = times(name)
    t = statistics.median(x[0] for x in ts)
    cpu = statistics.median(x[1] for x in ts)
    rss = max(x[2] for x in ts) / 1024
    cs = statistics.median(x[3] for x in ts)
    med[name] = t
    cpus[name] = cs
    extra = " (cube writes partly extrapolated)" if name == "pandas" else ""
    print(f"| {label}{extra} | {t:.2f} | {', '.join(f'{x[0]:.1f}' for x in ts)} | {gz / 1e6 / t:.1f} | {csv / 1e6 / t:.1f} | {cpu:.0f} | {cs:.2f} | {rss:.0f} |")
ref = min(("gzip", "zlib"), key=lambda n: med[n])
print(f"fastest one-stream decompressor: {ref}")
print(f"time({ref}) / time(ingest) = {med[ref] / med['ingest']:.2f}   (target >= 0.8)")
print(f"time(gzip-2) / time(ingest) = {med['gzip-2'] / med['ingest']:.2f}   (both cores decompressing, for information)")
print(f"time(pandas) / time(ingest) = {med['pandas'] / med['ingest']:.1f}   (target >= 5)")
print(f"CPU seconds: {ref} / ingest = {cpus[ref] / cpus['ingest']:.2f}; with two free cores and perfect overlap the")
print(f"  wall-time ratio could reach at most {2 * cpus[ref] / cpus['ingest']:.2f}")
EOF
