#!/usr/bin/env bash
# Sweeps on real data (Fashion-MNIST), three figures, each with the CPU model beside it:
#   search  - trials until the best objective reaches TARGET, TPE against random, seeds 1..SEEDS
#             (one worker, so every trial sees all earlier ones); the seeds alternate the two
#             samplers (random, tpe, random, tpe, ...) and each side's figure is the median.
#             A sweep stops (Ctrl-C, as a user would) as soon as its best reaches the target;
#             one that never does within MAX trials counts as MAX + 1.
#   asha    - the same random trials (one seed, so the same configs in the same order) with no
#             pruning and with ASHA: summed trial epochs (the compute) and the best objective.
#   workers - K = 1, 2, 4, 8 workers started together on one fresh store, trials of a few steps:
#             every trial completed, no "database is locked" or busy failure anywhere,
#             integrity_check ok, and the time the workers waited for the write lock per trial.
# The proxy: the cnn on the first 4,000 training images (a fifth held out for val/accuracy), no
# augmentation; its four parameters are the learning rate, the weight decay, the dropout and
# the optimizer. The target: in a pilot of 176 random trials (seeds 101-103, 2 epochs), 4.5%
# reached val/accuracy 0.81 and one 0.815, so random search needs about 15 trials (median) to
# reach 0.81; 0.795 was reached by 19% of them, too easy for any sampler to matter.
# Usage: bench/sweep.sh [search|asha|workers|all] (environment: SEEDS=7, MAX=60, TARGET=0.81)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
cli="$build/app/cli/lathe-cli"
what="${1:-all}"
seeds="${SEEDS:-7}"
max_trials="${MAX:-60}"
target="${TARGET:-0.81}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/data"

printf 'cpu: %s, %s threads\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"

proxy=(--set data.subset=4000 --set data.val_fraction=0.2 --set augment.enabled=false
       --set 'model.widths=[16,32,64]' --set training.keep_epoch_checkpoints=false)

# spec SAMPLER SEED PRUNER TRIALS: a sweep spec over the proxy's four parameters.
spec() {
    local pruner='{"name": "none"}' sampler="{\"name\": \"$1\", \"seed\": $2}"
    [[ $1 == tpe ]] && sampler="{\"name\": \"tpe\", \"seed\": $2, \"startup_trials\": 8, \"candidates\": 24}"
    [[ $3 == asha ]] && pruner='{"name": "asha", "min_resource": 1, "reduction_factor": 3, "resource": "epochs"}'
    cat << EOF
{
    "name": "bench-$1-$2-$3",
    "base": "$root/resources/configs/fashion-cnn.json",
    "space": {
        "optimizer.lr": {"type": "log_uniform", "low": 1e-05, "high": 1.0},
        "optimizer.weight_decay": {"type": "log_uniform", "low": 1e-06, "high": 1.0},
        "model.dropout": {"type": "uniform", "low": 0.0, "high": 0.7},
        "optimizer.name": {"type": "choice", "values": ["sgd", "adamw", "rmsprop"]}
    },
    "objective": {"metric": "val/accuracy", "direction": "maximize", "use": "best"},
    "sampler": $sampler,
    "pruner": $pruner,
    "trials": $4,
    "workers": 1
}
EOF
}

# show ID DB: the sweep as JSON.
show() { "$cli" sweep show "$1" --json --db "$2"; }

# The number of trials asked until the first one whose value reached the target (from a
# `sweep show --json` on stdin), or "none".
trials_to_target() {
    python3 -c '
import json, sys
sweep = json.load(sys.stdin)
target = float(sys.argv[1])
hits = [t["number"] for t in sweep["trials"] if t["value"] is not None and t["value"] >= target]
print(min(hits) + 1 if hits else "none")' "$target"
}

search() {
    echo "search: trials until val/accuracy >= $target (at most $max_trials), one worker"
    local results="$tmp/search"
    : > "$results"
    for ((seed = 1; seed <= seeds; seed++)); do
        for sampler in random tpe; do
            local db="$tmp/search-$sampler-$seed.db"
            spec "$sampler" "$seed" none "$max_trials" > "$tmp/spec.json"
            local start=$SECONDS
            "$cli" sweep "$tmp/spec.json" --db "$db" "${proxy[@]}" --set training.epochs=2 \
                > "$tmp/out.log" 2>&1 &
            local pid=$! reached=none
            while kill -0 "$pid" 2> /dev/null; do
                sleep 2
                [[ -f $db ]] && reached=$(show 1 "$db" 2> /dev/null | trials_to_target || echo none)
                if [[ $reached != none ]]; then
                    kill -INT "$pid"
                    break
                fi
            done
            wait "$pid" || true
            [[ -f $db ]] || { cat "$tmp/out.log" >&2; return 1; }
            reached=$(show 1 "$db" | trials_to_target)
            local count
            count=$(show 1 "$db" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["trials"]))')
            [[ $reached == none ]] && reached=$((max_trials + 1))
            printf '  seed %d %-6s: target after %s trials (%s asked, %d s)\n' "$seed" "$sampler" \
                "$reached" "$count" $((SECONDS - start))
            echo "$sampler $reached" >> "$results"
        done
    done
    for sampler in random tpe; do
        printf '  %-6s median trials to target: %s\n' "$sampler" \
            "$(awk -v s="$sampler" '$1 == s {print $2}' "$results" | sort -g \
               | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"
    done
}

