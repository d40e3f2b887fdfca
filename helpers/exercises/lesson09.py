"""Lesson 9's checked exercise: `rank_indices`, one rank's share of an unshuffled epoch."""

import math

from torch.utils.data import DistributedSampler

from helpers.exercises import Case, Exercise, Mistake


def rank_indices(n_samples, world_size, rank):
    per_rank = math.ceil(n_samples / world_size)        # every rank gets as many samples
    order = list(range(n_samples))
    padding = per_rank * world_size - n_samples
    order += (order * world_size)[:padding]             # the first ones again (copies
                                                        # enough even for n < world_size)
    return order[rank::world_size]                      # every world_size-th, from rank


_solution = rank_indices   # the name `rank_indices` is the exercise's, below


def _no_padding(n_samples, world_size, rank):
    return list(range(rank, n_samples, world_size))


def _blocks(n_samples, world_size, rank):
    per_rank = math.ceil(n_samples / world_size)
    order = list(range(n_samples))
    order += order[:per_rank * world_size - n_samples]
    return order[rank * per_rank:(rank + 1) * per_rank]


def _padded_with_the_last(n_samples, world_size, rank):
    per_rank = math.ceil(n_samples / world_size)
    order = list(range(n_samples))
    order += [n_samples - 1] * (per_rank * world_size - n_samples)
    return order[rank::world_size]


def _dropped(n_samples, world_size, rank):
    per_rank = n_samples // world_size
    return list(range(n_samples))[rank:per_rank * world_size:world_size]


def _case(n_samples, world_size, rank):
    return Case(f"rank_indices({n_samples}, world_size={world_size}, rank={rank})",
                lambda: (n_samples, world_size, rank))


def _sampler_indices(case):
    """What torch's DistributedSampler itself gives: the answer the check expects."""
    n_samples, world_size, rank = case.make()
    return list(DistributedSampler(range(n_samples), num_replicas=world_size, rank=rank,
                                   shuffle=False))


rank_indices = Exercise(
    "rank_indices", _solution,
    expected=_sampler_indices,
    cases=[_case(n, world_size, rank)
           for n, world_size in [(12, 2), (11, 2), (101, 2), (10, 4), (7, 3), (405, 4)]
           for rank in range(world_size)],
    mistakes=[
        Mistake("the sampler pads: when world_size does not divide the samples, it repeats "
                "samples so that every rank gets ceil(n / world_size) of them.", _no_padding),
        Mistake("a rank does not read a block of consecutive samples: rank r reads every "
                "world_size-th sample, starting at sample r.", _blocks),
        Mistake("the padding repeats the first samples of the order (0, 1, ...), not the "
                "last one.", _padded_with_the_last),
        Mistake("without drop_last the sampler keeps every sample and pads, rather than "
                "dropping the ones that do not divide evenly.", _dropped),
    ],
    hints=[
        "Work out DistributedSampler(range(11), num_replicas=2, rank=1, shuffle=False) by "
        "hand first: 11 samples do not split evenly between 2 ranks.",
        "Make the order 0, 1, ..., n - 1 long enough for world_size * ceil(n / world_size) "
        "samples by repeating its first few, then take every world_size-th, starting at rank.",
    ],
)
