"""Epoch time of three training paths, as ratios measured within one run.

For each model and batch size, one epoch is timed with
  (a) DataLoader(TensorDataset(x, y), shuffle=True) and torch.optim.Adam's defaults,
  (b) the fast path (common.fast_epoch): helpers.training.train_epoch with
      helpers.optimizers.FusedAdam, batches gathered into helpers.batches.BatchBuffers,
      on helpers.device.threads_for's CPU threads (one for a small step),
  (c) the floor: forward and backward alone over batches sliced beforehand, no optimizer,
      on the CPU threads (b) uses,
in rounds (a, b, c, a, b, c, ...) so that a slow spell of the machine hits all three
alike. The table gives the median epoch times and the medians of the per-round ratios
a/b and b/c; the same numbers go to a JSON file.

    python benchmarks/epoch_time.py [--rounds 5] [--out benchmarks/results-cpu.json]

Needs the Sign Language MNIST and MNIST files (fetched like the lessons' data).
"""

import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fast_epoch, machine, mnist, parse, parser, sign_language, write  # noqa: E402

import helpers  # noqa: E402  (common puts the repository on the path)
from helpers.device import cpu_threads, threads_for  # noqa: E402

BATCH_SIZES = (8, 16, 64, 1024)


def dataloader_epoch(x, y, make, batch_size):
    """(a): DataLoader(TensorDataset, shuffle=True) and torch.optim.Adam's defaults."""
    model = make()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-5)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)

    def run():
        for xb, yb in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    return run


def floor_epoch(x, y, make, batch_size):
    """(c): forward and backward alone, over batches sliced beforehand, on as many CPU
    threads as (b) uses."""
    model = make()
    batches = [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    threads = threads_for(model, batch_size) if x.device.type == "cpu" else torch.get_num_threads()

    def run():
        with cpu_threads(threads):
            for xb, yb in batches:
                model.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
    return run


PATHS = {"a": dataloader_epoch, "b": fast_epoch, "c": floor_epoch}


def clock(run, device):
    """Seconds of one call of run(), with the device's queued work counted."""
    helpers.synchronize(device)
    start = time.perf_counter()
    run()
    helpers.synchronize(device)
    return time.perf_counter() - start


def measure(name, x, y, make, batch_size, rounds, device):
    for setup in PATHS.values():
        clock(setup(x, y, make, batch_size), device)  # warm-up
    times = {path: [] for path in PATHS}
    for _ in range(rounds):
        for path, setup in PATHS.items():
            times[path].append(clock(setup(x, y, make, batch_size), device))
    return {
        "model": name, "batch_size": batch_size, "samples": len(x),
        "threads_b_c": threads_for(make(), batch_size) if device.type == "cpu" else None,
        "seconds_a": statistics.median(times["a"]),
        "seconds_b": statistics.median(times["b"]),
        "seconds_c": statistics.median(times["c"]),
        "a_over_b": statistics.median(a / b for a, b in zip(times["a"], times["b"])),
        "b_over_c": statistics.median(b / c for b, c in zip(times["b"], times["c"])),
    }


def main(argv=None):
    args = parse(parser(__doc__, rounds=5, batch_sizes=BATCH_SIZES), argv)
    device = helpers.pick_device()
    torch.manual_seed(0)
    record = machine(device)
    print(f"{record['device']} ({record.get('gpu', record['processor'])}), "
          f"{record['threads']} threads, torch {record['torch']}; medians of {args.rounds} rounds")
    print(f"{'model':42s} {'batch':>5s} {'(a) s':>7s} {'(b) s':>7s} {'(c) s':>7s} "
          f"{'a/b':>5s} {'b/c':>5s} {'threads (b), (c)':>16s}")
    rows = []
    for load in (sign_language, mnist):
        name, x, y, make = load(device)
        for batch_size in args.batch_sizes:
            row = measure(name, x, y, make, batch_size, args.rounds, device)
            rows.append(row)
            print(f"{name:42s} {batch_size:5d} {row['seconds_a']:7.3f} {row['seconds_b']:7.3f} "
                  f"{row['seconds_c']:7.3f} {row['a_over_b']:5.2f} {row['b_over_c']:5.2f} "
                  f"{row['threads_b_c'] or '-':>16}", flush=True)
    if args.out:
        write(args.out, record, args.rounds, rows)
    return rows


if __name__ == "__main__":
    main()
