"""Which processor runs the lessons, its CPU threads, timing work on it, and seeding."""

import contextlib
import math
import random
import time

import numpy as np
import torch

from helpers.checks import check, check_positive_int


def pick_device(request=None, verbose=True):
    """The torch.device to run on: `request` if it is available here, else the best one.

    request: None for the best available (CUDA, then Apple's MPS, then the CPU), or a
        device name such as "cuda", "cuda:1", "mps" or "cpu" (or a torch.device); a device
        that is not available here raises RuntimeError, a malformed request ValueError.
    With `verbose`, prints which device was picked (and the GPU's name).
    """
    if request is None:
        device = torch.device("cuda" if torch.cuda.is_available() else
                              "mps" if torch.backends.mps.is_available() else "cpu")
    else:
        device = _available(request)
    if verbose:
        name = {"cuda": lambda: f" ({torch.cuda.get_device_name(device)})",
                "mps": lambda: " (Apple GPU)"}.get(device.type, lambda: "")()
        print(f"Using device: {device.type}{name}")
    return device


def _available(request):
    """torch.device(request), checked to be a CPU, CUDA or MPS device present here."""
    if not isinstance(request, (str, torch.device)):
        raise TypeError(f"request must be a device name such as 'cuda', 'cuda:0', 'mps' or "
                        f"'cpu', or a torch.device, got {request!r} ({type(request).__name__})")
    try:
        device = torch.device(request)
    except RuntimeError as error:
        raise ValueError(f"request={request!r} is not a device name; expected 'cuda', "
                         f"'cuda:N', 'mps' or 'cpu'") from error
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if (device.index or 0) >= count:
            raise RuntimeError(f"request={request!r}: this machine has {count} CUDA "
                               f"device(s) that torch can use")
    elif device.type == "mps":
        if not torch.backends.mps.is_available():
            raise RuntimeError(f"request={request!r}: Apple's MPS is not available here")
    elif device.type != "cpu":
        raise ValueError(f"request={request!r}: the lessons run on 'cuda', 'mps' or 'cpu', "
                         f"not {device.type!r}")
    return device


def seed_everything(seed):
    """Seed Python's, NumPy's and PyTorch's (CPU and GPU) random generators; seed in [0, 2**32)."""
    seed = check("seed", seed, int, lambda v: 0 <= v < 2**32, "an int in [0, 2**32)")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def device_label(device):
    """A label for figure titles: the device and the number of CPU threads torch uses.

    For example "cpu, 2 threads" or "cuda (NVIDIA H100 80GB HBM3), 16 CPU threads".
    Timings depend on both, so every timing figure should carry it. The device must be
    one available here (see pick_device).
    """
    device = _available(device)
    threads = torch.get_num_threads()
    plural = "s" if threads != 1 else ""
    if device.type == "cpu":
        return f"cpu, {threads} thread{plural}"
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "Apple GPU"
    return f"{device.type} ({name}), {threads} CPU thread{plural}"


@contextlib.contextmanager
def cpu_threads(n):
    """Run the body of a `with` block on n CPU threads (torch.set_num_threads); restore after."""
    n = check_positive_int("n", n)
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
    rounds = check_positive_int("rounds", rounds)
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
    batch_size = check_positive_int("batch_size", batch_size)
    weights = sum(p.numel() for p in model.parameters())
    return 1 if batch_size * weights < SMALL_STEP else torch.get_num_threads()
