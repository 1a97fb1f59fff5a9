#!/bin/sh
# Regenerates the tuner's shipped default model, crates/blosc2-tune/models/default.json,
# from the synthetic generators of blosc2_tune::model::synth (never from the data sets of
# shared/bench/WORKLOADS.md or the Milky Way star table, which measure it): every
# generator and variant as chunks of 1 MiB (seeds 1 and 2) and of 8 MiB (seed 3), so
# that the chunk and block sizes the tuner meets are among the features it learned from.
# Measuring takes about 38 minutes on one core (8 for the 1 MiB chunks, 29 for the 8 MiB
# ones); timings vary from run to run, so the model does too, but training from the same
# measured table (written with --table, given back as DATA) gives the same bytes for a
# seed. The shipped model's table is crates/blosc2-tune/models/default-table.jsonl.gz
# (its rows of the catalogue generators, catalog_*, were measured apart with
# --synthetic-kinds and put after the other rows of their seed, as this script orders
# them; its features were computed again with --refeature when they changed):
#   zcat crates/blosc2-tune/models/default-table.jsonl.gz > t.jsonl
#   target/release/blosc2 tune train t.jsonl --seed 1 -o default.json   # = models/default.json
set -eu
cd "$(dirname "$0")/.."
cargo build --release -p blosc2-cli
t1=target/default-model-table-1m.jsonl
t8=target/default-model-table-8m.jsonl
target/release/blosc2 tune train --synthetic --synthetic-seeds 1,2 --chunksize 1048576 --reps 2 \
    --seed 1 --table "$t1" -o target/default-model-1m.json
target/release/blosc2 tune train --synthetic --synthetic-seeds 3 --chunksize 8388608 --reps 2 \
    --seed 1 --table "$t8" -o target/default-model-8m.json
cat "$t1" "$t8" > target/default-model-table.jsonl
target/release/blosc2 tune train target/default-model-table.jsonl --seed 1 \
    -o crates/blosc2-tune/models/default.json "$@"
gzip -9 -n -c target/default-model-table.jsonl > crates/blosc2-tune/models/default-table.jsonl.gz
