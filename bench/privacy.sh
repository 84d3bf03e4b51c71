#!/usr/bin/env bash
# DP-SGD on Fashion-MNIST (resources/configs/fashion-cnn-dp.json: Tramer & Boneh's end-to-end
# CNN, expected batch 2048, SGD momentum 0.9, lr 4, max_grad_norm 0.1, 40 epochs, the noise
# solved for the target epsilon at delta 1e-5), and the cost of privacy per epoch.
#
#   bench/privacy.sh [accuracy|timing|all] [PAIRS]
#
# accuracy: trains the config at target epsilon 3 and 8 (EPSILONS, default "3 8") and prints test
#   accuracy and the epsilon spent (the run's last privacy/epsilon) for each (~15 min a run on 2
#   loaded cores).
# timing: PAIRS (default 5) pairs of one-epoch runs of the same model and batch, private and not,
#   alternating (private, plain, private, ...); prints each pair's train/epoch_seconds (wall) and
#   the processes' CPU seconds, and the medians of the pairs' ratios (private / plain). Wall time
#   on a loaded machine also measures scheduling: a plain run has a loader thread beside its
#   OpenMP team, a private one produces its batches inline.
# LATHE_CLI names the binary (default build/app/cli/lathe-cli: copy it somewhere private for a
# long bench while others build); THREADS the timing runs' training.threads (default 0: all
# cores; 1 keeps a loaded machine's preemptions out of every parallel region); BENCH_DIR the
# folder for the store (default a new temporary one). OpenMP waits passively (OMP_WAIT_POLICY=PASSIVE): on a shared, loaded machine a
# spinning team spends most of its time waiting for preempted members.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-all}
pairs=${2:-5}
cli=${LATHE_CLI:-$here/build/app/cli/lathe-cli}
dir=${BENCH_DIR:-$(mktemp -d /tmp/lathe-privacy.XXXXXX)}
mkdir -p "$dir"
db=$dir/bench.db
config=$here/resources/configs/fashion-cnn-dp.json
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); store $db"

train() { # NAME [--set ...]: also writes the process's CPU seconds (user + sys) to NAME.cpu
    local name=$1
    shift
    /usr/bin/time -f "%U %S" -o "$dir/$name.time" \
        "$cli" train "$config" --db "$db" --name "$name" "$@" > "$dir/$name.log" 2>&1
    awk '{print $1 + $2}' "$dir/$name.time" > "$dir/$name.cpu"
}

last() { # RUN KEY
    sqlite3 "$db" "select m.value from metrics m join runs r on r.id = m.run_id
                   where r.name = '$1' and m.key = '$2' order by m.step desc, m.id desc limit 1"
}

if [ "$what" = accuracy ] || [ "$what" = all ]; then
    printf "%-8s %14s %14s %10s\n" target "epsilon spent" "test accuracy" "seconds"
    for eps in ${EPSILONS:-3 8}; do
        start=$SECONDS
        train "eps$eps" --set privacy.target_epsilon=$eps
        printf "%-8s %14.4f %14.4f %10d\n" "$eps" "$(last "eps$eps" privacy/epsilon)" \
            "$(last "eps$eps" test/accuracy)" $((SECONDS - start))
    done
fi

if [ "$what" = timing ] || [ "$what" = all ]; then
    one=(--set training.epochs=1 --set training.keep_epoch_checkpoints=false
         --set training.threads="${THREADS:-0}")
    ratios=() cpu_ratios=()
    printf "%-5s %12s %12s %8s %12s %12s %8s\n" pair private plain ratio "private cpu" "plain cpu" ratio
    for i in $(seq 1 "$pairs"); do
        train "private-$i" "${one[@]}"
        train "plain-$i" "${one[@]}" --set privacy.enabled=false
        p=$(last "private-$i" train/epoch_seconds)
        n=$(last "plain-$i" train/epoch_seconds)
        r=$(/usr/bin/python3 -c "print($p / $n)")
        pc=$(cat "$dir/private-$i.cpu") nc=$(cat "$dir/plain-$i.cpu")
        c=$(/usr/bin/python3 -c "print($pc / $nc)")
        ratios+=("$r")
        cpu_ratios+=("$c")
        printf "%-5s %12.2f %12.2f %8.2f %12.2f %12.2f %8.2f\n" "$i" "$p" "$n" "$r" "$pc" "$nc" "$c"
    done
    median='import statistics, sys; print("%.2f" % statistics.median(map(float, sys.argv[1:])))'
    echo "median ratio of train/epoch_seconds (private / plain): $(/usr/bin/python3 -c "$median" "${ratios[@]}")"
    echo "median ratio of the runs' CPU seconds, set-up and test evaluation included: $(/usr/bin/python3 -c "$median" "${cpu_ratios[@]}")"
fi
