#!/usr/bin/env bash
# Time to find duplicates and label issues on the full Fashion-MNIST (60,000 train + 10,000
# test), with lathe-cli copied to a private folder (so a rebuild of the shared tree cannot
# swap it mid-run):
#  1. `dataset duplicates` (exact and near, default thresholds) against the exact-only search
#     (--max-hamming 0 --max-rms 0), in N alternating pairs (near first, then exact first, ...):
#     every pair's wall times, its ratio near/exact and the median ratio;
#  2. once, `dataset duplicates` with its counts, and `dataset issues --folds K` with a small,
#     quick config (CONFIG, default: a cnn of widths 8 and 16, 3 epochs) and its wall
#     time.
# Usage: bench/data_quality.sh [--pairs N] [--folds K] [--config CONFIG] [--no-issues]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
pairs=5
folds=5
config=""
issues=1
while [[ $# -gt 0 ]]; do
    case "$1" in
    --pairs) pairs="$2"; shift 2 ;;
    --folds) folds="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --no-issues) issues=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cp "$build/app/cli/lathe-cli" "$tmp/lathe-cli"
cli="$tmp/lathe-cli"
export XDG_DATA_HOME="$tmp"

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"

timed() { # prints the wall seconds of "$@" (output discarded)
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

ratios=()
for ((i = 0; i < pairs; i++)); do
    if ((i % 2 == 0)); then
        near=$(timed "$cli" dataset duplicates)
        exact=$(timed "$cli" dataset duplicates --max-hamming 0 --max-rms 0)
    else
        exact=$(timed "$cli" dataset duplicates --max-hamming 0 --max-rms 0)
        near=$(timed "$cli" dataset duplicates)
    fi
    ratio=$(echo "$near / $exact" | bc -l)
    ratios+=("$ratio")
    printf 'pair %d: near %.2f s, exact only %.2f s, ratio %.3f\n' "$((i + 1))" "$near" "$exact" "$ratio"
done
printf 'median ratio near/exact: %s\n' \
    "$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}')"

echo
"$cli" dataset duplicates
if ((issues)); then
    if [[ -z "$config" ]]; then
        config="$tmp/quick.json"
        cat >"$config" <<'JSON'
{"name": "quality-quick",
 "model": {"arch": "cnn", "widths": [8, 16], "dropout": 0.1},
 "optimizer": {"name": "adamw", "lr": 0.003},
 "training": {"epochs": 3, "batch_size": 128},
 "data": {"val_fraction": 0.0},
 "histograms": {"every": 0}}
JSON
    fi
    echo
    start=$(date +%s.%N)
    "$cli" dataset issues --config "$config" --folds "$folds" --csv "$tmp/issues.csv" | head -8
    end=$(date +%s.%N)
    printf 'dataset issues, %d folds: %.1f s\n' "$folds" "$(echo "$end - $start" | bc -l)"
fi
