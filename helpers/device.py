"""Which processor runs the lessons, and seeding for repeatable runs."""

import random

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
