"""A training loop for classifiers that keeps the books: loss and accuracy on the training
and validation sets, epoch by epoch, and the weights of the best epoch."""

import copy
import math
import time
import warnings

import torch

from helpers.batches import check_rows
from helpers.checks import check_positive_int


def evaluate(model, x, y, loss_fn, batch_size=4096):
    """(mean loss, accuracy) of `model` on inputs x (N >= 1, ...) and class labels y (N,).

    loss_fn(logits, labels) must average over the batch (reduction="mean"; a sum is
    refused); the data go through the model in chunks of batch_size rows, without a graph.
    """
    check_rows((x, y))
    check_positive_int("batch_size", batch_size)
    return _evaluate(model, x, y, loss_fn, batch_size)


def _evaluate(model, x, y, loss_fn, batch_size):
    total_loss, correct = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            logits = model(xb)
            if start == 0:
                check_mean_loss(loss_fn, logits, yb)
            total_loss += loss_fn(logits, yb).item() * len(xb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
    model.train(was_training)
    return total_loss / len(x), correct / len(x)


def check_mean_loss(loss_fn, logits, labels):
    """Raise ValueError unless loss_fn(logits, labels) is one number, the mean over the rows.

    A batch and the same batch twice have the same mean loss; a summed loss doubles.
    """
    one = loss_fn(logits[:1], labels[:1])
    if one.dim() != 0:
        raise ValueError(f"loss_fn must return one number (reduction='mean'), got a tensor "
                         f"of shape {tuple(one.shape)}")
    twice = [t[:1].repeat(2, *[1] * (t.dim() - 1)) for t in (logits, labels)]
    two = loss_fn(*twice)
    if math.isfinite(one.item()) and not math.isclose(one.item(), two.item(), rel_tol=1e-4,
                                                      abs_tol=1e-12):
        raise ValueError(f"loss_fn must average over the batch (reduction='mean'): the loss "
                         f"of one row is {one.item():.6g}, of that row twice {two.item():.6g}")


def train_epoch(model, optimizer, loss_fn, x, y, batch_size, generator=None, buffers=None):
    """One epoch of mini-batch training; returns (mean loss, accuracy) over its batches.

    x: inputs (N, ...); y: class labels (N,); loss_fn(logits, labels) with reduction="mean".
    The rows are shuffled by `generator` (or torch's default one), as `minibatches` does.
    Loss and accuracy are those of each batch as the model saw it, just before its step.
    buffers: a `BatchBuffers` to gather the input batches into (the model must not keep
        its inputs); by default each batch is a new tensor.
    Runs on the CPU threads torch is set to: wrap it in `cpu_threads(n)` to choose.
    """
    check_rows((x, y))
    check_positive_int("batch_size", batch_size)
    return _train_epoch(model, optimizer, loss_fn, x, y, batch_size, generator, buffers)


def _train_epoch(model, optimizer, loss_fn, x, y, batch_size, generator, buffers):
    model.train()
    order = torch.randperm(len(x), generator=generator).to(x.device)
    labels = y.index_select(0, order)  # the labels in the order this epoch visits the rows
    if buffers is None:
        inputs = (x.index_select(0, rows) for rows in order.split(batch_size))
    else:
        inputs = buffers.batches(x, order, batch_size)
    losses, outputs = [], []
    for xb, yb in zip(inputs, labels.split(batch_size)):
        optimizer.zero_grad()
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())  # kept on the device: read once, after the epoch
        outputs.append(logits.detach())
    sizes = torch.tensor([len(out) for out in outputs], dtype=torch.float64)
    mean_loss = (torch.stack(losses).cpu().double() * sizes).sum() / len(x)  # float64 on the host
    correct = (torch.cat(outputs).argmax(dim=1) == labels).sum()
    return mean_loss.item(), correct.item() / len(x)


def fit(model, optimizer, loss_fn, train, val, batch_size, n_epochs, generator=None,
        restore_best=True):
    """Train for n_epochs epochs, keeping the books; returns the history, a dict of lists.

    train, val: (x, y) pairs, inputs (N, ...) and class labels (N,).
    history: "train_loss", "train_acc", "val_loss", "val_acc" and "seconds" (the training
        part of each epoch), one entry per epoch, and "best_epoch" (counted from 1), the
        epoch with the lowest finite validation loss (None, with a warning, if there is
        none); with restore_best the model ends with that epoch's weights.
    """
    check_rows(train)
    check_rows(val)
    check_positive_int("batch_size", batch_size)
    check_positive_int("n_epochs", n_epochs)
    history = {key: [] for key in ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")}
    history["best_epoch"] = None
    best_loss, best_state = math.inf, None
    for epoch in range(1, n_epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = _train_epoch(model, optimizer, loss_fn, *train, batch_size,
                                             generator, None)
        history["seconds"].append(time.perf_counter() - start)
        val_loss, val_acc = _evaluate(model, *val, loss_fn, 4096)
        for key, value in zip(("train_loss", "train_acc", "val_loss", "val_acc"),
                              (train_loss, train_acc, val_loss, val_acc)):
            history[key].append(value)
        if val_loss < best_loss:  # never true for a NaN or an infinite loss
            best_loss, history["best_epoch"] = val_loss, epoch
            if restore_best:
                best_state = copy.deepcopy(model.state_dict())
    if history["best_epoch"] is None:
        warnings.warn(f"no epoch of {n_epochs} had a finite validation loss (the last: "
                      f"{history['val_loss'][-1]}): history['best_epoch'] is None and the "
                      f"model keeps the weights of the last epoch. Check the data for NaNs "
                      f"and try a smaller learning rate.", RuntimeWarning, stacklevel=2)
    elif restore_best:
        model.load_state_dict(best_state)
    return history
