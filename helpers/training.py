"""A training loop for classifiers that keeps the books: per-epoch loss and accuracy on the
training and validation sets, time per epoch, and the weights of the best epoch."""

import contextlib
import copy
import time

import torch

from helpers.batches import check_batch_size, minibatches
from helpers.device import cpu_threads


def evaluate(model, x, y, loss_fn, batch_size=4096):
    """(mean loss, accuracy) of `model` on inputs x (N, ...) and class labels y (N,).

    Runs without building a graph, in chunks of `batch_size` rows; the loss is the
    sample-weighted mean of `loss_fn` (which must use reduction="mean") over all N rows,
    the accuracy the fraction of rows whose largest logit is at the true class.
    """
    check_batch_size(batch_size)
    total_loss, correct = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            logits = model(xb)
            total_loss += loss_fn(logits, yb).item() * len(xb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
    model.train(was_training)
    return total_loss / len(x), correct / len(x)


SMALL_STEP = 2**20  # multiply-adds in one forward pass of a batch; below it, one CPU thread


def threads_for(model, batch_size):
    """The CPU threads `train_epoch` uses by default: 1 for a small step, else torch's setting.

    A step is small when batch_size x the model's number of weights, about the
    multiply-adds of a batch's forward pass through a linear or fully connected model, is
    below SMALL_STEP. Such a step is a string of tiny operations, too small to share well:
    timed at its fastest on a 2-core machine, a second thread shortened it by 7% at most
    (and by 13% or more just above SMALL_STEP), while on a machine whose cores are busy
    with other programs it makes it several times slower, since every operation that
    uses the thread waits for it to get a core. `benchmarks/threads.py` measures both.
    """
    check_batch_size(batch_size)
    weights = sum(p.numel() for p in model.parameters())
    return 1 if batch_size * weights < SMALL_STEP else torch.get_num_threads()


def train_epoch(model, optimizer, loss_fn, x, y, batch_size, generator=None, threads=None):
    """One epoch of mini-batch training; returns (mean loss, accuracy) over its batches.

    x: inputs (N, ...); y: class labels (N,); loss_fn(logits, labels) with
    reduction="mean". Both results are sample-weighted means over the batches as they
    were trained on (each batch seen by the model as it was just before that batch's
    step). The books cost next to nothing on the hot path: each step keeps its detached
    loss and logits, and they are added up once, at the end of the epoch (one read from
    the device, not one per step). The batches are gathered into reused buffers
    (`minibatches(..., reuse=True)`), so `model` must not keep its inputs.
    threads: CPU threads for the epoch when x is on the CPU (ignored on a GPU); by
        default `threads_for(model, batch_size)`: one for a small step, where a second
        thread saves little at best, and torch's setting otherwise.
    """
    check_batch_size(batch_size)
    if len(y) != len(x):
        raise ValueError(f"y has {len(y)} labels for the {len(x)} rows of x; expected one per row")
    if threads is None:
        threads = threads_for(model, batch_size)
    model.train()
    order = torch.randperm(len(x), generator=generator).to(x.device)
    labels = y.index_select(0, order)  # the labels in the order this epoch trains on them
    label_batches = labels.split(batch_size)
    with cpu_threads(threads) if x.device.type == "cpu" else contextlib.nullcontext():
        losses, outputs = [], []
        batches = minibatches(x, batch_size=batch_size, order=order, reuse=True)
        for (xb,), yb in zip(batches, label_batches):
            optimizer.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.detach())
            outputs.append(logits.detach())
    batch_losses = torch.stack(losses).cpu().double()  # float64 (which MPS lacks) on the host
    sizes = torch.tensor([len(yb) for yb in label_batches], dtype=torch.float64)
    mean_loss = (batch_losses * sizes).sum() / len(x)
    correct = (torch.cat(outputs).argmax(dim=1) == labels).sum()
    return mean_loss.item(), correct.item() / len(x)


def fit(model, optimizer, loss_fn, train, val, batch_size, n_epochs, generator=None,
        restore_best=True, threads=None):
    """Train for `n_epochs` epochs; record every epoch; keep the best weights by val loss.

    train, val: (x, y) pairs of tensors, inputs (N, ...) and class labels (N,).
    Returns a dict of per-epoch lists, "train_loss", "train_acc", "val_loss", "val_acc"
    and "seconds" (wall time of the training part of each epoch), plus "best_epoch"
    (counted from 1). With `restore_best`, the model ends with the weights of the epoch
    with the lowest validation loss, copied when they were reached. threads: passed on to
    `train_epoch` (CPU threads for training; default `threads_for(model, batch_size)`).
    """
    check_batch_size(batch_size)
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or n_epochs < 1:
        raise ValueError(f"n_epochs must be a positive int, got {n_epochs!r}")
    history = {key: [] for key in ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")}
    best_loss, best_state = float("inf"), None
    for epoch in range(1, n_epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(model, optimizer, loss_fn, *train, batch_size,
                                            generator, threads)
        history["seconds"].append(time.perf_counter() - start)
        val_loss, val_acc = evaluate(model, *val, loss_fn)
        for key, value in zip(("train_loss", "train_acc", "val_loss", "val_acc"),
                              (train_loss, train_acc, val_loss, val_acc)):
            history[key].append(value)
        if val_loss < best_loss:
            best_loss, history["best_epoch"] = val_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
    if restore_best:
        model.load_state_dict(best_state)
    return history
