"""Mini-batches over tensors that are already in memory.

A shuffled batch is gathered with one `index_select` per tensor: one copy of B rows, with
no per-sample Python work (a `DataLoader` over a `TensorDataset` indexes and collates
its B samples one by one).
"""

import torch


def check_batch_size(batch_size):
    """Return `batch_size` if it is a positive int; raise TypeError/ValueError otherwise."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size must be a positive int, got {batch_size!r} "
                        f"({type(batch_size).__name__})")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}")
    return batch_size


def _check_tensors(tensors):
    if not tensors:
        raise TypeError("minibatches needs at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"tensors[{i}] must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() == 0:
            raise ValueError(f"tensors[{i}] is a 0-d tensor; rows are indexed along dim 0")
    n = len(tensors[0])
    if n == 0:
        raise ValueError("the data set is empty: tensors[0] has 0 rows")
    for i, t in enumerate(tensors[1:], start=1):
        if len(t) != n:
            raise ValueError(f"tensors[{i}] has {len(t)} rows, tensors[0] has {n}; "
                             f"expected the same number of rows")
    return n


def minibatches(*tensors, batch_size, shuffle=True, drop_last=False, generator=None,
                order=None, reuse=False):
    """One epoch of mini-batches: yields tuples of row slices of `tensors`.

    tensors: one or more tensors with the same number of rows N (dim 0), for example
        features (N, D) and targets (N,).
    batch_size: rows per batch, B. The last batch has N mod B rows when B does not
        divide N; it is dropped if `drop_last` is true.
    shuffle: draw a new random order of the rows for this epoch (from `generator`, or
        torch's global generator); otherwise keep the stored order.
    order: the order of the rows for this pass, a permutation of 0 ... N-1 (a tensor of
        N indices), instead of drawing one; whoever passes it knows which rows each
        batch holds.
    reuse: gather every shuffled batch into the same buffers (one per tensor) instead of
        new tensors, and hand the buffers on to the next pass that wants the same shapes.
        Faster for large batches, where fresh memory must be mapped in page by page,
        but each batch is overwritten by the next: use it before drawing the next one,
        as a training step does, and never keep it.

    Call it once per epoch: each call is one pass, in a new order when shuffling.
    Arguments are checked when it is called, before the first batch.
    """
    n = _check_tensors(tensors)
    check_batch_size(batch_size)
    if order is not None:
        _check_order(order, n)
    elif shuffle:
        order = torch.randperm(n, generator=generator).to(tensors[0].device)
    stop = n - n % batch_size if drop_last else n
    if order is None:
        return _slices(tensors, batch_size, stop)
    if reuse:
        key = tuple(((min(batch_size, n), *t.shape[1:]), t.dtype, t.device) for t in tensors)
        buffers = _spare_buffers.pop(key, None) or [t.new_empty(k[0]) for t, k in zip(tensors, key)]
        return _gathered_into(tensors, order, batch_size, stop, key, buffers)
    return _gathered(tensors, order, batch_size, stop)


# The buffers of the last pass with reuse=True that ran to its end, kept for the next pass
# with the same shapes: fresh memory of a few megabytes is mapped in by the operating
# system one 4 KB page at a time, which on a CPU costs as much as gathering into it.
_spare_buffers = {}


def _check_order(order, n):
    if not isinstance(order, torch.Tensor) or order.shape != (n,) \
            or order.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"order must be an integer tensor of shape ({n},), a permutation of "
                         f"the row indices, got {order!r:.80}")


def _slices(tensors, batch_size, stop):
    for start in range(0, stop, batch_size):
        yield tuple(t[start:start + batch_size] for t in tensors)


def _gathered(tensors, order, batch_size, stop):
    for start in range(0, stop, batch_size):
        rows = order[start:start + batch_size]
        yield tuple(t.index_select(0, rows) for t in tensors)


def _gathered_into(tensors, order, batch_size, stop, key, buffers):
    whole = buffers
    for start in range(0, stop, batch_size):
        rows = order[start:start + batch_size]
        if len(rows) < len(buffers[0]):                  # the last, smaller batch
            buffers = [buffer[:len(rows)] for buffer in buffers]
        yield tuple(torch.index_select(t, 0, rows, out=buffer)
                    for t, buffer in zip(tensors, buffers))
    _spare_buffers.clear()                               # keep one set of buffers at most
    _spare_buffers[key] = whole


def steps_per_epoch(n, batch_size, drop_last=False):
    """Optimizer steps in one pass over n samples: ceil(n / batch_size), floor with drop_last."""
    check_batch_size(batch_size)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int (a number of samples), got {n!r}")
    return n // batch_size if drop_last else -(-n // batch_size)


def endless_minibatches(*tensors, batch_size, seed=0, start=0, drop_last=False):
    """An endless stream of mini-batches: pass after pass over the rows, each in a new order.

    tensors, batch_size, drop_last: as for `minibatches`.
    seed: the orders of all passes are drawn, one after another, from a torch.Generator
        seeded with `seed`; the same seed gives the same stream.
    start: the number of batches to skip, for resuming: the stream with start=k yields
        exactly what the stream with start=0 yields from its (k+1)-th batch on.

    The pass number of a batch is its index in the stream // steps_per_epoch(N, B).
    """
    n = _check_tensors(tensors)
    check_batch_size(batch_size)
    for name, value in (("seed", seed), ("start", start)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    per_pass = steps_per_epoch(n, batch_size, drop_last)
    if per_pass == 0:
        raise ValueError(f"batch_size={batch_size} with drop_last=True leaves no batch "
                         f"in a pass over {n} rows")
    return _endless(tensors, n, batch_size, seed, start, per_pass)


def _endless(tensors, n, batch_size, seed, start, per_pass):
    generator = torch.Generator().manual_seed(seed)
    skipped_passes, skip = divmod(start, per_pass)
    for _ in range(skipped_passes):
        torch.randperm(n, generator=generator)  # replay the draws of the skipped passes
    device = tensors[0].device
    while True:
        order = torch.randperm(n, generator=generator).to(device)
        for i in range(skip, per_pass):
            rows = order[i * batch_size:(i + 1) * batch_size]
            yield tuple(t.index_select(0, rows) for t in tensors)
        skip = 0
