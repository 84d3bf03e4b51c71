#!/usr/bin/env bash
# Many writers: ROUNDS rounds of K `lathe-cli train` processes released at the same instant (all
# wait on one flock the script holds, then it lets go) into ONE store, each a short run of the
# default experiment (3000 samples, 2 epochs, a small CNN, one thread: K fit on two cores), while
# bench_writers_client polls the store as the window does and renames and tags the running runs.
# Every round must show: no "database is locked" or busy failure in any output or log, every
# process exiting 0, every run finished with its train/loss rows gap-free and complete (steps
# 1..N, N = steps per epoch x epochs from the "N steps per epoch" header), PRAGMA integrity_check
# ok, and every rename and tag in the store (the client checks its own). The writers' waits for
# the write lock come from each process's log file (core/track/write_lock_waits.h): every wait
# of 1 ms or more, and each store writer's count of write transactions.
# All rounds write into one store, as a user's runs accumulate; the first creates it.
# Usage: bench/writers.sh [K=16] [ROUNDS=3]   (exit 1 when any round failed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
k="${1:-16}"
rounds="${2:-3}"
cli="$build/app/cli/lathe-cli"
client="$build/bench/bench_writers_client"
epochs=2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
db="$tmp/store.db"
config=("$root/resources/configs/fashion-cnn.json" --set data.subset=3000
        --set training.epochs=$epochs --set 'model.widths=[8,16]' --set training.threads=1)
q() { sqlite3 "$db" "$1"; }
# Reads numbers (ms), one a line, and prints "median M ms, p95 P ms, max X ms".
spread() {
    sort -g | awk '{v[NR] = $1} END {
        if (NR == 0) { print "none"; exit }
        printf "median %.1f ms, p95 %.1f ms, max %.1f ms", v[int(0.5 * (NR - 1)) + 1],
               v[int(0.95 * (NR - 1)) + 1], v[NR] }'
}
# Runs "$@" once the barrier is released, with its own data folder (so its own log file).
after_barrier() { # DATA_DIR COMMAND...
    local data="$1"
    shift
    XDG_DATA_HOME="$data" bash -c 'flock -s 9 && exec "$@"' _ "$@" 9< "$barrier"
}

printf 'cpu: %s, %s threads\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
printf 'writers: %d lathe-cli train processes + 1 polling, renaming and tagging client, %d rounds\n' \
    "$k" "$rounds"
