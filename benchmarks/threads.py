"""One CPU thread against torch's setting, for an epoch of train_epoch: the measurement
behind helpers.training.threads_for.

For each model and batch size, one epoch of helpers.training.train_epoch (with
helpers.optimizers.FusedAdam) over the first --samples rows is timed on one thread and on
torch's thread count, alternately, in rounds (a slow spell of the machine hits both
alike). Other programs can only add time, so the table gives the fastest round of each
(what the step costs on a quiet machine) and their ratio; it also gives the median of the
per-round ratios, which shows what a second thread costs while other programs compete
for the cores. threads_for picks one thread where batch size x weights < SMALL_STEP.

    python benchmarks/threads.py [--rounds 15] [--out benchmarks/threads-cpu.json]

Needs the Sign Language MNIST and MNIST files (fetched like the lessons' data).
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import helpers  # noqa: E402
from helpers.optimizers import FusedAdam  # noqa: E402
from helpers.training import SMALL_STEP, threads_for, train_epoch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from epoch_time import mnist, sign_language  # noqa: E402

BATCH_SIZES = (4, 8, 16, 32, 64, 128, 1024)


def epoch_on(x, y, make, batch_size, threads):
    model = make()
    optimizer = FusedAdam(model.parameters(), lr=1e-5)
    generator = torch.Generator().manual_seed(0)
    return lambda: train_epoch(model, optimizer, F.cross_entropy, x, y, batch_size, generator,
                               threads=threads)


def measure(name, x, y, make, batch_size, rounds, many):
    runs = {1: epoch_on(x, y, make, batch_size, 1), many: epoch_on(x, y, make, batch_size, many)}
    times = {threads: [] for threads in runs}
    for run in runs.values():
        run()  # warm-up
    for round_ in range(rounds):
        for threads in sorted(runs, reverse=round_ % 2 == 1):  # alternate which goes first
            start = time.perf_counter()
            runs[threads]()
            times[threads].append(time.perf_counter() - start)
    weights = sum(p.numel() for p in make().parameters())
    return {
        "model": name, "batch_size": batch_size, "samples": len(x),
        "multiply_adds": batch_size * weights, "threads_for": threads_for(make(), batch_size),
        "fastest_1": min(times[1]), f"fastest_{many}": min(times[many]),
        "one_over_many_fastest": min(times[1]) / min(times[many]),
        "one_over_many_median": statistics.median(a / b for a, b in zip(times[1], times[many])),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds per setting")
    parser.add_argument("--samples", type=int, default=4096, help="rows per epoch")
    parser.add_argument("--out", type=Path, default=None, help="JSON file to write")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES))
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    device = torch.device("cpu")
    many = torch.get_num_threads()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    machine = {"threads": many, "torch": torch.__version__, "python": platform.python_version(),
               "processor": platform.processor() or platform.machine(), "load_before": load}
    print(f"cpu ({machine['processor']}), 1 thread against {many}, torch {machine['torch']}; "
          f"{args.rounds} rounds; 1-minute load average before: {load}")
    print(f"{'model':42s} {'batch':>5s} {'B x weights':>11s} {'threads_for':>11s} "
          f"{'1 / many, fastest':>17s} {'1 / many, median':>16s}")
    rows = []
    for load_data in (sign_language, mnist):
        name, x, y, make = load_data(device)
        x, y = x[:args.samples], y[:args.samples]
        for batch_size in args.batch_sizes:
            row = measure(name, x, y, make, batch_size, args.rounds, many)
            rows.append(row)
            print(f"{name:42s} {batch_size:5d} {row['multiply_adds']:11,d} {row['threads_for']:11d} "
                  f"{row['one_over_many_fastest']:17.2f} {row['one_over_many_median']:16.2f}",
                  flush=True)
    machine["load_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"1-minute load average after: {machine['load_after']}; SMALL_STEP = {SMALL_STEP:,d}")
    if args.out:
        args.out.write_text(json.dumps({"machine": machine, "rounds": args.rounds,
                                        "results": rows}, indent=2) + "\n")
        print(f"written to {args.out}")
    return rows


if __name__ == "__main__":
    main()
