"""Epoch time of three training paths, as ratios measured within one run.

For each model and batch size, one epoch is timed with
  (a) DataLoader(TensorDataset(x, y), shuffle=True) and torch.optim.Adam's defaults,
  (b) the path the lessons use: helpers.training.train_epoch (batches from
      helpers.minibatches, one CPU thread for a small step) with helpers.optimizers.FusedAdam,
  (c) the floor: forward and backward alone over batches sliced beforehand, no optimizer,
      on the CPU threads (b) uses,
in rounds (a, b, c, a, b, c, ...) so that a slow spell of the machine hits all three
alike. The table gives the median epoch times and the medians of the per-round ratios
a/b and b/c; the same numbers go to a JSON file.

    python benchmarks/epoch_time.py [--rounds 5] [--out benchmarks/results-cpu.json]

Needs the Sign Language MNIST and MNIST files (fetched like the lessons' data).
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import helpers  # noqa: E402
from helpers.device import cpu_threads  # noqa: E402
from helpers.optimizers import FusedAdam  # noqa: E402
from helpers.training import threads_for, train_epoch  # noqa: E402

BATCH_SIZES = (8, 16, 64, 1024)


def sign_language(device):
    pixels, labels = helpers.load_sign_mnist("train")
    targets = torch.searchsorted(labels.unique(), labels)

    def make():
        model = torch.nn.Linear(784, 24)
        torch.nn.init.zeros_(model.weight)
        torch.nn.init.zeros_(model.bias)
        return model.to(device)
    return "Sign Language MNIST, logistic regression", pixels.to(device), targets.to(device), make


def mnist(device):
    pixels, digits = helpers.load_mnist_sample()

    def make():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(784, 50), torch.nn.ReLU(),
                                   torch.nn.Linear(50, 10)).to(device)
    return "MNIST sample, 784-50-10 MLP", pixels[:8000].to(device), digits[:8000].to(device), make


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


def helpers_epoch(x, y, make, batch_size):
    """(b): the lessons' path, helpers.training.train_epoch with FusedAdam."""
    model = make()
    optimizer = FusedAdam(model.parameters(), lr=1e-5)
    return lambda: train_epoch(model, optimizer, F.cross_entropy, x, y, batch_size)


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


PATHS = {"a": dataloader_epoch, "b": helpers_epoch, "c": floor_epoch}


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per setting")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES))
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    device = helpers.pick_device()
    torch.manual_seed(0)
    machine = {"device": str(device), "threads": torch.get_num_threads(),
               "torch": torch.__version__, "python": platform.python_version(),
               "processor": platform.processor() or platform.machine()}
    if device.type == "cuda":
        machine["gpu"] = torch.cuda.get_device_name(device)
    print(f"{machine['device']} ({machine.get('gpu', machine['processor'])}), "
          f"{machine['threads']} threads, torch {machine['torch']}; medians of {args.rounds} rounds")
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
        args.out.write_text(json.dumps({"machine": machine, "rounds": args.rounds,
                                        "results": rows}, indent=2) + "\n")
        print(f"written to {args.out}")
    return rows


if __name__ == "__main__":
    main()
