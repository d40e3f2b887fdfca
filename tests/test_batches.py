import pytest
import torch

from helpers import check_batch_size, minibatches


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


def test_batch_larger_than_the_data_is_one_batch_or_none():
    x = torch.arange(5)
    assert [len(b[0]) for b in minibatches(x, batch_size=8)] == [5]
    assert list(minibatches(x, batch_size=8, drop_last=True)) == []


def test_multidimensional_rows_are_sliced_along_the_first_dimension():
    x = torch.randn(9, 3, 4)
    (xb,), *_ = list(minibatches(x, batch_size=4))
    assert xb.shape == (4, 3, 4)


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError),
                                        ("8", TypeError), (True, TypeError), (None, TypeError)])
def test_invalid_batch_size_is_rejected_naming_the_argument_and_value(bad, error):
    with pytest.raises(error, match="batch_size") as info:
        minibatches(torch.arange(4), batch_size=bad)
    assert repr(bad) in str(info.value) or str(bad) in str(info.value)
    with pytest.raises(error, match="batch_size"):
        check_batch_size(bad)


def test_errors_are_raised_at_the_call_not_at_the_first_batch():
    with pytest.raises(ValueError):
        minibatches(torch.arange(4), batch_size=0)  # never iterated


def test_empty_data_set_is_rejected():
    with pytest.raises(ValueError, match="empty"):
        minibatches(torch.zeros(0, 3), batch_size=2)


def test_tensors_with_different_numbers_of_rows_are_rejected():
    with pytest.raises(ValueError, match=r"tensors\[1\] has 4 rows, tensors\[0\] has 5"):
        minibatches(torch.zeros(5), torch.zeros(4), batch_size=2)


def test_non_tensors_and_missing_tensors_are_rejected():
    with pytest.raises(TypeError, match=r"tensors\[0\] must be a torch.Tensor, got list"):
        minibatches([1, 2, 3], batch_size=2)
    with pytest.raises(TypeError, match="at least one tensor"):
        minibatches(batch_size=2)
