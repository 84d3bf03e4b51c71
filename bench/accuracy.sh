#!/usr/bin/env bash
# The default experiment end to end: `lathe-cli train resources/configs/fashion-cnn.json` from
# process start to exit, then the test accuracy, the wall time and the time until validation
# accuracy first reached 0.92. With --peer, also trains the PyTorch peer (bench/peer_train.py
# accuracy: same model, AdamW, one-cycle, batch 128, 5 epochs) for comparison.
# Usage: bench/accuracy.sh [--peer] [extra lathe-cli train arguments]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
peer=0
if [[ "${1:-}" == --peer ]]; then peer=1; shift; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s.%N)
XDG_DATA_HOME="$tmp" "$build/app/cli/lathe-cli" train "$root/resources/configs/fashion-cnn.json" \
    --db "$tmp/acc.db" "$@" | grep -E "^(val|test|run|training)"
end=$(date +%s.%N)
q() { sqlite3 "$tmp/acc.db" "$1"; }
printf 'lathe: test accuracy %s, wall %.1f s end to end\n' \
    "$(q "SELECT value FROM metrics WHERE key='test/accuracy' ORDER BY id DESC LIMIT 1;")" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
printf 'lathe: time to 0.92 validation accuracy %s s after training started\n' \
    "$(q "SELECT printf('%.1f', min(m.wall_time) - r.started_at) FROM metrics m JOIN runs r
          ON r.id = m.run_id WHERE m.key='val/accuracy' AND m.value >= 0.92;")"
if ((peer)); then
    /usr/bin/python3 "$root/bench/peer_train.py" accuracy --threads "$(nproc)" --epochs 5
fi
