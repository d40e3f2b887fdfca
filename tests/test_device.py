import random

import numpy as np
import pytest
import torch

from helpers import pick_device, seed_everything, synchronize, timed
from helpers.device import cpu_threads, device_label


def test_device_falls_back_to_the_cpu_and_says_so(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")
    assert capsys.readouterr().out == "Using device: cpu\n"


def test_cuda_is_preferred_to_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "Test GPU")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device(verbose=False) == torch.device("cuda")


def test_mps_is_preferred_to_the_cpu(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device() == torch.device("mps")
    assert "mps" in capsys.readouterr().out


def test_seeding_repeats_python_numpy_and_torch_draws():
    def draws():
        return random.random(), np.random.rand(), torch.rand(3).tolist()
    seed_everything(7)
    first = draws()
    seed_everything(7)
    assert draws() == first
    seed_everything(8)
    assert draws() != first


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (2**32, ValueError),
                                        (1.5, TypeError), ("0", TypeError), (True, TypeError)])
def test_invalid_seed_is_rejected_with_its_value(bad, error):
    with pytest.raises(error, match="seed"):
        seed_everything(bad)


def test_device_label_names_the_device_and_the_thread_count(monkeypatch):
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    assert device_label("cpu") == "cpu, 2 threads"
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    assert device_label(torch.device("cpu")) == "cpu, 1 thread"
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "Test GPU")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 8)
    assert device_label("cuda") == "cuda (Test GPU), 8 CPU threads"


def test_timed_returns_the_median_of_the_timed_calls_after_one_untimed_warm_up(monkeypatch):
    import helpers.device
    clock = iter([0.0, 1.0, 10.0, 13.0, 20.0, 22.0])      # calls of 1, 3 and 2 seconds
    monkeypatch.setattr(helpers.device.time, "perf_counter", lambda: next(clock))
    calls = []
    assert timed(lambda: calls.append(1), "cpu", repeats=3) == 2.0
    assert len(calls) == 4


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_timed_rejects_a_repeat_count_that_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match=f"repeats must be a positive int, got {bad!r}"):
        timed(lambda: None, "cpu", repeats=bad)


def test_synchronize_on_a_cpu_returns_at_once():
    assert synchronize("cpu") is None


def test_cpu_threads_sets_the_thread_count_inside_the_block_and_restores_it_after():
    before = torch.get_num_threads()
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(KeyError):
        with cpu_threads(1):
            raise KeyError("an error inside the block")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_cpu_threads_rejects_a_count_that_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match=rf"n must be a positive int .*got {bad!r}"):
        with cpu_threads(bad):
            pass