failed_rounds=0
: > "$tmp/all_waits"
: > "$tmp/all_per_process"
for ((r = 1; r <= rounds; r++)); do
    dir="$tmp/round-$r"
    mkdir -p "$dir"
    barrier="$dir/barrier"
    # The barrier's holder is a process of its own: a lock lives as long as any copy of its
    # descriptor, and the writers would inherit one from this shell.
    (
        exec 8> "$barrier"
        flock -x 8
        touch "$dir/held"
        while [[ ! -e $dir/go ]]; do sleep 0.05; done
    ) &
    holder=$!
    while [[ ! -e $dir/held ]]; do sleep 0.05; done
    pids=()
    for ((i = 1; i <= k; i++)); do
        after_barrier "$dir/data-$i" "$cli" train "${config[@]}" --db "$db" --name "w$r-$i" \
            > "$dir/out-$i.log" 2>&1 &
        pids+=($!)
    done
    after_barrier "$dir/data-client" "$client" "$db" "$dir/stop" 100 > "$dir/client.log" 2>&1 &
    client_pid=$!
    sleep 1 # every process is waiting on the barrier by now; a late one passes it at once
    start=$(date +%s.%N)
    touch "$dir/go" # the holder exits: every writer's flock returns at once
    wait "$holder"
    problems=()
    for ((i = 1; i <= k; i++)); do
        rc=0
        wait "${pids[i - 1]}" || rc=$?
        ((rc == 0)) || problems+=("writer $i exited $rc: $(tail -1 "$dir/out-$i.log")")
    done
    seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    touch "$dir/stop"
    rc=0
    wait "$client_pid" || rc=$?
    ((rc == 0)) || problems+=("client exited $rc")

    locked=$(grep -il 'database is locked\|busy' "$dir"/*.log "$dir"/data-*/lathe/logs/* \
             2> /dev/null || true)
    [[ -z $locked ]] || problems+=("locked/busy reported in: $(echo $locked)")
    for ((i = 1; i <= k; i++)); do
        header=$(grep -m1 ' steps per epoch,' "$dir/out-$i.log" || true)
        id=$(sed -n 's/^run \([0-9]*\) .*/\1/p' <<< "$header")
        per_epoch=$(sed -n 's/.*, \([0-9]*\) steps per epoch,.*/\1/p' <<< "$header")
        if [[ -z $id || -z $per_epoch ]]; then
            problems+=("writer $i printed no run header")
            continue
        fi
        n=$((per_epoch * epochs))
        status=$(q "SELECT status FROM runs WHERE id = $id;")
        [[ $status == finished ]] || problems+=("run $id (writer $i) is \"$status\"")
        rows=$(q "SELECT count(*) || ' ' || count(DISTINCT step) || ' ' || min(step) || ' ' ||
                         max(step) FROM metrics WHERE run_id = $id AND key = 'train/loss';")
        [[ $rows == "$n $n 1 $n" ]] \
            || problems+=("run $id train/loss (rows, distinct steps, min, max) = $rows, want $n $n 1 $n")
    done
    integrity=$(q 'PRAGMA integrity_check;')
    [[ $integrity == ok ]] || problems+=("integrity_check: $integrity")

    cat "$dir"/data-*/lathe/logs/lathe.log* 2> /dev/null \
        | sed -n 's/.*: waited \([0-9.]*\) ms for the write lock.*/\1/p' > "$dir/waits"
    # Each store writer's own count: "... store writer began T write transactions, W waited ...".
    read -r transactions waited_by_writers <<< "$(cat "$dir"/data-*/lathe/logs/lathe.log* \
        | sed -n 's/.*store writer began \([0-9]*\) write transactions, \([0-9]*\) waited.*/\1 \2/p' \
        | awk '{t += $1; w += $2} END {print t + 0, w + 0}')"
    # Each process's time waiting in all (its waits on every thread).
    for log in "$dir"/data-*/lathe/logs/lathe.log; do
        sed -n 's/.*: waited \([0-9.]*\) ms for the write lock.*/\1/p' "$log" \
            | awk '{s += $1} END {print s + 0}'
    done > "$dir/per_process"
    printf 'round %d: %d runs in %s s, %d runs in the store, integrity_check %s\n' \
        "$r" "$k" "$seconds" "$(q 'SELECT count(*) FROM runs;')" "$integrity"
    printf '  store writers: %d write transactions, %d waited for the write lock\n' \
        "$transactions" "$waited_by_writers"
    printf '  waits (all processes, all threads): %d, %s\n' "$(wc -l < "$dir/waits")" \
        "$(spread < "$dir/waits")"
    printf '  time waiting per process: %s\n' "$(spread < "$dir/per_process")"
    sed 's/^/  /' "$dir/client.log"
    cat "$dir/waits" >> "$tmp/all_waits"
    cat "$dir/per_process" >> "$tmp/all_per_process"
    if ((${#problems[@]})); then
        printf '  FAILED: %s\n' "${problems[@]}"
        failed_rounds=$((failed_rounds + 1))
    fi
done
printf 'all rounds: waits %d, %s; time waiting per process: %s\n' "$(wc -l < "$tmp/all_waits")" \
    "$(spread < "$tmp/all_waits")" "$(spread < "$tmp/all_per_process")"
printf 'rounds %d, failed %d\n' "$rounds" "$failed_rounds"
((failed_rounds == 0))
