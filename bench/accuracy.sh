#!/usr/bin/env bash
# The default experiment end to end: `lathe-cli train resources/configs/fashion-cnn.json` from
# process start to exit, then the test accuracy, the wall time and the time until validation
# accuracy first reached 0.92. With --peer, then trains the PyTorch peer (bench/peer_train.py
# accuracy) on the same model and schedule: AdamW, one-cycle, label smoothing, batch 128, 10
# epochs, 5% held out, flips, channels-last, bf16 autocast when Lathe trained in bf16; once as a
# user starts it and once with Lathe's malloc settings. The peer tests after every epoch and
# leaves that time out of its elapsed time, so it is told when it first reached 0.925; Lathe's
# epochs are scored the same way from their kept checkpoints.
# With --pairs N: N pairs of Lathe and the peer with Lathe's malloc settings, in alternating
# order (Lathe first, then the peer first, ...), each scored by its time to 0.925 test accuracy;
# prints every pair's ratio (Lathe's time / the peer's) and their median.
# Usage: bench/accuracy.sh [--peer | --pairs N] [extra lathe-cli train arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
peer=0
pairs=0
case "${1:-}" in
--peer) peer=1; shift ;;
--pairs) pairs="$2"; shift 2 ;;
esac
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
target=0.925
malloc="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824:glibc.malloc.arena_max=1"
hflip=$(sed -n 's/.*"hflip": *\([0-9.]*\).*/\1/p' "$root/resources/configs/fashion-cnn.json")
peer_args=(accuracy --threads "$(nproc)" --epochs 10 --hflip "$hflip" --val-fraction 0.05
           --channels-last)

# Trains Lathe once into $tmp/acc.db; prints its summary and, per epoch, the test accuracy of
# its kept checkpoint and the time from process start to the end of that epoch. With a second
# argument "first", stops scoring at the first epoch that reaches $target.
lathe_run() {
    local args=("$@") until=""
    if [[ "${args[0]:-}" == first ]]; then until=1; args=("${args[@]:1}"); fi
    rm -f "$tmp/acc.db"
    local start end
    start=$(date +%s.%N)
    XDG_DATA_HOME="$tmp" "$build/app/cli/lathe-cli" train "$root/resources/configs/fashion-cnn.json" \
        --db "$tmp/acc.db" "${args[@]}" | grep -E "^(val|test|run|training)" > "$tmp/lathe.log"
    end=$(date +%s.%N)
    [[ -n "$until" ]] || cat "$tmp/lathe.log"
    q() { sqlite3 "$tmp/acc.db" "$1"; }
    printf 'lathe: test accuracy %s, wall %.1f s end to end\n' \
        "$(q "SELECT value FROM metrics WHERE key='test/accuracy' ORDER BY id DESC LIMIT 1;")" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
    [[ -n "$until" ]] || printf 'lathe: time to 0.92 validation accuracy %s s after training started\n' \
        "$(q "SELECT printf('%.1f', min(m.wall_time) - r.started_at) FROM metrics m JOIN runs r
              ON r.id = m.run_id WHERE m.key='val/accuracy' AND m.value >= 0.92;")"
    local e wall acc
    for ((e = 1; ; e++)); do
        wall=$(q "SELECT created_at FROM artifacts WHERE kind = 'checkpoint-epoch-$e' LIMIT 1;")
        [[ -n "$wall" ]] || break
        acc=$("$build/app/cli/lathe-cli" eval 1 --db "$tmp/acc.db" --checkpoint "epoch-$e" --json \
              | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["accuracy"])')
        printf 'lathe epoch %d test_accuracy %.4f elapsed %.1fs\n' "$e" "$acc" \
            "$(awk -v a="$start" -v b="$wall" 'BEGIN {print b - a}')"
        if [[ -n "$until" ]] && awk -v a="$acc" -v t="$target" 'BEGIN {exit !(a >= t)}'; then
            break
        fi
    done
}

# Prints the elapsed seconds of the first "epoch N test_accuracy A elapsed Ss" line with
# A >= $target, or "none".
time_to_target() {
    awk -v t="$target" '{for (i = 1; i < NF - 1; i++) if ($i == "test_accuracy" && $(i + 1) >= t) {
                             sub(/s$/, "", $(i + 3)); print $(i + 3); found = 1; exit}}
                        END {if (!found) print "none"}' "$1"
}

printf 'cpu: %s, %s threads\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
if ((pairs > 0)); then
    ratios=()
    for ((i = 1; i <= pairs; i++)); do
        if ((i % 2)); then order=(lathe peer); else order=(peer lathe); fi
        for side in "${order[@]}"; do
            if [[ $side == lathe ]]; then
                lathe_run first "$@" > "$tmp/pair-lathe.log"
                grep -q "epochs, bf16," "$tmp/lathe.log" && bf16=(--bf16) || bf16=()
            else
                # Pair 1 starts with Lathe, so its precision is known here.
                GLIBC_TUNABLES="$malloc" /usr/bin/python3 "$root/bench/peer_train.py" \
                    "${peer_args[@]}" "${bf16[@]}" > "$tmp/pair-peer.log"
            fi
        done
        a=$(time_to_target "$tmp/pair-lathe.log")
        b=$(time_to_target "$tmp/pair-peer.log")
        if [[ $a == none || $b == none ]]; then
            printf 'pair %d (%s first): lathe %s s, peer %s s to %s: no ratio\n' \
                "$i" "${order[0]}" "$a" "$b" "$target"
            continue
        fi
        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", a / b}')
        ratios+=("$ratio")
        printf 'pair %d (%s first): lathe %s s, peer %s s to %s test accuracy: ratio %s\n' \
            "$i" "${order[0]}" "$a" "$b" "$target" "$ratio"
    done
    ((${#ratios[@]})) || { echo "no pair reached $target on both sides"; exit 1; }
    printf '%s\n' "${ratios[@]}" | sort -n | awk '{r[NR] = $1}
        END {m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
             printf "median ratio (lathe time / peer time to 0.925): %.3f over %d pairs\n", m, NR}'
    exit 0
fi
lathe_run "$@"
if ((peer)); then
    grep -q "epochs, bf16," "$tmp/lathe.log" && peer_args+=(--bf16)
    for env in "" "$malloc"; do
        echo "peer ${env:+with the malloc settings of lathe }(${peer_args[*]}):"
        GLIBC_TUNABLES="$env" /usr/bin/python3 "$root/bench/peer_train.py" "${peer_args[@]}"
    done
fi
