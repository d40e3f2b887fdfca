"""Mini-batches over tensors that are already in memory: one epoch, or an endless stream."""

import torch

from helpers.checks import check, check_flag, check_generator, check_positive_int


def minibatches(*tensors, batch_size, shuffle=True, drop_last=False, generator=None):
    """One epoch of mini-batches: yields tuples of B rows of each tensor.

    tensors: one or more tensors with the same number of rows N (dim 0), e.g. x (N, D), y (N,).
    batch_size: B. The last batch holds N mod B rows; `drop_last` drops it.
    shuffle: a new random order of the rows, drawn from `generator` (or torch's default
        one), at every call; otherwise the stored order.
    """
    n = check_rows(tensors)
    batch_size = check_positive_int("batch_size", batch_size)
    shuffle, drop_last = check_flag("shuffle", shuffle), check_flag("drop_last", drop_last)
    check_generator(generator)
    check_some_batch(n, batch_size, drop_last)
    stop = n - n % batch_size if drop_last else n
    if not shuffle:
        return (tuple(t[i:i + batch_size] for t in tensors) for i in range(0, stop, batch_size))
    order = torch.randperm(n, generator=generator).to(tensors[0].device)
    return (tuple(t.index_select(0, order[i:i + batch_size]) for t in tensors)
            for i in range(0, stop, batch_size))


def check_rows(tensors):
    """The number of rows N of `tensors`, all torch tensors with N >= 1 rows along dim 0."""
    if not tensors:
        raise TypeError("expected at least one tensor, got none")
    for i, t in enumerate(tensors):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"tensors[{i}] must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() == 0:
            raise ValueError(f"tensors[{i}] must have rows along dim 0, got a 0-d tensor")
    n = len(tensors[0])
    if n == 0:
        raise ValueError("tensors[0] has 0 rows; expected a data set of at least one row")
    for i, t in enumerate(tensors[1:], start=1):
        if len(t) != n:
            raise ValueError(f"tensors[{i}] has {len(t)} rows, tensors[0] has {n}; "
                             f"expected the same number of rows")
    return n


def check_some_batch(n, batch_size, drop_last):
    """Raise ValueError if drop_last leaves no batch of batch_size in a pass over n rows."""
    if drop_last and batch_size > n:
        raise ValueError(f"batch_size={batch_size} with drop_last=True leaves no batch "
                         f"in a pass over {n} rows; expected batch_size <= {n}")


def steps_per_epoch(n, batch_size, drop_last=False):
    """Optimizer steps in one pass over n samples: ceil(n / B), or floor(n / B) with drop_last."""
    n, batch_size = check_positive_int("n", n), check_positive_int("batch_size", batch_size)
    drop_last = check_flag("drop_last", drop_last)
    return n // batch_size if drop_last else -(-n // batch_size)


def endless_minibatches(*tensors, batch_size, seed=0, start=0, drop_last=False):
    """An endless stream of mini-batches: pass after pass over the rows, each in a new order.

    tensors, batch_size, drop_last: as for `minibatches`.
    seed: the orders are drawn from a torch.Generator seeded with it: same seed, same stream
        (an int in [0, 2**64), as torch.Generator.manual_seed takes).
    start: batches to skip, for resuming: the stream with start=k yields what the stream
        with start=0 yields from its (k+1)-th batch on.
    """
    n = check_rows(tensors)
    batch_size = check_positive_int("batch_size", batch_size)
    seed = check("seed", seed, int, lambda v: 0 <= v < 2**64, "an int in [0, 2**64)")
    start = check("start", start, int, lambda v: v >= 0, "an int >= 0")
    drop_last = check_flag("drop_last", drop_last)
    check_some_batch(n, batch_size, drop_last)
    per_pass = steps_per_epoch(n, batch_size, drop_last)
    return _endless(tensors, n, batch_size, seed, start, per_pass)


def _endless(tensors, n, batch_size, seed, start, per_pass):
    generator = torch.Generator().manual_seed(seed)
    skipped_passes, skip = divmod(start, per_pass)
    for _ in range(skipped_passes):
        torch.randperm(n, generator=generator)  # replay the draws of the skipped passes
    while True:
        order = torch.randperm(n, generator=generator).to(tensors[0].device)
        for i in range(skip * batch_size, per_pass * batch_size, batch_size):
            yield tuple(t.index_select(0, order[i:i + batch_size]) for t in tensors)
        skip = 0


def check_order(order, n):
    """Raise ValueError unless `order` is a permutation of 0 ... n-1, as an integer tensor."""
    if not isinstance(order, torch.Tensor) or order.shape != (n,) \
            or order.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"order must be an integer tensor of shape ({n},), got {order!r:.80}")
    if order.min() < 0 or order.max() >= n or (torch.bincount(order, minlength=n) != 1).any():
        raise ValueError(f"order must hold each row index 0 ... {n - 1} exactly once, "
                         f"got {order!r:.80}")


class BatchBuffers:
    """Memory that the batches of pass after pass are gathered into: the fast path.

    A batch gathered into fresh memory costs, on a CPU, about as much again for the
    operating system to map that memory in (benchmarks/README.md). These buffers are
    made once and refilled: each batch overwrites the one before it, so use a batch
    before drawing the next (as a training step does) and never keep it. A pass that
    starts while another is still running gets buffers of its own.
    """

    def __init__(self):
        self.spare = {}  # (batch shape, dtype, device) -> a buffer that no pass is using

    def batches(self, x, order, batch_size):
        """Yield the rows of x (N, ...) in `order` (N row indices), batch_size rows at a time."""
        check_rows((x,))
        batch_size = check_positive_int("batch_size", batch_size)
        check_order(order, len(x))
        key = ((min(batch_size, len(x)), *x.shape[1:]), x.dtype, x.device)
        return self._gathered(x, order, batch_size, key)

    def _gathered(self, x, order, batch_size, key):
        whole = self.spare.pop(key, None)
        if whole is None:
            whole = x.new_empty(key[0])
        buffer = whole
        for i in range(0, len(order), batch_size):
            rows = order[i:i + batch_size]
            if len(rows) < len(buffer):  # the last, smaller batch
                buffer = buffer[:len(rows)]
            yield torch.index_select(x, 0, rows, out=buffer)
        self.spare[key] = whole  # for the next pass, now that this one has ended
