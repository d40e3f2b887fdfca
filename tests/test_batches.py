import numpy as np
import pytest
import torch

from helpers import endless_minibatches, minibatches, steps_per_epoch
from helpers.batches import BatchBuffers


def rows_of(batches):
    return torch.cat([x for x, _ in batches]).tolist()


def test_one_epoch_visits_every_row_once_in_shuffled_batches():
    x, y = torch.arange(10), torch.arange(10) * 10
    batches = list(minibatches(x, y, batch_size=4))
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]  # last partial batch kept
    assert sorted(rows_of(batches)) == list(range(10))
    for xb, yb in batches:
        assert torch.equal(yb, xb * 10)  # rows stay paired across tensors


def test_each_call_is_a_new_order():
    x = torch.arange(100)
    orders = [rows_of(minibatches(x, x, batch_size=10)) for _ in range(3)]
    assert orders[0] != orders[1] != orders[2]


def test_seeded_generator_gives_the_same_order():
    x = torch.arange(50)
    first = rows_of(minibatches(x, x, batch_size=8, generator=torch.Generator().manual_seed(3)))
    again = rows_of(minibatches(x, x, batch_size=8, generator=torch.Generator().manual_seed(3)))
    assert first == again


def test_without_shuffle_batches_are_consecutive_slices():
    x = torch.arange(7)
    assert [b[0].tolist() for b in minibatches(x, batch_size=3, shuffle=False)] == \
        [[0, 1, 2], [3, 4, 5], [6]]


def test_drop_last_drops_only_the_partial_batch():
    x = torch.arange(10)
    assert [len(b[0]) for b in minibatches(x, batch_size=4, drop_last=True)] == [4, 4]
    assert [len(b[0]) for b in minibatches(x, batch_size=5, drop_last=True)] == [5, 5]


def test_batch_larger_than_the_data_is_one_batch_and_with_drop_last_an_error():
    x = torch.arange(5)
    assert [len(b[0]) for b in minibatches(x, batch_size=8)] == [5]
    for batches in (minibatches, endless_minibatches):      # one behaviour for both
        with pytest.raises(ValueError, match=r"batch_size=8 with drop_last=True leaves no batch"):
            batches(x, batch_size=8, drop_last=True)


def test_multidimensional_rows_are_sliced_along_the_first_dimension():
    x = torch.randn(9, 3, 4)
    (xb,), *_ = list(minibatches(x, batch_size=4))
    assert xb.shape == (4, 3, 4)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                        ("8", TypeError), (True, TypeError), (None, TypeError)])
def test_invalid_batch_size_is_rejected_naming_the_argument_and_value(bad, error):
    with pytest.raises(error, match="batch_size") as info:
        minibatches(torch.arange(4), batch_size=bad)
    assert repr(bad) in str(info.value)


def test_errors_are_raised_at_the_call_not_at_the_first_batch():
    with pytest.raises(ValueError):
        minibatches(torch.arange(4), batch_size=0)  # never iterated


def test_empty_data_set_is_rejected():
    with pytest.raises(ValueError, match="0 rows"):
        minibatches(torch.zeros(0, 3), batch_size=2)


def test_tensors_with_different_numbers_of_rows_are_rejected():
    with pytest.raises(ValueError, match=r"tensors\[1\] has 4 rows, tensors\[0\] has 5"):
        minibatches(torch.zeros(5), torch.zeros(4), batch_size=2)


def test_non_tensors_and_missing_tensors_are_rejected():
    with pytest.raises(TypeError, match=r"tensors\[0\] must be a torch.Tensor, got list"):
        minibatches([1, 2, 3], batch_size=2)
    with pytest.raises(TypeError, match="at least one tensor"):
        minibatches(batch_size=2)


def take(stream, count):
    return [next(stream) for _ in range(count)]


def test_endless_stream_visits_every_row_exactly_once_per_pass():
    x = torch.arange(10)
    batches = take(endless_minibatches(x, batch_size=4, seed=0), 3 * 5)  # 5 passes of 3
    for p in range(5):
        rows = torch.cat([b[0] for b in batches[3 * p:3 * p + 3]]).tolist()
        assert sorted(rows) == list(range(10))
        assert [len(b[0]) for b in batches[3 * p:3 * p + 3]] == [4, 4, 2]


def test_endless_stream_reshuffles_at_every_pass():
    x = torch.arange(50)
    batches = take(endless_minibatches(x, batch_size=10, seed=0), 5 * 4)
    orders = [torch.cat([b[0] for b in batches[5 * p:5 * p + 5]]).tolist() for p in range(4)]
    assert len({tuple(o) for o in orders}) == 4


def test_seeded_endless_stream_is_reproducible_and_seeds_differ():
    x = torch.arange(30)
    first = take(endless_minibatches(x, batch_size=7, seed=5), 12)
    again = take(endless_minibatches(x, batch_size=7, seed=5), 12)
    other = take(endless_minibatches(x, batch_size=7, seed=6), 12)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, again))
    assert not all(torch.equal(a[0], b[0]) for a, b in zip(first, other))


@pytest.mark.parametrize("start", [0, 1, 4, 5, 13])
def test_endless_stream_resumes_exactly_where_it_left_off(start):
    x = torch.arange(23)
    whole = take(endless_minibatches(x, batch_size=5, seed=2), start + 8)
    resumed = take(endless_minibatches(x, batch_size=5, seed=2, start=start), 8)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(whole[start:], resumed))


