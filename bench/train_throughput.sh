#!/usr/bin/env bash
# Training throughput end to end: `lathe-cli train` on the default CNN (data loading on,
# augmentation off, metrics logged to a real store) vs the same model, optimizer, batch size
# and threads in PyTorch Python (bench/peer_train.py), in one run. Prints samples/s and the
# ratio lathe/peer for the peer in its default memory format and in channels-last (the format
# Lathe uses for convolutions on the CPU).
# Usage: bench/train_throughput.sh [STEPS]   (needs a built tree: scripts/setup)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
steps="${1:-300}"
threads="$(nproc)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

XDG_DATA_HOME="$tmp" "$build/app/cli/lathe-cli" train "$root/resources/configs/fashion-cnn.json" \
    --db "$tmp/bench.db" --set augment.enabled=false --set training.threads="$threads" \
    --max-steps "$steps" > "$tmp/lathe.log"
# Steady state: skip the first throughput window (warm-up), like the peer skips 20 steps.
lathe=$(sqlite3 "$tmp/bench.db" \
    "SELECT avg(value) FROM metrics WHERE key='train/samples_per_sec' AND step > 20;")
peer=$(/usr/bin/python3 "$root/bench/peer_train.py" throughput --steps "$steps" \
    --threads "$threads" | awk '/samples_per_sec/ {print $2}')
peer_cl=$(/usr/bin/python3 "$root/bench/peer_train.py" throughput --steps "$steps" \
    --threads "$threads" --channels-last | awk '/samples_per_sec/ {print $2}')
printf 'threads %s, batch 128, %s steps\n' "$threads" "$steps"
printf 'lathe-cli train        %8.1f samples/s\n' "$lathe"
printf 'pytorch (NCHW)         %8.1f samples/s   ratio lathe/peer %.2f\n' "$peer" \
    "$(awk -v a="$lathe" -v b="$peer" 'BEGIN {print a / b}')"
printf 'pytorch (channels-last)%8.1f samples/s   ratio lathe/peer %.2f\n' "$peer_cl" \
    "$(awk -v a="$lathe" -v b="$peer_cl" 'BEGIN {print a / b}')"
