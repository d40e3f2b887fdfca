import random

import numpy as np
import pytest
import torch

from helpers import fastest, pick_device, seed_everything
from helpers.device import SMALL_STEP, cpu_threads, device_label, threads_for


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
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: "Test GPU")
    monkeypatch.setattr(torch, "get_num_threads", lambda: 8)
    assert device_label("cuda") == "cuda (Test GPU), 8 CPU threads"


def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.mark.parametrize("request_, error, message", [
    ("cuda", RuntimeError, "0 CUDA device"), ("cuda:7", RuntimeError, "0 CUDA device"),
    ("mps", RuntimeError, "MPS is not available"), ("tpu", ValueError, "not a device name"),
    ("meta", ValueError, "not 'meta'"), (0, TypeError, "request must be a device name"),
    (False, TypeError, "request must be a device name")])
def test_a_device_that_is_not_here_or_not_a_device_is_refused(monkeypatch, capsys, request_,
                                                              error, message):
    no_gpu(monkeypatch)
    with pytest.raises(error, match=message):
        pick_device(request_)
    assert capsys.readouterr().out == ""


def test_a_device_asked_for_by_name_is_picked_when_it_is_here(monkeypatch, capsys):
    no_gpu(monkeypatch)
    assert pick_device("cpu") == torch.device("cpu")
    assert capsys.readouterr().out == "Using device: cpu\n"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert pick_device("cuda:1", verbose=False) == torch.device("cuda:1")


def test_device_label_refuses_a_device_that_is_not_here(monkeypatch):
    no_gpu(monkeypatch)
    with pytest.raises(RuntimeError, match="MPS is not available"):
        device_label("mps")


def test_fastest_keeps_each_functions_fastest_call_after_an_untimed_warm_up(monkeypatch):
    import helpers.device
    # calls in the order a, b, a, b, a, b: warm-up (100 s each), then 3 and 5, then 2 and 7
    starts_and_ends = [0, 100, 200, 300, 400, 403, 410, 415, 420, 422, 430, 437]
    clock = iter(starts_and_ends)
    monkeypatch.setattr(helpers.device.time, "perf_counter", lambda: next(clock))
    calls = []
    best = fastest({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, "cpu",
                   rounds=2)
    assert best == {"a": 2, "b": 5}
    assert calls == ["a", "b"] * 3


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1, ValueError), (2.5, TypeError),
                                        (True, TypeError)])
def test_fastest_rejects_a_round_count_that_is_not_a_positive_int(bad, error):
    with pytest.raises(error, match=f"rounds must be a positive int, got {bad!r}"):
        fastest({"a": lambda: None}, "cpu", rounds=bad)


def test_threads_for_gives_one_thread_below_small_step_and_torchs_setting_above():
    model = torch.nn.Linear(1000, 1, bias=False)         # 1000 weights
    just_below = (SMALL_STEP - 1) // 1000
    with cpu_threads(2):
        assert threads_for(model, just_below) == 1
        assert threads_for(model, just_below + 1) == 2
    with cpu_threads(1):
        assert threads_for(model, just_below + 1) == 1


def test_cpu_threads_sets_the_thread_count_inside_the_block_and_restores_it_after():
    before = torch.get_num_threads()
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(KeyError):
        with cpu_threads(1):
            raise KeyError("an error inside the block")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                        (True, TypeError), ("2", TypeError)])
def test_cpu_threads_rejects_a_count_that_is_not_a_positive_int(bad, error):
    with pytest.raises(error, match=f"n must be a positive int, got {bad!r}"):
        with cpu_threads(bad):
            pass


def test_numpy_seeds_seed_exactly_as_python_ints():
    draws = []
    for seed in (3, np.int64(3), np.uint32(3)):
        seed_everything(seed)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1] == draws[2]


def test_cpu_threads_takes_a_numpy_int():
    before = torch.get_num_threads()
    with cpu_threads(np.int64(1)):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
