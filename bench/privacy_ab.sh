#!/usr/bin/env bash
# Two lathe-cli builds' private step speed, as paired alternating one-epoch runs of
# resources/configs/fashion-cnn-dp.json (A B A B ...; one thread each), e.g. before and after a
# change to core/privacy:
#
#   BEFORE=/tmp/old/lathe-cli AFTER=build/app/cli/lathe-cli bench/privacy_ab.sh [PAIRS]
#
# Prints each pair's train/epoch_seconds, their ratio (after / before) and the processes' user and
# system CPU seconds, then the median ratio. Each build writes its own store (their schemas may
# differ) under BENCH_DIR (default a new temporary folder). Copy the binaries somewhere private
# first when others build in the tree.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
pairs=${1:-5}
before=${BEFORE:?BEFORE names the first lathe-cli}
after=${AFTER:?AFTER names the second lathe-cli}
dir=${BENCH_DIR:-$(mktemp -d /tmp/lathe-privacy-ab.XXXXXX)}
mkdir -p "$dir"
config=$here/resources/configs/fashion-cnn-dp.json
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $dir"

seconds() { # DB RUN
    sqlite3 "$1" "select m.value from metrics m join runs r on r.id = m.run_id where r.name = '$2'
                  and m.key = 'train/epoch_seconds' order by m.id desc limit 1"
}

ratios=()
printf "%-5s %10s %10s %8s %16s %16s\n" pair before after ratio "before user sys" "after user sys"
for i in $(seq 1 "$pairs"); do
    for which in before after; do
        cli=$before
        [ "$which" = after ] && cli=$after
        /usr/bin/time -f "%U %S" -o "$dir/$which-$i.time" "$cli" train "$config" \
            --db "$dir/$which.db" --name "$which-$i" --set training.epochs=1 \
            --set training.keep_epoch_checkpoints=false --set training.threads=1 \
            > "$dir/$which-$i.log" 2>&1
    done
    b=$(seconds "$dir/before.db" "before-$i")
    a=$(seconds "$dir/after.db" "after-$i")
    r=$(/usr/bin/python3 -c "print($a / $b)")
    ratios+=("$r")
    printf "%-5s %10.2f %10.2f %8.3f %16s %16s\n" "$i" "$b" "$a" "$r" \
        "$(cat "$dir/before-$i.time")" "$(cat "$dir/after-$i.time")"
done
median='import statistics, sys; print("%.3f" % statistics.median(map(float, sys.argv[1:])))'
echo "median ratio of train/epoch_seconds (after / before): $(/usr/bin/python3 -c "$median" "${ratios[@]}")"
