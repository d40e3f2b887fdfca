"""A training loop for classifiers that keeps the books: loss and accuracy on the training
and validation sets, epoch by epoch, and the weights of the best epoch."""

import copy
import math
import time
import warnings

import torch

from helpers.batches import check_rows
from helpers.checks import check_flag, check_generator, check_positive_int


def evaluate(model, x, y, loss_fn, batch_size=4096):
    """(mean loss, accuracy) of `model` on inputs x (N >= 1, ...) and class labels y (N,).

    model(x) must give logits of shape (B, C), one score per class (C >= 2); the accuracy
    is how often the highest one is the label. A model with one logit per row (a binary
    classifier for BCEWithLogitsLoss) and labels of shape (N, 1) are refused: return two
    logits and use cross_entropy instead.
    loss_fn(logits, labels) must average over the batch (reduction="mean"; a sum is
    refused); the data go through the model in chunks of batch_size rows, without a graph.
    The model is back in the mode (train or eval) it was in, even if something fails.
    """
    check_labels(x, y)
    batch_size = check_positive_int("batch_size", batch_size)
    return _evaluate(model, x, y, loss_fn, batch_size)


def _evaluate(model, x, y, loss_fn, batch_size):
    total_loss, correct = 0.0, 0
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                xb, yb = x[start:start + batch_size], y[start:start + batch_size]
                logits = model(xb)
                if start == 0:
                    check_logits(logits, yb)
                    check_mean_loss(loss_fn, logits, yb)
                total_loss += loss_fn(logits, yb).item() * len(xb)
                correct += (logits.argmax(dim=1) == yb).sum().item()
    finally:
        model.train(was_training)
    return total_loss / len(x), correct / len(x)


def check_labels(x, y, name="y"):
    """Raise unless x, y are tensors of N >= 1 rows and y holds one label per row, (N,)."""
    check_rows((x, y))
    if y.dim() != 1:
        raise ValueError(f"{name} must hold one class label per row, shape ({len(y)},); got "
                         f"shape {tuple(y.shape)}. For labels of shape (N, 1), use "
                         f"y.squeeze(1) with a model that returns one logit per class")


def check_logits(logits, labels):
    """Raise ValueError unless logits has shape (B, C), C >= 2, for B labels."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or \
            logits.shape[0] != len(labels) or logits.shape[1] < 2:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"the model must return logits of shape (B, C), one score for each "
                         f"of C >= 2 classes, for a batch of B = {len(labels)} rows; got "
                         f"{shape}. A binary classifier needs two logits here (C = 2)")


def check_mean_loss(loss_fn, logits, labels):
    """Raise ValueError unless loss_fn(logits, labels) is one number, the mean over the rows.

    A batch and the same batch twice have the same mean loss; a summed loss doubles. The
    whole batch is compared, and then, in case its loss happens to be 0 (a sum over rows
    that all score 0 looks like a mean), uniform logits, whose cross-entropy is never 0.
    """
    loss = loss_fn(logits, labels)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn must return one number (reduction='mean'), got {shape}")
    twice_labels = torch.cat([labels, labels])
    for scores in (logits, torch.zeros_like(logits)):
        once = loss_fn(scores, labels).item()
        twice = loss_fn(torch.cat([scores, scores]), twice_labels).item()
        if not math.isfinite(once) or once == 0:
            continue  # this pair cannot tell a sum from a mean: try the next
        if not math.isclose(once, twice, rel_tol=1e-4):
            raise ValueError(f"loss_fn must average over the batch (reduction='mean'): the "
                             f"loss of a batch is {once:.6g}, of that batch twice {twice:.6g}")
        return


def check_pair(name, pair):
    """(x, y) from `pair`, a tuple or list of two tensors; raise TypeError otherwise."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or \
            not all(isinstance(t, torch.Tensor) for t in pair):
        what = (f"a tensor of shape {tuple(pair.shape)}" if isinstance(pair, torch.Tensor)
                else f"a {type(pair).__name__}" + (f" of {len(pair)}" if
                                                    isinstance(pair, (tuple, list)) else ""))
        raise TypeError(f"{name} must be a pair (x, y) of tensors, got {what}")
    return tuple(pair)


def train_epoch(model, optimizer, loss_fn, x, y, batch_size, generator=None, buffers=None):
    """One epoch of mini-batch training; returns (mean loss, accuracy) over its batches.

    x: inputs (N, ...); y: class labels (N,); model(x) gives logits (B, C), C >= 2;
    loss_fn(logits, labels) with reduction="mean". The logits and the loss are checked
    on the first batch, before any step (see `evaluate`).
    The rows are shuffled by `generator` (or torch's default one), as `minibatches` does.
    Loss and accuracy are those of each batch as the model saw it, just before its step.
    buffers: a `BatchBuffers` to gather the input batches into (the model must not keep
        its inputs); by default each batch is a new tensor.
    Runs on the CPU threads torch is set to: wrap it in `cpu_threads(n)` to choose.
    """
    check_labels(x, y)
    batch_size = check_positive_int("batch_size", batch_size)
    check_generator(generator)
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
        if not outputs:  # the first batch: check before the first step
            check_logits(logits, yb)
            with torch.no_grad():
                check_mean_loss(loss_fn, logits.detach(), yb)
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

    train, val: (x, y) pairs, inputs (N, ...) and class labels (N,); as for train_epoch,
        the logits and the loss are checked before the first step.
    history: "train_loss", "train_acc", "val_loss", "val_acc" and "seconds" (the training
        part of each epoch), one entry per epoch, and "best_epoch" (counted from 1), the
        epoch with the lowest finite validation loss (None, with a warning, if there is
        none); with restore_best the model ends with that epoch's weights.
    """
    train, val = check_pair("train", train), check_pair("val", val)
    check_labels(*train, name="train's y")
    check_labels(*val, name="val's y")
    batch_size = check_positive_int("batch_size", batch_size)
    n_epochs = check_positive_int("n_epochs", n_epochs)
    check_generator(generator)
    restore_best = check_flag("restore_best", restore_best)
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
