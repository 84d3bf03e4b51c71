#!/usr/bin/env bash
# The transfer task of issue 6, full size, through lathe-cli: pretrain the default cnn
# (resources/configs/fashion-cnn.json) on Fashion-MNIST classes 0-4 for PRETRAIN_EPOCHS epochs,
# then learn classes 5-9 from only 500 labelled images (450 train + 50 validation) for each
# epoch budget: from scratch, frozen backbone (only the head trains), full fine-tune and LoRA
# (rank 4 on the head, only its adapters train). Test accuracy on all 5,000 test images of
# classes 5-9, and each variant's trainable-parameter share. ~3 min on 2 cores (2026-12-01:
# scratch 0.8416/0.9038/0.9280, frozen backbone 0.8568/0.9136/0.9304 at 1/3/10 epochs); not in
# CTest.
# With --torchscript FILE the model is that imported TorchScript file (e.g. torchvision's ResNet-18
# for one channel, scripted as the README shows) instead of the cnn: pretrained in Lathe, then
# fine-tuned the same ways (LoRA then adapts its Linear and Conv2d layers).
# Usage: bench/bench_finetune.sh [--torchscript FILE] [budgets, default "1 3 10"]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
cli="$build/app/cli/lathe-cli"
config="$root/resources/configs/fashion-cnn.json"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp"
db="$tmp/finetune.db"
model=()
if [[ "${1:-}" == --torchscript ]]; then
    model=(--set finetune.torchscript="$(realpath "$2")")
    shift 2
fi
budgets="${*:-1 3 10}"

"$cli" train "$config" --db "$db" --name pretrained "${model[@]}" --set 'data.classes=[0,1,2,3,4]' \
    --set "training.epochs=${PRETRAIN_EPOCHS:-6}" --set histograms.every=0 | grep -E "^test"
task=("${model[@]}" --set 'data.classes=[5,6,7,8,9]' --set data.train_limit=500 --set data.val_fraction=0.1
      --set training.batch_size=32 --set optimizer.lr=0.01 --set histograms.every=0)
q() { sqlite3 "$db" "$1"; }
last_run() { q "SELECT max(id) FROM runs;"; }
report() { # name budget
    local id; id="$(last_run)"
    local acc; acc="$(q "SELECT printf('%.4f', value) FROM metrics WHERE run_id=$id AND key='test/accuracy' ORDER BY id DESC LIMIT 1;")"
    local share; share="$(q "SELECT printf('%.1f%%', 100.0
        * json_extract(payload_json, '\$.trainable_parameters')
        / json_extract(payload_json, '\$.parameters')) FROM events
        WHERE run_id=$id AND kind='finetune';")"
    printf '%-16s %2s epochs  test accuracy %s  trainable %s\n' "$1" "$2" "$acc" "${share:-100%}"
}
for e in $budgets; do
    b=(--set "training.epochs=$e")
    "$cli" train "$config" --db "$db" --name scratch "${task[@]}" "${b[@]}" > /dev/null
    report scratch "$e"
    "$cli" finetune pretrained "$config" --db "$db" --name frozen "${task[@]}" "${b[@]}" \
        --set 'finetune.freeze=["backbone"]' > /dev/null
    report frozen-backbone "$e"
    "$cli" finetune pretrained "$config" --db "$db" --name full "${task[@]}" "${b[@]}" \
        --set optimizer.lr=0.003 > /dev/null
    report full-finetune "$e"
    "$cli" finetune pretrained "$config" --db "$db" --name lora "${task[@]}" "${b[@]}" \
        --set finetune.lora_rank=4 > /dev/null
    report lora-r4 "$e"
done
