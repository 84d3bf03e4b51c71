#!/usr/bin/env bash
# Data parallel on one machine (issue 18, docs/data-parallel.md), paired and alternating
# (A B A B ..., median of the pair ratios), the CPU model beside the figures:
#   scaling    1 process x 2 threads (A) against `--nproc 2`, 2 processes x 1 thread (B), on the
#              default experiment: samples/s (mean of train/samples_per_sec after step 20) and
#              the seconds from the run's start to the first validation at or above --target.
#   overlap    --nproc 2 with the reducer's overlap (A) against LATHE_DIST_OVERLAP=0 (B), buckets
#              capped at --bucket-kb so that there is more than one: samples/s and the reduction's
#              unhidden wait per step (dist/comm_wait_seconds) beside its whole time.
#   eval       the wall time of one validation pass (sharded evaluation at --nproc 2: each rank
#              evaluates its part): 1 process x 2 threads (A) against --nproc 2 (B) on the default
#              experiment, --eval-subset training samples (0: all, 3000 of them validation; the
#              default 20000 gives 1000), --eval-epochs passes per run, each timed from the
#              epoch's end (train/epoch_loss) to its val/accuracy in the store.
#   allreduce  the loopback all-reduce cost per MB: Gloo (PyTorch's own, from /usr/bin/python3,
#              the same c10d ProcessGroupGloo lathe-cli uses) with 2 processes, sizes 1..64 MB.
# lathe-cli and the libraries it loads from the build are copied to a private folder first, so a
# rebuild meanwhile does not change what is measured.
# Usage: bench/dist_scaling.sh [scaling|overlap|eval|allreduce|all] [--pairs N] [--subset N]
#        [--epochs E] [--target ACC] [--steps S] [--bucket-kb KB] [--eval-epochs E]
#        [--eval-subset N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
mode=all pairs=5 subset=12000 epochs=2 target=0.80 steps=300 bucket_kb=32 eval_epochs=1
eval_subset=20000
while (($#)); do
    case "$1" in
        scaling|overlap|eval|allreduce|all) mode="$1"; shift ;;
        --pairs) pairs="$2"; shift 2 ;;
        --subset) subset="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --target) target="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --bucket-kb) bucket_kb="$2"; shift 2 ;;
        --eval-epochs) eval_epochs="$2"; shift 2 ;;
        --eval-subset) eval_subset="$2"; shift 2 ;;
        *) echo "usage: $0 [scaling|overlap|eval|allreduce|all] [--pairs N] [--subset N]" \
                "[--epochs E] [--target ACC] [--steps S] [--bucket-kb KB] [--eval-epochs E]" \
                "[--eval-subset N]" >&2
           exit 2 ;;
    esac
done
tmp="$(mktemp -d /tmp/dist-bench.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
cp "$build/app/cli/lathe-cli" "$tmp/bin/"
ldd "$build/app/cli/lathe-cli" | awk -v b="$build" '$3 ~ "^" b {print $3}' \
    | xargs -r cp -t "$tmp/bin/"
cli() { LD_LIBRARY_PATH="$tmp/bin" XDG_DATA_HOME="$tmp" "$tmp/bin/lathe-cli" "$@"; }
config="$root/resources/configs/fashion-cnn.json"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(uptime | sed 's/.*load/load/')"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}'; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
sql() { sqlite3 "$1" "$2"; }
rate() { sql "$1" "SELECT printf('%.1f', avg(value)) FROM metrics WHERE key='train/samples_per_sec' AND step > 20;"; }
# Seconds from the run's start to its first val/accuracy >= target (blank: never reached).
to_target() {
    sql "$1" "SELECT printf('%.1f', min(m.wall_time) - r.started_at) FROM metrics m JOIN runs r
              ON r.id = m.run_id WHERE m.key = 'val/accuracy' AND m.value >= $target;"
}
mean_of() { sql "$1" "SELECT printf('%.2f', 1000 * avg(value)) FROM metrics WHERE key='$2' AND step > 5;"; }

scaling() {
    echo "== scaling: 1 x 2 threads (A) vs --nproc 2, 1 thread each (B); subset $subset," \
         "$epochs epochs, target val/accuracy $target"
    printf '%-5s %10s %10s %8s %10s %10s %8s\n' pair A_samp/s B_samp/s B/A A_t_acc B_t_acc A/B
    : > "$tmp/rs"; : > "$tmp/rt"
    local common=(--set "data.subset=$subset" --set "training.epochs=$epochs")
    for ((i = 1; i <= pairs; i++)); do
        cli train "$config" --db "$tmp/a$i.db" "${common[@]}" --set training.threads=2 \
            > "$tmp/a.log" 2>&1
        cli train "$config" --db "$tmp/b$i.db" "${common[@]}" --nproc 2 > "$tmp/b.log" 2>&1
        local ra rb ta tb
        ra=$(rate "$tmp/a$i.db") rb=$(rate "$tmp/b$i.db")
        ta=$(to_target "$tmp/a$i.db") tb=$(to_target "$tmp/b$i.db")
        ratio "$rb" "$ra" >> "$tmp/rs"; echo >> "$tmp/rs"
        [[ -n "$ta" && -n "$tb" ]] && { ratio "$ta" "$tb" >> "$tmp/rt"; echo >> "$tmp/rt"; }
        printf '%-5s %10s %10s %8s %10s %10s %8s\n' "$i" "$ra" "$rb" "$(ratio "$rb" "$ra")" \
            "${ta:--}" "${tb:--}" "$( [[ -n "$ta" && -n "$tb" ]] && ratio "$ta" "$tb" || echo -)"
    done
    echo "median pair ratio samples/s (2 x 1)/(1 x 2): $(grep . "$tmp/rs" | median)," \
         "time to val/accuracy $target (1 x 2)/(2 x 1): $(grep . "$tmp/rt" | median)"
}

