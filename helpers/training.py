"""A training loop for classifiers that keeps the books: loss and accuracy on the training
and validation sets, epoch by epoch, and the weights of the best epoch."""

import copy
import time

import torch

from helpers.batches import check_rows
from helpers.checks import check_positive_int


def evaluate(model, x, y, loss_fn, batch_size=4096):
    """(mean loss, accuracy) of `model` on inputs x (N, ...) and class labels y (N,).

    loss_fn(logits, labels) must use reduction="mean"; the data go through the model in
    chunks of batch_size rows, without building a graph.
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
            total_loss += loss_fn(logits, yb).item() * len(xb)
            correct += (logits.argmax(dim=1) == yb).sum().item()
    model.train(was_training)
    return total_loss / len(x), correct / len(x)


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
        epoch with the lowest validation loss; with restore_best the model ends with its
        weights.
    """
    check_rows(train)
    check_rows(val)
    check_positive_int("batch_size", batch_size)
    check_positive_int("n_epochs", n_epochs)
    history = {key: [] for key in ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")}
    best_loss, best_state = float("inf"), None
    for epoch in range(1, n_epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = _train_epoch(model, optimizer, loss_fn, *train, batch_size,
                                             generator, None)
        history["seconds"].append(time.perf_counter() - start)
        val_loss, val_acc = _evaluate(model, *val, loss_fn, 4096)
        for key, value in zip(("train_loss", "train_acc", "val_loss", "val_acc"),
                              (train_loss, train_acc, val_loss, val_acc)):
            history[key].append(value)
        if val_loss < best_loss:
            best_loss, history["best_epoch"] = val_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
    if restore_best:
        model.load_state_dict(best_state)
    return history
