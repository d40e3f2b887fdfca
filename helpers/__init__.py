"""Helpers for the course *Epochs and Mini-batches*: data, devices, batches and plots.

The lessons write their training loops themselves; these modules hold the plumbing:

- `helpers.data`: the data sets, fetched, cached and sha256-verified;
- `helpers.device`: picking CUDA, MPS or the CPU, setting its CPU threads, timing work
  on it, and seeding;
- `helpers.batches`: mini-batches over tensors in memory, one epoch or an endless stream;
- `helpers.training`: a classifier training loop that keeps the books, and evaluation;
- `helpers.checkpoints`: saving and resuming a training run;
- `helpers.optimizers`: gradient descent, momentum and Adam written out step by step,
  and `FusedAdam`, torch's fused Adam without the per-step overhead;
- `helpers.plots`: the figure style, image grids, optimizer-path animations.
"""

from helpers import data, optimizers, training  # submodules: helpers.data.SOURCES, ...
from helpers.batches import check_batch_size, endless_minibatches, minibatches, steps_per_epoch
from helpers.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from helpers.data import load_boston, load_mnist_sample, load_sign_mnist
from helpers.device import device_label, pick_device, seed_everything, synchronize, timed
from helpers.plots import (COLORS, animation_html, image_grid, mark_stop, path_animation,
                           use_course_style)

__all__ = [
    "check_batch_size", "endless_minibatches", "minibatches", "steps_per_epoch",
    "CheckpointError", "load_checkpoint", "save_checkpoint",
    "load_boston", "load_mnist_sample", "load_sign_mnist",
    "device_label", "pick_device", "seed_everything", "synchronize", "timed",
    "COLORS", "animation_html", "image_grid", "mark_stop", "path_animation", "use_course_style",
]