overlap() {
    echo "== overlap: --nproc 2, buckets of $bucket_kb KB, overlap on (A) vs LATHE_DIST_OVERLAP=0" \
         "(B); $steps steps"
    printf '%-5s %10s %10s %8s %12s %12s %12s %12s\n' pair A_samp/s B_samp/s A/B A_comm_ms \
        A_wait_ms B_comm_ms B_wait_ms
    : > "$tmp/ro"
    for ((i = 1; i <= pairs; i++)); do
        LATHE_DIST_BUCKET_KB="$bucket_kb" cli train "$config" --db "$tmp/oa$i.db" --nproc 2 \
            --max-steps "$steps" > "$tmp/oa.log" 2>&1
        LATHE_DIST_BUCKET_KB="$bucket_kb" LATHE_DIST_OVERLAP=0 cli train "$config" \
            --db "$tmp/ob$i.db" --nproc 2 --max-steps "$steps" > "$tmp/ob.log" 2>&1
        local ra rb
        ra=$(rate "$tmp/oa$i.db") rb=$(rate "$tmp/ob$i.db")
        ratio "$ra" "$rb" >> "$tmp/ro"; echo >> "$tmp/ro"
        printf '%-5s %10s %10s %8s %12s %12s %12s %12s\n' "$i" "$ra" "$rb" "$(ratio "$ra" "$rb")" \
            "$(mean_of "$tmp/oa$i.db" dist/comm_seconds)" \
            "$(mean_of "$tmp/oa$i.db" dist/comm_wait_seconds)" \
            "$(mean_of "$tmp/ob$i.db" dist/comm_seconds)" \
            "$(mean_of "$tmp/ob$i.db" dist/comm_wait_seconds)"
    done
    echo "median pair ratio samples/s overlap/no-overlap: $(grep . "$tmp/ro" | median)"
}

# Mean milliseconds of a run's validation passes: each from its epoch's end to its val/accuracy.
eval_ms() {
    sql "$1" "SELECT printf('%.1f', 1000 * avg(v.wall_time - e.wall_time)) FROM metrics v JOIN
              metrics e ON e.run_id = v.run_id AND e.step = v.step
              WHERE v.key = 'val/accuracy' AND e.key = 'train/epoch_loss';"
}

evaluation() {
    echo "== eval: one validation pass, 1 x 2 threads (A) vs --nproc 2, 1 thread each, sharded" \
         "(B); subset $eval_subset, $eval_epochs epochs"
    printf '%-5s %10s %10s %8s\n' pair A_ms B_ms A/B
    : > "$tmp/re"
    local common=(--set "training.epochs=$eval_epochs" --set "data.subset=$eval_subset")
    for ((i = 1; i <= pairs; i++)); do
        cli train "$config" --db "$tmp/ea$i.db" "${common[@]}" --set training.threads=2 \
            > "$tmp/ea.log" 2>&1
        cli train "$config" --db "$tmp/eb$i.db" "${common[@]}" --nproc 2 > "$tmp/eb.log" 2>&1
        local ea eb
        ea=$(eval_ms "$tmp/ea$i.db") eb=$(eval_ms "$tmp/eb$i.db")
        ratio "$ea" "$eb" >> "$tmp/re"; echo >> "$tmp/re"
        printf '%-5s %10s %10s %8s\n' "$i" "$ea" "$eb" "$(ratio "$ea" "$eb")"
    done
    echo "median pair ratio of the validation pass's time (1 x 2)/(2 x 1): $(grep . "$tmp/re" | median)"
}

allreduce() {
    echo "== allreduce: Gloo over loopback, 2 processes, float32 sum, median of 20 after 3 warm-ups"
    /usr/bin/python3 "$root/bench/dist_allreduce.py" --world 2
}

case "$mode" in
    scaling) scaling ;;
    overlap) overlap ;;
    eval) evaluation ;;
    allreduce) allreduce ;;
    all) allreduce; overlap; scaling ;;
esac
echo "load after: $(uptime | sed 's/.*load/load/')"
