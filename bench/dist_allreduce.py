"""Loopback all-reduce cost per MB with Gloo (c10d's ProcessGroupGloo, as lathe-cli --nproc uses
it), for the scaling model in docs/data-parallel.md. Each size: 3 warm-up all-reduces, then the
median of 20, float32 sum, `--world` processes on 127.0.0.1. Prints one line per size and the
least-squares fit time = a + bytes / bandwidth over the sizes of 1 MB and more; the 4 KB time
stands for the latency. Run by bench/dist_scaling.sh allreduce."""
import argparse
import os
import socket
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

SIZES_MB = [0.004, 0.25, 1, 4, 16, 64]


def worker(rank, world, port, out):
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    rows = []
    for mb in SIZES_MB:
        t = torch.ones(int(mb * 1024 * 1024 / 4))
        for _ in range(3):
            dist.all_reduce(t)
        times = []
        for _ in range(20):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - start)
        rows.append((mb, statistics.median(times)))
    if rank == 0:
        out.extend(rows)
    dist.destroy_process_group()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--world", type=int, default=2)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    manager = mp.Manager()
    out = manager.list()
    mp.spawn(worker, args=(args.world, port, out), nprocs=args.world)
    rows = list(out)
    print(f"{'MB':>6} {'ms':>9} {'ms/MB':>8}")
    for mb, t in rows:
        print(f"{mb:6.3f} {1e3 * t:9.3f} {1e3 * t / mb:8.3f}")
    big = [(mb, t) for mb, t in rows if mb >= 1]
    n = len(big)
    xs = [mb for mb, _ in big]
    ys = [t for _, t in big]
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    print(f"fit (>= 1 MB): {1e3 * (my - slope * mx):.3f} ms + {1e3 * slope:.3f} ms/MB; "
          f"4 KB (latency): {1e3 * rows[0][1]:.3f} ms (world {args.world}, "
          f"torch {torch.__version__})")

if __name__ == "__main__":
    main()
