"""A training loop for classifiers that keeps the books: per-epoch loss and accuracy on the
training and validation sets, time per epoch, and the weights of the best epoch."""

import copy
import time

import torch

from helpers.batches import check_batch_size, minibatches


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


def train_epoch(model, optimizer, loss_fn, x, y, batch_size, generator=None):
    """One epoch of mini-batch training; returns (mean loss, accuracy) over its batches.

    Both are sample-weighted means over the batches as they were trained on (each batch
    seen by the model as it was just before that batch's step), accumulated on the
    device and read once at the end of the epoch.
    """
    model.train()
    total_loss = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device, dtype=torch.long)
    for xb, yb in minibatches(x, y, batch_size=batch_size, generator=generator):
        optimizer.zero_grad()
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        optimizer.step()
        total_loss += loss.detach() * len(xb)
        correct += (logits.argmax(dim=1) == yb).sum()
    return total_loss.item() / len(x), correct.item() / len(x)


def fit(model, optimizer, loss_fn, train, val, batch_size, n_epochs, generator=None,
        restore_best=True):
    """Train for `n_epochs` epochs; record every epoch; keep the best weights by val loss.

    train, val: (x, y) pairs of tensors, inputs (N, ...) and class labels (N,).
    Returns a dict of per-epoch lists, "train_loss", "train_acc", "val_loss", "val_acc"
    and "seconds" (wall time of the training part of each epoch), plus "best_epoch"
    (counted from 1). With `restore_best`, the model ends with the weights of the epoch
    with the lowest validation loss, copied when they were reached.
    """
    check_batch_size(batch_size)
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or n_epochs < 1:
        raise ValueError(f"n_epochs must be a positive int, got {n_epochs!r}")
    history = {key: [] for key in ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")}
    best_loss, best_state = float("inf"), None
    for epoch in range(1, n_epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(model, optimizer, loss_fn, *train, batch_size,
                                            generator)
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
