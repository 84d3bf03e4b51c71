#!/usr/bin/env bash
# vit-tiny's accuracy run: `lathe-cli train resources/configs/fashion-vit.json` (Fashion-MNIST,
# target >= 0.88 test accuracy) from process start to exit, then the test accuracy, the epochs,
# the wall time and the mean training throughput. ~7 min on 2 shared cores (0.892 test accuracy,
# 12 epochs, ~1,700 samples/s on 2026-12-01); not in CTest.
# Usage: bench/bench_vit.sh [extra lathe-cli train arguments, e.g. --set training.epochs=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s.%N)
XDG_DATA_HOME="$tmp" "$build/app/cli/lathe-cli" train "$root/resources/configs/fashion-vit.json" \
    --db "$tmp/vit.db" "$@" | grep -E "^(val|test|run|training)"
end=$(date +%s.%N)
q() { sqlite3 "$tmp/vit.db" "$1"; }
wall="$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
printf 'vit-tiny: test accuracy %s after %s epochs, wall %.1f s end to end\n' \
    "$(q "SELECT value FROM metrics WHERE key='test/accuracy' ORDER BY id DESC LIMIT 1;")" \
    "$(q "SELECT count(*) FROM metrics WHERE key='val/accuracy';")" "$wall"
printf 'vit-tiny: %s training samples/s on average, %s s of training per epoch\n' \
    "$(q "SELECT printf('%.0f', avg(value)) FROM metrics WHERE key='train/samples_per_sec';")" \
    "$(q "SELECT printf('%.0f', avg(value)) FROM metrics WHERE key='train/epoch_seconds';")"
