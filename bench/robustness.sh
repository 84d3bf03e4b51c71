#!/usr/bin/env bash
# The default CNN (resources/configs/fashion-cnn.json), trained normally and with PGD adversarial
# training, then attacked with PGD-40 at epsilon 0.1 and 0.2 (pixel range 0-1) on the test set.
#
#   bench/robustness.sh [EPOCHS] [TRAIN_EPS] [LIMIT]
#
# EPOCHS (default 10, the config's schedule) for both runs; TRAIN_EPS (default 0.2) the PGD-7
# training radius; LIMIT (default 10000: the whole test set) the test samples attacked.
# SKIP_TRAIN=1 attacks the runs already in BENCH_DIR's store; ONLY_PGD=1 trains no standard run.
# LATHE_CLI names the binary (default build/app/cli/lathe-cli: copy it somewhere private for a
# long bench while others build); BENCH_DIR the folder for the store (default a new temporary one);
# BENCH_CONFIG the config (default resources/configs/fashion-cnn.json).
# Prints one table: run, clean accuracy, PGD-40 accuracy at 0.1 and 0.2, and PGD-50 at 0.3 (the
# published reference's setting).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
epochs=${1:-10}
train_eps=${2:-0.2}
limit=${3:-10000}
cli=${LATHE_CLI:-$here/build/app/cli/lathe-cli}
dir=${BENCH_DIR:-$(mktemp -d /tmp/lathe-robustness.XXXXXX)}
mkdir -p "$dir"
db=$dir/bench.db
config=${BENCH_CONFIG:-$here/resources/configs/fashion-cnn.json}
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, LATHE_THREADS=${LATHE_THREADS:-all}"
echo "# $epochs epochs; PGD training: epsilon $train_eps, 7 steps; evaluation: PGD-40 (0.1, 0.2) and PGD-50 (0.3), 1 restart, $limit test samples; store $db"

train() { # NAME [--set ...]
    local name=$1
    shift
    local start=$SECONDS
    "$cli" train "$config" --db "$db" --name "$name" --set training.epochs="$epochs" "$@" \
        > "$dir/$name.log" 2>&1
    echo "# $name trained in $((SECONDS - start)) s" >&2
}

attack() { # NAME EPS STEPS
    "$cli" robustness "$1" --db "$db" --eps "$2" --attack pgd --steps "$3" --limit "$limit" \
        --json 2> "$dir/$1.robustness-$3.log"
}

[ -n "${SKIP_TRAIN:-}" ] || [ -n "${ONLY_PGD:-}" ] || train standard
[ -n "${SKIP_TRAIN:-}" ] || train pgd-trained --set adversarial.enabled=true \
    --set adversarial.epsilon="$train_eps" --set adversarial.steps=7

names=(standard pgd-trained)
[ -z "${ONLY_PGD:-}" ] || names=(pgd-trained)
printf "%-12s %8s %12s %12s %12s\n" run clean "PGD-40 0.1" "PGD-40 0.2" "PGD-50 0.3"
for name in "${names[@]}"; do
    start=$SECONDS
    attack "$name" 0.1,0.2 40 > "$dir/$name.robustness-40.json"
    attack "$name" 0.3 50 > "$dir/$name.robustness-50.json"
    echo "# $name attacked in $((SECONDS - start)) s" >&2
    /usr/bin/python3 - "$name" "$dir/$name.robustness-40.json" "$dir/$name.robustness-50.json" <<'PY'
import json, sys
points = {p["epsilon"]: p["accuracy"] for p in json.load(open(sys.argv[2]))["points"]}
points.update({p["epsilon"]: p["accuracy"] for p in json.load(open(sys.argv[3]))["points"] if p["epsilon"]})
print("%-12s %8.4f %12.4f %12.4f %12.4f" % (sys.argv[1], points[0.0], points[0.1], points[0.2], points[0.3]))
PY
done
