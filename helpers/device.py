"""Which processor runs the lessons, its CPU threads, timing work on it, and seeding."""

import contextlib
import math
import random
import time

import numpy as np
import torch

from helpers.checks import check, check_positive_int


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
    """Seed Python's, NumPy's and PyTorch's (CPU and GPU) random generators; seed in [0, 2**32)."""
    check("seed", seed, int, lambda v: 0 <= v < 2**32, "an int in [0, 2**32)")
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
    """Run the body of a `with` block on n CPU threads (torch.set_num_threads); restore after."""
    check_positive_int("n", n)
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def synchronize(device):
    """Wait until `device` (CUDA, MPS) has run the work queued on it; a no-op on a CPU.

    A GPU runs operations asynchronously: without this, a clock stopped after a call
    measures the queueing, not the work.
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def fastest(functions, device, rounds=5):
    """Seconds of each function's fastest call: {key: seconds} for {key: function}.

    The functions are called in turn, round after round, so that a slow spell of the
    machine hits them all alike; a first round warms up (memory, kernels, caches) and is
    not timed. Other programs can only add time, so the fastest call is the closest to
    what a quiet machine takes. The device is synchronised around every call.
    """
    check_positive_int("rounds", rounds)
    best = dict.fromkeys(functions, math.inf)
    for round_ in range(rounds + 1):
        for key, function in functions.items():
            synchronize(device)
            start = time.perf_counter()
            function()
            synchronize(device)
            seconds = time.perf_counter() - start
            if round_ > 0:  # round 0 only warms up
                best[key] = min(best[key], seconds)
    return best


SMALL_STEP = 2**20  # multiply-adds in a forward pass of one batch, below which one thread


def threads_for(model, batch_size):
    """CPU threads for training `model` on batches of batch_size: 1 for a small step, else all.

    A step is small when batch_size x the model's weights (about the multiply-adds of a
    forward pass through a linear or fully connected model) is below SMALL_STEP: a second
    thread then saves little or nothing (benchmarks/README.md).
    """
    check_positive_int("batch_size", batch_size)
    weights = sum(p.numel() for p in model.parameters())
    return 1 if batch_size * weights < SMALL_STEP else torch.get_num_threads()
