#!/usr/bin/env bash
# Training throughput, paired: `lathe-cli train` on the default experiment (its loader thread,
# hflip augmentation, metrics logged to a real store) against the same model, optimizer, batch
# size, threads and flips in PyTorch Python at its best (bench/peer_train.py, channels-last,
# bf16 autocast when Lathe trains in bf16: the config's `auto` on a CPU with native bf16, or
# --bf16; --fp32 makes both sides fp32), alternating A B A B ... in one run. The figure is
# the median of the pair ratios lathe/peer. The peer runs twice per pair: as a user starts it,
# and with the malloc settings Lathe applies to itself (util::configureAllocator), so the
# ratio shows what comes from the allocator and what from the step itself.
# With --torchscript FILE both sides train that TorchScript model instead (Lathe imports it as
# finetune.torchscript, the peer runs it with torch.jit.load), e.g. torchvision's ResNet-18 for
# one channel, scripted as the README shows.
# Usage: bench/train_throughput.sh [--pairs N] [--steps S] [--fp32|--bf16] [--torchscript FILE]
# (needs scripts/setup)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
pairs=5 steps=300 lathe_args=() peer_args=()
while (($#)); do
    case "$1" in
        --pairs) pairs="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --bf16) lathe_args+=(--set training.mixed_precision=bf16); shift ;;
        --fp32) lathe_args+=(--set training.mixed_precision=off); shift ;;
        --torchscript)
            file="$(realpath "$2")"
            lathe_args+=(--set finetune.torchscript="$file"); peer_args+=(--model "$file"); shift 2 ;;
        *) echo "usage: $0 [--pairs N] [--steps S] [--fp32|--bf16] [--torchscript FILE]" >&2
           exit 2 ;;
    esac
done
threads="$(nproc)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
hflip=$(sed -n 's/.*"hflip": *\([0-9.]*\).*/\1/p' "$root/resources/configs/fashion-cnn.json")
# What util::configureAllocator sets: mmap threshold 32 MiB, trim threshold 1 GiB, one arena.
lathe_malloc="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824:glibc.malloc.arena_max=1"

lathe() { # steady state: the throughput windows after step 20, as the peer skips 20 steps
    local db="$tmp/run$1.db"
    XDG_DATA_HOME="$tmp" "$build/app/cli/lathe-cli" train \
        "$root/resources/configs/fashion-cnn.json" --db "$db" --set training.threads="$threads" \
        --max-steps "$steps" "${lathe_args[@]}" > "$tmp/lathe.log"
    sqlite3 "$db" "SELECT avg(value) FROM metrics WHERE key='train/samples_per_sec' AND step > 20;"
}
peer() {
    /usr/bin/python3 "$root/bench/peer_train.py" throughput --steps "$steps" --threads "$threads" \
        --channels-last --hflip "$hflip" "${peer_args[@]}" | awk '/samples_per_sec/ {print $2}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

: > "$tmp/r1"; : > "$tmp/r2"
for ((i = 1; i <= pairs; i++)); do
    a=$(lathe "$i")
    if ((i == 1)); then # the precision lathe-cli says it trains in decides the peer's
        precision=$(sed -n 's/.* epochs, \([a-z0-9]*\), database.*/\1/p' "$tmp/lathe.log")
        [[ "$precision" == bf16 ]] && peer_args+=(--bf16)
        printf 'cpu: %s, %s threads, batch 128, %s steps, hflip %s, %s on both sides\n' \
            "$(lscpu | sed -n 's/^Model name: *//p')" "$threads" "$steps" "$hflip" "$precision"
        printf '%-5s %12s %12s %14s %9s %12s\n' pair lathe peer peer+malloc ratio ratio+malloc
    fi
    b=$(peer)
    c=$(GLIBC_TUNABLES="$lathe_malloc" peer)
    echo "$(ratio "$a" "$b")" >> "$tmp/r1"
    echo "$(ratio "$a" "$c")" >> "$tmp/r2"
    printf '%-5s %12.1f %12.1f %14.1f %9s %12s\n' "$i" "$a" "$b" "$c" "$(ratio "$a" "$b")" \
        "$(ratio "$a" "$c")"
done
printf 'median pair ratio lathe/peer %s, lathe/(peer with the same malloc settings) %s\n' \
    "$(median < "$tmp/r1")" "$(median < "$tmp/r2")"