def test_endless_stream_matches_the_epochs_of_minibatches_with_the_same_generator():
    x = torch.arange(17)
    stream = take(endless_minibatches(x, batch_size=4, seed=9), 3 * 5)
    generator = torch.Generator().manual_seed(9)
    epochs = [b for _ in range(3) for b in minibatches(x, batch_size=4, generator=generator)]
    assert all(torch.equal(a[0], b[0]) for a, b in zip(stream, epochs))


def test_endless_stream_with_drop_last_yields_only_full_batches():
    x = torch.arange(10)
    assert {len(b[0]) for b in take(endless_minibatches(x, batch_size=4, drop_last=True), 9)} == {4}
    with pytest.raises(ValueError, match="no batch"):
        endless_minibatches(x, batch_size=11, drop_last=True)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"batch_size": 0}, ValueError, "batch_size"), ({"batch_size": "8"}, TypeError, "batch_size"),
    ({"batch_size": 2, "seed": -1}, ValueError, "seed"),
    ({"batch_size": 2, "start": 1.5}, TypeError, "start")])
def test_endless_stream_rejects_invalid_arguments_at_the_call(kwargs, error, name):
    with pytest.raises(error, match=name):
        endless_minibatches(torch.arange(4), **kwargs)


@pytest.mark.parametrize("n, b, drop, expected", [(506, 50, False, 11), (506, 50, True, 10),
                                                  (500, 50, False, 10), (3, 8, False, 1),
                                                  (3, 8, True, 0)])
def test_steps_per_epoch_is_ceil_or_floor(n, b, drop, expected):
    assert steps_per_epoch(n, b, drop_last=drop) == expected


def test_steps_per_epoch_rejects_a_non_positive_sample_count():
    with pytest.raises(ValueError, match="n must be"):
        steps_per_epoch(0, 4)


def fresh_batches(x, order, batch_size):
    return [x.index_select(0, order[i:i + batch_size]) for i in range(0, len(x), batch_size)]


@pytest.mark.filterwarnings("error")          # torch warns when it must resize a buffer
def test_buffered_batches_equal_freshly_gathered_ones_pass_after_pass():
    x, buffers = torch.randn(10, 3), BatchBuffers()
    for seed in range(3):                        # the 2-row last batch must not shrink the next
        order = torch.randperm(10, generator=torch.Generator().manual_seed(seed))
        batches = [xb.clone() for xb in buffers.batches(x, order, 4)]
        assert [xb.shape for xb in batches] == [(4, 3), (4, 3), (2, 3)]
        assert all(torch.equal(a, b) for a, b in zip(batches, fresh_batches(x, order, 4),
                                                     strict=True))


def test_passes_running_at_the_same_time_never_overwrite_each_others_batches():
    x, buffers = torch.randn(12, 3), BatchBuffers()
    list(buffers.batches(x, torch.arange(12), 4))   # a finished pass leaves its buffers behind
    orders = [torch.randperm(12, generator=torch.Generator().manual_seed(s)) for s in (1, 2)]
    passes = [buffers.batches(x, order, 4) for order in orders]
    expected = [fresh_batches(x, order, 4) for order in orders]
    for step, (first, second) in enumerate(zip(*passes, strict=True)):
        assert torch.equal(first, expected[0][step]) and torch.equal(second, expected[1][step])


@pytest.mark.parametrize("order", [torch.arange(4), torch.arange(5.0), [0, 1, 2, 3, 4]])
def test_an_order_that_is_not_one_index_per_row_is_rejected(order):
    with pytest.raises(ValueError, match=r"order must be an integer tensor of shape \(5,\)"):
        BatchBuffers().batches(torch.zeros(5, 2), order, 2)


@pytest.mark.parametrize("order", [[0, 1, 2, 3, 3], [0, 1, 2, 3, 5], [-1, 0, 1, 2, 3]])
def test_an_order_with_a_repeated_or_missing_row_is_rejected(order):
    with pytest.raises(ValueError, match=r"order must hold each row index 0 ... 4 exactly once"):
        BatchBuffers().batches(torch.zeros(5, 2), torch.tensor(order), 2)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"shuffle": "no"}, TypeError, "shuffle must be True or False, got 'no'"),
    ({"drop_last": "False"}, TypeError, "drop_last must be True or False, got 'False'"),
    ({"shuffle": 0}, TypeError, "shuffle must be True or False"),
    ({"generator": 42}, TypeError, "generator must be a torch.Generator or None, got 42")])
def test_flags_and_generators_of_the_wrong_type_are_refused_not_read_as_true(kwargs, error,
                                                                            name):
    x = torch.arange(10.0)
    with pytest.raises(error, match=name):
        minibatches(x, batch_size=3, **kwargs)


def test_numpy_integers_and_booleans_work_as_python_ones():
    x = torch.arange(10.0)
    plain = list(minibatches(x, batch_size=3, shuffle=False, drop_last=True))
    numpy = list(minibatches(x, batch_size=np.int64(3), shuffle=np.bool_(False),
                             drop_last=np.bool_(True)))
    assert len(plain) == len(numpy) == 3
    assert all(torch.equal(a[0], b[0]) for a, b in zip(plain, numpy))
    stream = endless_minibatches(x, batch_size=np.int64(4), seed=np.int64(7), start=np.int32(2))
    reference = endless_minibatches(x, batch_size=4, seed=7, start=2)
    assert all(torch.equal(next(stream)[0], next(reference)[0]) for _ in range(5))
    assert type(steps_per_epoch(np.int64(10), np.int64(3))) is int


def test_every_seed_a_generator_takes_is_accepted_and_a_larger_one_refused():
    x = torch.arange(10.0)
    next(endless_minibatches(x, batch_size=4, seed=2**64 - 1))
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*64\), got "
                                         r"18446744073709551616"):
        endless_minibatches(x, batch_size=4, seed=2**64)
