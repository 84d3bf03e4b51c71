#!/usr/bin/python3
"""The PyTorch peer for bench_inspect: Grad-CAM at the last conv block and Integrated Gradients
(32 midpoint steps in one batch, black-image baseline) for one Fashion-MNIST test image on the
default experiment's cnn (peer_train.make_cnn, random weights, eval mode), the same thread count.
Prints one JSON line: median milliseconds of each, over --repeats runs after a warm-up."""
import argparse, json, os, statistics, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_train import load, make_cnn  # noqa: E402


def grad_cam(model, stage, x, target):
    captured = {}
    handle = model[stage].register_forward_hook(lambda m, i, o: captured.update(a=o))
    logits = model(x)
    handle.remove()
    a = captured["a"]
    (grad,) = torch.autograd.grad(logits[0, target], a)
    cam = torch.relu((grad.mean((2, 3), keepdim=True) * a).sum(1, keepdim=True))
    return torch.nn.functional.interpolate(cam, size=x.shape[2:], mode="bilinear",
                                           align_corners=False)[0, 0]


def integrated_gradients(model, x, baseline, target, steps):
    alphas = (torch.arange(steps, dtype=x.dtype) + 0.5) / steps
    xs = (baseline + alphas.view(-1, 1, 1, 1) * (x - baseline)).requires_grad_(True)
    (grad,) = torch.autograd.grad(model(xs)[:, target].sum(), xs)
    return ((x - baseline) * grad.sum(0, keepdim=True) / steps)[0].sum(0)


def median_ms(body, repeats):
    body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--steps", type=int, default=32)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    x, _ = load(a.data, "test")
    mean, std = x.mean().item(), x.std().item()
    image = ((x[:1] - mean) / std).contiguous()
    baseline = torch.full_like(image, -mean / std)
    model = make_cnn().eval()
    stage = 11  # the third block's max-pool: the last spatial stage
    target = int(model(image).argmax())
    cam = median_ms(lambda: grad_cam(model, stage, image, target), a.repeats)
    ig = median_ms(lambda: integrated_gradients(model, image, baseline, target, a.steps),
                   a.repeats)
    print(json.dumps({"gradcam_ms": cam, "ig_ms": ig, "threads": a.threads}))


if __name__ == "__main__":
    main()
