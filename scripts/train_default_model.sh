#!/bin/sh
# Regenerates the tuner's shipped default model, crates/blosc2-tune/models/default.json,
# from the synthetic generators of blosc2_tune::model::synth (never from the data sets of
# shared/bench/WORKLOADS.md, which measure it). Measuring takes a few minutes; timings
# vary from run to run, so the model does too, but training from the same measured table
# (written with --table, given back as DATA) gives the same bytes for a seed. The shipped
# model's table is crates/blosc2-tune/models/default-table.jsonl.gz:
#   zcat crates/blosc2-tune/models/default-table.jsonl.gz > t.jsonl
#   target/release/blosc2 tune train t.jsonl --seed 1 -o default.json   # = models/default.json
set -eu
cd "$(dirname "$0")/.."
cargo build --release -p blosc2-cli
target/release/blosc2 tune train --synthetic --synthetic-seeds 1,2 --chunksize 1048576 --reps 2 \
    --seed 1 --table target/default-model-table.jsonl -o crates/blosc2-tune/models/default.json "$@"
