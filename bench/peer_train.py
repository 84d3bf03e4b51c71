#!/usr/bin/python3
"""The PyTorch peer for Lathe's training benchmarks: the default experiment's `cnn` (widths
24, 48, 96: 3x [conv3x3 no-bias + BN + ReLU + maxpool2], flatten, dropout 0.1, linear), AdamW and the same batch size and
thread count, trained on Fashion-MNIST read from the Debian package's .gz files, normalised
with the training split's mean/std, shuffled each epoch, loss read back every step (logging
on), random horizontal flips with --hflip P (per sample, as Lathe's augment.hflip), bf16
autocast with --bf16 (as training.mixed_precision=bf16).

Modes:
  throughput  train --steps steps and print steady-state samples/s (after --warmup steps)
  accuracy    train --epochs epochs with one-cycle + label smoothing and print the test accuracy
              after each epoch, with the time since start less the time spent testing
"""
import argparse, gzip, math, struct, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(root, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(f"{root}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    y = read_idx(f"{root}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def make_cnn(widths=(24, 48, 96), dropout=0.1, classes=10):
    layers, channels, size = [], 1, 28
    for w in widths:
        layers += [nn.Conv2d(channels, w, 3, padding=1, bias=False), nn.BatchNorm2d(w),
                   nn.ReLU(), nn.MaxPool2d(2)]
        channels, size = w, size // 2
    layers += [nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels * size * size, classes)]
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["throughput", "accuracy"])
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--hflip", type=float, default=0.0)
    p.add_argument("--bf16", action="store_true")
    p.add_argument("--model", help="a TorchScript file (torch.jit.save) to train instead of the cnn")
    p.add_argument("--val-fraction", type=float, default=0.0,
                   help="accuracy mode: hold out this share of the training split, as Lathe does")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    start = time.time()
    x, y = load(a.data, "train")
    mean, std = x[:54000].mean().item(), x[:54000].std().item()
    x = (x - mean) / std
    if a.mode == "accuracy" and a.val_fraction > 0:
        keep = x.shape[0] - int(round(x.shape[0] * a.val_fraction))
        x, y = x[:keep], y[:keep]
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = (torch.jit.load(a.model) if a.model else make_cnn()).to(memory_format=fmt)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.05)
    n = x.shape[0]

    def batch(idx):
        xb = x.index_select(0, idx)
        if a.hflip > 0:
            flip = torch.rand(xb.shape[0]) < a.hflip
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
        return xb.contiguous(memory_format=fmt), y.index_select(0, idx)

    def logits(xb):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            return model(xb).float()

    if a.mode == "throughput":
        model.train()
        step, t0 = 0, None
        while step < a.steps:
            perm = torch.randperm(n)
            for i in range(0, n - a.batch + 1, a.batch):
                if step == a.warmup:
                    t0 = time.time()
                xb, yb = batch(perm[i:i + a.batch])
                opt.zero_grad()
                loss = F.cross_entropy(logits(xb), yb)
                loss.backward()
                opt.step()
                loss.item()
                step += 1
                if step == a.steps:
                    break
        dt = time.time() - t0
        print(f"samples_per_sec {(a.steps - a.warmup) * a.batch / dt:.1f}")
        return
    xt, yt = load(a.data, "test")
    xt = (xt - mean) / std
    steps_per_epoch = math.ceil(n / a.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.epochs * steps_per_epoch,
                                                pct_start=0.25)
    testing = 0.0
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, a.batch):
            xb, yb = batch(perm[i:i + a.batch])
            opt.zero_grad()
            loss = F.cross_entropy(logits(xb), yb, label_smoothing=0.1)
            loss.backward()
            opt.step()
            sched.step()
            loss.item()
        model.eval()
        test_start = time.time()
        with torch.no_grad():
            pred = torch.cat([logits(xt[i:i + 1000].contiguous(memory_format=fmt)).argmax(1)
                              for i in range(0, xt.shape[0], 1000)])
        acc = (pred == yt).float().mean().item()
        testing += time.time() - test_start
        print(f"epoch {epoch + 1} test_accuracy {acc:.4f} elapsed {time.time() - start - testing:.1f}s",
              flush=True)


if __name__ == "__main__":
    main()
