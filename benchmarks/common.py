"""What the benchmark scripts share: the two data sets and models, the fast training path,
the command line and the record of the machine."""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import helpers  # noqa: E402
from helpers.batches import BatchBuffers  # noqa: E402
from helpers.device import cpu_threads, threads_for  # noqa: E402
from helpers.optimizers import FusedAdam  # noqa: E402
from helpers.training import train_epoch  # noqa: E402


def sign_language(device):
    """Sign Language MNIST's training set (27,455 rows), a zero-initialised logistic regression."""
    pixels, labels = helpers.load_sign_mnist("train")
    targets = torch.searchsorted(labels.unique(), labels)

    def make():
        model = torch.nn.Linear(784, 24)
        torch.nn.init.zeros_(model.weight)
        torch.nn.init.zeros_(model.bias)
        return model.to(device)
    return "Sign Language MNIST, logistic regression", pixels.to(device), targets.to(device), make


def mnist(device):
    """The first 8,000 rows of the MNIST sample and a seeded 784-50-10 MLP."""
    pixels, digits = helpers.load_mnist_sample()

    def make():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(784, 50), torch.nn.ReLU(),
                                   torch.nn.Linear(50, 10)).to(device)
    return "MNIST sample, 784-50-10 MLP", pixels[:8000].to(device), digits[:8000].to(device), make


def fast_epoch(x, y, make, batch_size, threads=None, generator=None):
    """A function that trains one epoch on the fast path each time it is called.

    The fast path: helpers.training.train_epoch with FusedAdam, the input batches gathered
    into one BatchBuffers for every epoch, on `threads` CPU threads (default: threads_for's
    choice for the model and batch size; ignored on a GPU).
    """
    model = make()
    optimizer = FusedAdam(model.parameters(), lr=1e-5)
    buffers = BatchBuffers()
    if threads is None:
        threads = threads_for(model, batch_size)

    def run():
        with cpu_threads(threads):
            train_epoch(model, optimizer, F.cross_entropy, x, y, batch_size, generator, buffers)
    return run


def parser(doc, rounds, batch_sizes):
    """The command line both scripts take: --rounds, --out, --batch-sizes."""
    command = argparse.ArgumentParser(description=doc.splitlines()[0])
    command.add_argument("--rounds", type=int, default=rounds, help="timed rounds per setting")
    command.add_argument("--out", type=Path, default=None, help="JSON file to write")
    command.add_argument("--batch-sizes", type=int, nargs="+", default=list(batch_sizes))
    return command


def parse(command, argv):
    args = command.parse_args(argv)
    if args.rounds < 1:
        command.error(f"--rounds must be at least 1, got {args.rounds}")
    return args


def machine(device):
    """The facts a timing depends on: device, threads, versions, processor, load."""
    record = {"device": str(device), "threads": torch.get_num_threads(),
              "torch": torch.__version__, "python": platform.python_version(),
              "processor": platform.processor() or platform.machine(),
              "load_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    if device.type == "cuda":
        record["gpu"] = torch.cuda.get_device_name(device)
    return record


def write(path, record, rounds, rows):
    """Write the machine, the round count and the table's rows to the JSON file `path`."""
    record["load_after"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    path.write_text(json.dumps({"machine": record, "rounds": rounds, "results": rows},
                               indent=2) + "\n")
    print(f"written to {path}")
