#!/usr/bin/env bash
# The default experiment end to end: `lathe-cli train resources/configs/fashion-cnn.json` from
# process start to exit, then the test accuracy, the wall time and the time until validation
# accuracy first reached 0.92. With --peer, then trains the PyTorch peer (bench/peer_train.py
# accuracy) on the same model and schedule: AdamW, one-cycle, label smoothing, batch 128, 10
# epochs, 5% held out, flips, channels-last, bf16 autocast when Lathe trained in bf16; once as a
# user starts it and once with Lathe's malloc settings. The peer tests after every epoch and
# leaves that time out of its elapsed time, so it is told when it first reached 0.925; Lathe's
# epochs are scored the same way from their kept checkpoints.
# Usage: bench/accuracy.sh [--peer] [extra lathe-cli train arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
peer=0
if [[ "${1:-}" == --peer ]]; then peer=1; shift; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

printf 'cpu: %s, %s threads\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
start=$(date +%s.%N)
XDG_DATA_HOME="$tmp" "$build/app/cli/lathe-cli" train "$root/resources/configs/fashion-cnn.json" \
    --db "$tmp/acc.db" "$@" | grep -E "^(val|test|run|training)" | tee "$tmp/lathe.log"
end=$(date +%s.%N)
q() { sqlite3 "$tmp/acc.db" "$1"; }
printf 'lathe: test accuracy %s, wall %.1f s end to end\n' \
    "$(q "SELECT value FROM metrics WHERE key='test/accuracy' ORDER BY id DESC LIMIT 1;")" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
printf 'lathe: time to 0.92 validation accuracy %s s after training started\n' \
    "$(q "SELECT printf('%.1f', min(m.wall_time) - r.started_at) FROM metrics m JOIN runs r
          ON r.id = m.run_id WHERE m.key='val/accuracy' AND m.value >= 0.92;")"
# On the peer's terms: the test accuracy after each epoch (its kept checkpoint epoch-N.pt,
# evaluated afterwards and left out of the time) and the time from process start to the end
# of that epoch (its checkpoint written).
for ((e = 1; ; e++)); do
    wall=$(q "SELECT created_at FROM artifacts WHERE kind = 'checkpoint-epoch-$e' LIMIT 1;")
    [[ -n "$wall" ]] || break
    acc=$("$build/app/cli/lathe-cli" eval 1 --db "$tmp/acc.db" --checkpoint "epoch-$e" --json \
          | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["accuracy"])')
    printf 'lathe epoch %d test_accuracy %.4f elapsed %.1fs\n' "$e" "$acc" \
        "$(awk -v a="$start" -v b="$wall" 'BEGIN {print b - a}')"
done
if ((peer)); then
    hflip=$(sed -n 's/.*"hflip": *\([0-9.]*\).*/\1/p' "$root/resources/configs/fashion-cnn.json")
    peer_args=(accuracy --threads "$(nproc)" --epochs 10 --hflip "$hflip" --val-fraction 0.05
               --channels-last)
    grep -q "epochs, bf16," "$tmp/lathe.log" && peer_args+=(--bf16)
    malloc="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824:glibc.malloc.arena_max=1"
    for env in "" "$malloc"; do
        echo "peer ${env:+with the malloc settings of lathe }(${peer_args[*]}):"
        GLIBC_TUNABLES="$env" /usr/bin/python3 "$root/bench/peer_train.py" "${peer_args[@]}"
    done
fi
