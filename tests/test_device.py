import random

import numpy as np
import pytest
import torch

from helpers import pick_device, seed_everything


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
