"""Helpers for the course *Epochs and Mini-batches*: the plumbing of the lessons' loops.

- `helpers.data`: the data sets, fetched, cached and sha256-verified;
- `helpers.device`: the device, its CPU threads, timing work on it, seeding;
- `helpers.batches`: mini-batches over tensors in memory, one epoch or an endless stream;
- `helpers.training`: a classifier training loop that keeps the books, and evaluation;
- `helpers.checkpoints`: saving and resuming a training run;
- `helpers.optimizers`: gradient descent, momentum and Adam written out, and `FusedAdam`;
- `helpers.plots`: the figure style, image grids, optimizer-path animations;
- `helpers.distributed`: lesson 9's scripts on several processes, run with torchrun;
- `helpers.questions`: self-check questions answered in the page;
- `helpers.exercises`: checked exercises, one module per lesson (`from helpers.exercises
  import lesson03`);
- `helpers.leftovers`: removing what killed processes left behind (partial files, folders);
- `helpers.checks`: the argument check they all use.
"""

# The names below are the package's interface: `helpers.minibatches`, `helpers.COLORS`, ...
from helpers import data, optimizers, training  # submodules: helpers.data.SOURCES, ...
from helpers.batches import endless_minibatches, minibatches, steps_per_epoch
from helpers.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from helpers.data import load_boston, load_mnist_sample, load_sign_mnist
from helpers.device import device_label, fastest, pick_device, seed_everything, synchronize
from helpers.plots import (
    COLORS,
    animation_html,
    image_grid,
    mark_stop,
    path_animation,
    use_course_style,
)
from helpers.questions import ask_choice, ask_number

