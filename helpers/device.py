"""Which processor runs the lessons, its CPU threads, timing work on it, and seeding."""

import contextlib
import random
import statistics
import time

import numpy as np
import torch


def pick_device(verbose=True):
    """The best available torch.device: CUDA, then Apple's MPS, then the CPU.

    With `verbose`, prints which one was picked (and the GPU's name).
    """
    if torch.cuda.is_available():
        device = torch.device("cuda")
        name = f" ({torch.cuda.get_device_name(device)})"
    elif torch.backends.mps.is_available():
        device, name = torch.device("mps"), " (Apple GPU)"
    else:
        device, name = torch.device("cpu"), ""
    if verbose:
        print(f"Using device: {device.type}{name}")
    return device


def seed_everything(seed):
    """Seed Python's, NumPy's and PyTorch's (CPU and GPU) random generators with `seed`.

    `seed` is an int in [0, 2**32).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def device_label(device):
    """A label for figure titles: the device and the number of CPU threads torch uses.

    For example "cpu, 2 threads" or "cuda (NVIDIA H100 80GB HBM3), 16 CPU threads".
    Timings depend on both, so every timing figure should carry it.
    """
    device = torch.device(device)
    threads = torch.get_num_threads()
    plural = "s" if threads != 1 else ""
    if device.type == "cpu":
        return f"cpu, {threads} thread{plural}"
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "Apple GPU"
    return f"{device.type} ({name}), {threads} CPU thread{plural}"


@contextlib.contextmanager
def cpu_threads(n):
    """Run the body of a `with` block with torch using `n` CPU threads; restore the count after.

    Threads share the work of one operation, and handing work to a thread that has gone
    to sleep costs tens of microseconds: more than a tiny operation takes alone.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int (a number of threads), got {n!r}")
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def synchronize(device):
    """Wait until `device` has finished the work queued on it (CUDA, MPS); on a CPU, nothing.

    A GPU runs operations asynchronously: a Python call returns as soon as the work is
    queued. Without this, a timer stopped after the call measures the queueing, not the work.
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def timed(fn, device, repeats=3):
    """Median wall-clock time of fn() in seconds, over `repeats` calls after one warm-up call.

    The device is synchronised before the clock starts and before it stops, so queued GPU
    work is counted. The warm-up call is not timed (first calls allocate memory, load
    kernels, fill caches). Timings vary from run to run: compare them within one run.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    fn()
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