# Summed epochs (the last intermediate step of each trial) and best value of sweep 1 in DB.
compute_and_best() {
    show 1 "$1" | python3 -c '
import json, sys
sweep = json.load(sys.stdin)
trials = sweep["trials"]
epochs = sum(max((int(k) for k in t["intermediate"]), default=0) for t in trials)
values = [t["value"] for t in trials if t["value"] is not None and t["state"] == "completed"]
states = {}
for t in trials:
    states[t["state"]] = states.get(t["state"], 0) + 1
print(epochs, max(values) if values else "nan", json.dumps(states, sort_keys=True))'
}

asha() {
    local trials=27 epochs=6
    echo "asha: $trials random trials (seed 3) of $epochs epochs, without and with ASHA (rungs 1, 3 epochs, factor 3)"
    for pruner in none asha; do
        local db="$tmp/asha-$pruner.db" start=$SECONDS
        spec random 3 "$pruner" "$trials" > "$tmp/spec.json"
        "$cli" sweep "$tmp/spec.json" --db "$db" "${proxy[@]}" --set training.epochs=$epochs \
            > "$tmp/asha-$pruner.log" 2>&1
        read -r summed best states <<< "$(compute_and_best "$db")"
        printf '  %-5s: %s trial epochs, best val/accuracy %s, %s, %d s\n' "$pruner" "$summed" \
            "$best" "$states" $((SECONDS - start))
        echo "$summed $best" > "$tmp/asha-$pruner"
    done
    read -r none_epochs none_best < "$tmp/asha-none"
    read -r asha_epochs asha_best < "$tmp/asha-asha"
    awk -v ne="$none_epochs" -v ae="$asha_epochs" -v nb="$none_best" -v ab="$asha_best" 'BEGIN {
        printf "  ASHA saves %.0f%% of the epochs; best %+.2f points against no pruning\n",
               100 * (1 - ae / ne), 100 * (ab - nb) }'
}

workers() {
    echo "workers: K workers started together on one fresh store, 2K trials of 30 steps each"
    local failed=0
    for k in 1 2 4 8; do
        local db="$tmp/workers-$k.db" start=$SECONDS
        rm -rf "$XDG_DATA_HOME"
        spec random 11 none $((2 * k)) > "$tmp/spec.json"
        local rc=0
        "$cli" sweep "$tmp/spec.json" --db "$db" --workers "$k" --max-steps 30 "${proxy[@]}" \
            --set training.threads=1 > "$tmp/workers-$k.log" 2>&1 || rc=$?
        local states locked waits
        states=$(compute_and_best "$db" | cut -d' ' -f3-)
        # grep finds nothing (exit 1) when all went well.
        locked=$({ grep -il 'database is locked\|busy' "$tmp/workers-$k.log" \
                   "$XDG_DATA_HOME"/lathe/logs/* 2> /dev/null || true; } | wc -l)
        waits=$({ cat "$XDG_DATA_HOME"/lathe/logs/lathe.log* 2> /dev/null || true; } \
                | sed -n 's/.*: waited \([0-9.]*\) ms for the write lock.*/\1/p' \
                | awk -v n=$((2 * k)) '{s += $1; c += 1; if ($1 > m) m = $1}
                      END {printf "%d waits, %.1f ms per trial, longest %.1f ms", c, s / n, m}')
        printf '  K=%d: exit %d, trials %s, files reporting locked/busy %d, integrity %s, %s, %d s\n' \
            "$k" "$rc" "$states" "$locked" "$(sqlite3 "$db" 'PRAGMA integrity_check;')" "$waits" \
            $((SECONDS - start))
        [[ $rc == 0 && $locked == 0 && $states == "{\"completed\": $((2 * k))}" ]] || failed=1
    done
    return $failed
}

case "$what" in
search) search ;;
asha) asha ;;
workers) workers ;;
all) search && asha && workers ;;
*)
    echo "usage: bench/sweep.sh [search|asha|workers|all]" >&2
    exit 2
    ;;
esac
