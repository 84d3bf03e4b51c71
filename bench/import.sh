#!/usr/bin/env bash
# Import speed (issue 20): a 1M-scalar TensorBoard event file, written by the tests' helper
# (bench_import write), imported by `lathe-cli import` into a fresh store, alternating with the
# reader alone (bench_import read: framing, CRC32C, protobuf, no store) so that the store's share
# shows as a ratio of paired runs. Both programs link LibTorch, whose loading is ~1.7 s of each
# wall time here (bench_import also prints its in-process seconds). TensorBoard's own loader is not installed here (no
# tensorboard or tensorflow package for Debian 12's python3), so it is not a peer.
#   bench/import.sh [PAIRS] [SCALARS]    (defaults 5 and 1000000; binaries from BUILD_DIR, or
#   LATHE_CLI and BENCH_IMPORT: copies outside the shared build, as a bench should run)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
pairs="${1:-5}"
scalars="${2:-1000000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cli="${LATHE_CLI:-$build/app/cli/lathe-cli}"
bench="${BENCH_IMPORT:-$build/bench/bench_import}"
[[ -n "${BENCH_IMPORT:-}" ]] || cmake --build "$build" --target bench_import >&2
mkdir -p "$tmp/logs/run"
file="$tmp/logs/run/events.out.tfevents.1700000000.bench"
"$bench" write "$file" "$scalars"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
seconds() { # wall seconds of a command
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
imports=() reads=() ratios=()
for ((i = 1; i <= pairs; i++)); do
    rm -f "$tmp"/bench.db*
    a=$(seconds env XDG_DATA_HOME="$tmp/data" "$cli" import "$tmp/logs" --db "$tmp/bench.db")
    b=$(seconds "$bench" read "$file")
    imports+=("$a") reads+=("$b") ratios+=("$(echo "$a / $b" | bc -l)")
    printf 'pair %d: import %.2f s, read only %.2f s\n' "$i" "$a" "$b"
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
printf 'median: import %.2f s, read only %.2f s, import/read %.2f (of %d pairs)\n' \
    "$(median "${imports[@]}")" "$(median "${reads[@]}")" "$(median "${ratios[@]}")" "$pairs"
