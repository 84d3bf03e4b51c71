#!/usr/bin/env bash
# Kill campaign: N cycles of starting the default experiment (shortened: a few thousand training
# samples, 3 epochs, histograms every 10 steps, so that steps, validation, checkpoint writes and
# store commits all happen within seconds) and killing it with SIGKILL at a random moment. After
# each kill the store must pass PRAGMA integrity_check, hold every run with none left running, keep
# its train/loss rows gap-free from step 1 up to at least the last step the process reported
# minus what the writer flushes at once (its 200 ms interval), and the run must resume and finish
# with weights bit-identical to one uninterrupted run of the same config (compared as the SHA-256
# of their safetensors exports). All cycles write into one store, as a user's runs accumulate.
# Usage: bench/kill_cycles.sh [N=100] [SEED=1]   (exit 1 when any cycle failed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
cycles="${1:-100}"
RANDOM="${2:-1}"
cli="$build/app/cli/lathe-cli"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/data"
db="$tmp/store.db"
config=("$root/resources/configs/fashion-cnn.json" --set data.train_limit=3000
        --set training.epochs=3 --set histograms.every=10)
q() { sqlite3 "$db" "$1"; }
weights() { # RUN -> SHA-256 of the tensors in its safetensors export of checkpoint "last"
    rm -rf "$tmp/export"
    "$cli" export "$1" --db "$db" --format safetensors --checkpoint last --out "$tmp/export" \
        > /dev/null
    # The bytes after the 8-byte header length and the JSON header, whose metadata names the run.
    /usr/bin/python3 -c 'import hashlib, struct, sys
b = open(sys.argv[1], "rb").read()
print(hashlib.sha256(b[8 + struct.unpack("<Q", b[:8])[0]:]).hexdigest())' "$tmp/export/"*.safetensors
}

printf 'cpu: %s, %s threads\n' "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)"
start=$(date +%s.%N)
"$cli" train "${config[@]}" --db "$db" --name reference > /dev/null
reference_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
reference=$(weights reference)
printf 'reference run: %s s, weights %s\n' "$reference_s" "${reference:0:16}"

failed=0 identical=0 before_checkpoint=0 fell_back=0
for ((i = 1; i <= cycles; i++)); do
    name="cycle-$i"
    # A moment between 0.2 s and the reference run's whole length, in milliseconds.
    delay_ms=$(((RANDOM * 32768 + RANDOM) % ${reference_s%.*}000 + 200))
    "$cli" train "${config[@]}" --db "$db" --name "$name" > "$tmp/out.log" 2>&1 &
    pid=$!
    sleep "$(awk -v ms="$delay_ms" 'BEGIN {print ms / 1000}')"
    kill -KILL "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    problems=()
    [[ "$(q 'PRAGMA integrity_check;')" == ok ]] || problems+=("integrity_check failed")
    id=$(q "SELECT id FROM runs WHERE name = '$name';")
    if [[ -z "$id" ]]; then
        # Killed before the run was created: nothing to resume, nothing may be half there.
        printf 'cycle %d: killed at %d ms, before the run was stored\n' "$i" "$delay_ms"
        ((${#problems[@]} == 0)) || { printf '  FAILED: %s\n' "${problems[@]}"; failed=$((failed + 1)); }
        continue
    fi
    status=$("$cli" show "$id" --db "$db" --json | /usr/bin/python3 -c \
             'import json, sys; print(json.load(sys.stdin)["status"])')
    [[ $status == interrupted || $status == finished ]] \
        || problems+=("status \"$status\" after the kill")
    stored=$(q "SELECT count(*) || ' ' || coalesce(max(step), 0) FROM metrics
                WHERE run_id = $id AND key = 'train/loss';")
    [[ ${stored% *} == "${stored#* }" ]] || problems+=("train/loss rows not gap-free: $stored")
    # The last step the process reported: its last "val after epoch E" line (E x steps per
    # epoch; these lines are flushed as they are printed).
    per_epoch=$(sed -n 's/.*, \([0-9]*\) steps per epoch,.*/\1/p' "$tmp/out.log")
    epochs_done=$(sed -n 's/^val after epoch \([0-9]*\):.*/\1/p' "$tmp/out.log" | tail -1)
    reported=$((${per_epoch:-0} * ${epochs_done:-0}))
    # The writer commits every 200 ms: what a kill may lose is one interval of steps (16 at
    # 10,000 samples/s); 60 leaves room for a commit slowed by the disk.
    if ((${stored#* } + 60 < reported)); then
        problems+=("stored up to step ${stored#* }, the process had reported step $reported")
    fi
    outcome="finished before the kill"
    if [[ $status != finished ]]; then
        if ! "$cli" resume "$id" --db "$db" > "$tmp/resume.log" 2>&1; then
            problems+=("resume failed: $(tail -1 "$tmp/resume.log")")
        fi
        grep -q "starts again from step 0" "$tmp/resume.log" && before_checkpoint=$((before_checkpoint + 1))
        grep -q "instead" "$tmp/resume.log" && fell_back=$((fell_back + 1))
        outcome="resumed from step $(sed -n 's/^continuing from step \([0-9]*\).*/\1/p' \
                 "$tmp/resume.log")"
        [[ $outcome != "resumed from step " ]] || outcome="resumed from step 0"
    fi
    if ((${#problems[@]} == 0)); then
        got=$(weights "$id")
        if [[ $got == "$reference" ]]; then
            identical=$((identical + 1))
        else
            problems+=("final weights differ from the reference (${got:0:16})")
        fi
    fi
    printf 'cycle %d: killed at %d ms, stored step %s (reported %s), %s\n' \
        "$i" "$delay_ms" "${stored#* }" "$reported" "$outcome"
    if ((${#problems[@]})); then
        printf '  FAILED: %s\n' "${problems[@]}"
        failed=$((failed + 1))
    fi
done
printf 'cycles %d, failed %d, bit-identical to the reference %d, resumed from the start (killed before the first checkpoint) %d, resumed from an older checkpoint %d\n' \
    "$cycles" "$failed" "$identical" "$before_checkpoint" "$fell_back"
printf 'store: %s runs, integrity_check %s\n' "$(q 'SELECT count(*) FROM runs;')" \
    "$(q 'PRAGMA integrity_check;')"
((failed == 0))
