"""One CPU thread against torch's setting, for an epoch of train_epoch: the measurement
behind helpers.device.threads_for.

For each model and batch size, one epoch of the fast path (common.fast_epoch:
helpers.training.train_epoch with FusedAdam and BatchBuffers) over the first --samples rows
is timed on one thread and on torch's thread count, alternately, in rounds (a slow spell
of the machine hits both alike). Other programs can only add time, so the table gives the
fastest round of each (what the step costs on a quiet machine) and their ratio; it also
gives the median of the per-round ratios, which shows what a second thread costs while
other programs compete for the cores. threads_for picks one thread where batch size x
weights < SMALL_STEP.

    python benchmarks/threads.py [--rounds 15] [--out benchmarks/threads-cpu.json]

Needs the Sign Language MNIST and MNIST files (fetched like the lessons' data).
"""

import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import fast_epoch, machine, mnist, parse, parser, sign_language, write  # noqa: E402

from helpers.device import SMALL_STEP, threads_for  # noqa: E402  (common puts it on the path)

BATCH_SIZES = (4, 8, 16, 32, 64, 128, 1024)


def measure(name, x, y, make, batch_size, rounds, many):
    runs = {threads: fast_epoch(x, y, make, batch_size, threads, torch.Generator().manual_seed(0))
            for threads in (1, many)}
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
    command = parser(__doc__, rounds=15, batch_sizes=BATCH_SIZES)
    command.add_argument("--samples", type=int, default=4096, help="rows per epoch")
    args = parse(command, argv)
    device = torch.device("cpu")
    many = torch.get_num_threads()
    record = machine(device)
    print(f"cpu ({record['processor']}), 1 thread against {many}, torch {record['torch']}; "
          f"{args.rounds} rounds; 1-minute load average before: {record['load_before']}")
    print(f"{'model':42s} {'batch':>5s} {'B x weights':>11s} {'threads_for':>11s} "
          f"{'1 / many, fastest':>17s} {'1 / many, median':>16s}")
    rows = []
    for load_data in (sign_language, mnist):
        name, x, y, make = load_data(device)
        x, y = x[:args.samples], y[:args.samples]
        for batch_size in args.batch_sizes:
            row = measure(name, x, y, make, batch_size, args.rounds, many)
            rows.append(row)
            print(f"{name:42s} {batch_size:5d} {row['multiply_adds']:11,d} "
                  f"{row['threads_for']:11d} {row['one_over_many_fastest']:17.2f} "
                  f"{row['one_over_many_median']:16.2f}", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"1-minute load average after: {load}; SMALL_STEP = {SMALL_STEP:,d}")
    if args.out:
        write(args.out, record, args.rounds, rows)
    return rows


if __name__ == "__main__":
    main()
