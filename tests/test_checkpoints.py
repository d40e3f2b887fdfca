import collections
import copy
import datetime
import os
import pathlib
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import helpers.checkpoints
from helpers import CheckpointError, load_checkpoint, save_checkpoint


def make(width=4):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.ReLU(),
                                torch.nn.Linear(width, 1))
    return model, torch.optim.Adam(model.parameters(), lr=0.01)


def train(model, optimizer, steps, start=0):
    for step in range(start, start + steps):
        g = torch.Generator().manual_seed(step)
        x, y = torch.randn(8, 3, generator=g), torch.randn(8, 1, generator=g)
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()


def test_resumed_run_ends_with_exactly_the_weights_of_an_uninterrupted_one(tmp_path):
    model, optimizer = make()
    train(model, optimizer, 20)

    first, first_opt = make()
    train(first, first_opt, 12)
    save_checkpoint(tmp_path / "ckpt.pt", first, first_opt, step=12, seed=3)
    resumed, resumed_opt = make()
    state = load_checkpoint(tmp_path / "ckpt.pt", resumed, resumed_opt)
    assert state["step"] == 12 and state["seed"] == 3
    train(resumed, resumed_opt, 8, start=12)

    for a, b in zip(model.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)


def test_truncated_checkpoint_is_reported_as_truncated(tmp_path):
    model, optimizer = make()
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=1)
    data = (tmp_path / "ckpt.pt").read_bytes()
    (tmp_path / "ckpt.pt").write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or damaged"):
        load_checkpoint(tmp_path / "ckpt.pt", *make())


def test_checkpoint_of_another_model_is_reported_as_such(tmp_path):
    save_checkpoint(tmp_path / "ckpt.pt", *make(width=4), step=1)
    with pytest.raises(CheckpointError, match="different model.*size mismatch"):
        load_checkpoint(tmp_path / "ckpt.pt", *make(width=5))


def test_file_that_is_not_a_checkpoint_is_rejected(tmp_path):
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        load_checkpoint(tmp_path / "other.pt", *make())


def test_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.pt"):
        load_checkpoint(tmp_path / "nothing.pt", *make())


def test_pickled_code_is_refused_and_told_apart_from_damage(tmp_path):
    model, optimizer = make()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "step": 1, "payload": make}, tmp_path / "ckpt.pt")  # a function: not weights
    with pytest.raises(CheckpointError, match="safe loading .* refuses") as info:
        load_checkpoint(tmp_path / "ckpt.pt", model, optimizer)
    assert "truncated" not in str(info.value) and "add_safe_globals" in str(info.value)


def test_saving_replaces_the_file_whole_and_leaves_no_partial_file(tmp_path):
    model, optimizer = make()
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=1)
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=2)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]
    assert load_checkpoint(tmp_path / "ckpt.pt", model)["step"] == 2


# values a training script passes by accident: a NumPy number or array, NumPy's RNG state,
# a date, a path, a range, a defaultdict of counts, a function
@pytest.mark.parametrize("extra", [np.int64(3), np.float64(0.5), np.zeros(2),
                                   np.random.get_state(), datetime.datetime(2026, 1, 1),
                                   pathlib.Path("runs/a"), range(3),
                                   collections.defaultdict(int), {"when": frozenset({1, 2})},
                                   {"schedule": lambda step: 0.9**step}])
def test_extras_that_safe_loading_would_refuse_are_refused_on_save(tmp_path, extra):
    with pytest.raises(TypeError, match="extra rng.* safe loading would refuse"):
        save_checkpoint(tmp_path / "ckpt.pt", *make(), step=1, rng=extra)
    assert list(tmp_path.iterdir()) == []


def test_an_optimizer_setting_that_safe_loading_would_refuse_is_named_on_save(tmp_path):
    model = make()[0]
    optimizer = torch.optim.SGD(model.parameters(), lr=np.float64(0.01))
    with pytest.raises(TypeError, match=r"optimizer\['param_groups'\]\[0\]\['lr'\] is a "
                                        r"numpy.float64 \(.*0.01"):
        save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=1)
    assert list(tmp_path.iterdir()) == []


def test_a_numpy_step_is_saved_as_a_plain_int_that_safe_loading_reads(tmp_path):
    save_checkpoint(tmp_path / "ckpt.pt", *make(), step=np.int64(7))
    state = load_checkpoint(tmp_path / "ckpt.pt", *make())
    assert state["step"] == 7 and type(state["step"]) is int


@pytest.mark.parametrize("step, error", [(1.5, TypeError), ("7", TypeError), (-1, ValueError)])
def test_a_step_that_is_not_a_count_is_refused_naming_it(tmp_path, step, error):
    with pytest.raises(error, match=r"step must be an int >= 0 \(optimizer steps taken\), got"):
        save_checkpoint(tmp_path / "ckpt.pt", *make(), step=step)
    assert list(tmp_path.iterdir()) == []


class Stamped(torch.nn.Linear):
    """A module whose state_dict carries extra state: here, by accident, a path."""

    def get_extra_state(self):
        return pathlib.Path("data/train.csv")

    def set_extra_state(self, state):
        pass


def test_model_state_that_safe_loading_would_refuse_is_named_on_save(tmp_path):
    model = Stamped(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"model\['_extra_state'\] is a pathlib.*PosixPath"):
        save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=1)


def test_extras_that_safe_loading_accepts_are_saved_and_load_back(tmp_path):
    looped = [1, 2]
    looped.append(looped)
    extra = {"order": collections.OrderedDict(a=1, b=2), "dtype": torch.float16,
             "shape": torch.Size([3, 4]), "by_pair": {(0, 1): 2.5}, "looped": looped,
             "tags": {"a", "b"}}
    model, optimizer = make()
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=1, **extra)
    state = load_checkpoint(tmp_path / "ckpt.pt", model, optimizer)
    assert state["order"] == extra["order"] and state["dtype"] is torch.float16
    assert state["shape"] == torch.Size([3, 4]) and state["by_pair"] == {(0, 1): 2.5}
    assert state["looped"][2] is state["looped"] and state["tags"] == {"a", "b"}


def test_extras_nested_too_deeply_to_save_are_refused_with_a_clear_error(tmp_path):
    deep = current = []
    for _ in range(5000):
        current.append([])
        current = current[0]
    with pytest.raises(TypeError, match="extra history.*nested too deeply"):
        save_checkpoint(tmp_path / "ckpt.pt", *make(), step=1, history=deep)
    assert list(tmp_path.iterdir()) == []


def test_plain_extras_load_back_as_they_were(tmp_path):
    model, optimizer = make()
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    extra = {"schedule": schedule.state_dict(), "rng": torch.get_rng_state(),
             "seeds": [1, 2.5, None, ("a", True)]}
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=1, **extra)
    state = load_checkpoint(tmp_path / "ckpt.pt", model, optimizer)
    assert state["schedule"] == schedule.state_dict() and torch.equal(state["rng"], extra["rng"])


def parameters(model):
    return [p.detach().clone() for p in model.parameters()]


def test_a_checkpoint_of_another_optimizer_is_refused_and_changes_nothing(tmp_path):
    save_checkpoint(tmp_path / "ckpt.pt", *make(), step=1)          # Adam
    model = make()[0]
    torch.nn.init.ones_(model[0].weight)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = parameters(model)
    with pytest.raises(CheckpointError, match="a Adam optimizer; expected SGD"):
        load_checkpoint(tmp_path / "ckpt.pt", model, sgd)
    assert all(torch.equal(a, b) for a, b in zip(before, parameters(model), strict=True))
    assert sgd.param_groups[0]["lr"] == 0.1


def test_a_load_that_fails_on_a_shape_leaves_the_model_as_it_was(tmp_path):
    save_checkpoint(tmp_path / "ckpt.pt", *make(), step=1)
    torch.manual_seed(1)
    other = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    before = parameters(other)                   # its first layer would fit, its last not
    with pytest.raises(CheckpointError, match="different model"):
        load_checkpoint(tmp_path / "ckpt.pt", other)
    assert all(torch.equal(a, b) for a, b in zip(before, parameters(other), strict=True))


def test_a_folder_that_cannot_be_written_is_reported_with_what_to_check(tmp_path, monkeypatch):
    def refused(path, mode="r", *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(helpers.checkpoints, "open", refused, raising=False)
    with pytest.raises(CheckpointError, match="cannot save .*Permission denied.*writable"):
        save_checkpoint(tmp_path / "ckpt.pt", *make(), step=1)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_reported(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        save_checkpoint(tmp_path / "no" / "ckpt.pt", *make(), step=1)


def test_the_partial_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    # a save killed between writing and renaming (no clean-up runs in os._exit)
    killed = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(tmp_path / "a.pt")])
    assert killed.returncode == 9
    assert len(list(tmp_path.iterdir())) == 1                     # its partial file
    alive = tmp_path / helpers.checkpoints._partial_name(os.getppid())  # a save in progress
    alive.write_bytes(b"still being written")
    save_checkpoint(tmp_path / "b.pt", *make(), step=200)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, "b.pt"])


KILLED_SAVE = """
import os, sys, torch, helpers
os.replace = lambda *args: os._exit(9)
model = torch.nn.Linear(2, 1)
helpers.save_checkpoint(sys.argv[1], model, torch.optim.SGD(model.parameters(), lr=0.1), 1)
"""


@pytest.mark.parametrize("name", ["results.20240101.partial", "ck.pt.999999.partial",
                                  "ck.pt.1.partial", ".ck.pt.partial", "tmp1234"])
def test_saving_leaves_files_that_it_did_not_write_alone(tmp_path, name):
    (tmp_path / name).write_text("another tool's file")
    save_checkpoint(tmp_path / "ck.pt", *make(), step=1)
    assert (tmp_path / name).read_text() == "another tool's file"


def test_threads_saving_to_one_path_each_leave_a_whole_checkpoint_of_one_save(tmp_path):
    def run(k, errors):
        torch.manual_seed(k)
        model = torch.nn.Sequential(torch.nn.Linear(300, 300), torch.nn.Linear(300, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(k)
        reader = torch.nn.Sequential(torch.nn.Linear(300, 300), torch.nn.Linear(300, 3))
        for step in range(6):
            try:
                save_checkpoint(tmp_path / "ck.pt", model, optimizer, step=step, k=k)
                state = load_checkpoint(tmp_path / "ck.pt", reader)
                values = {v for p in reader.parameters() for v in p.unique().tolist()}
                if values != {state["k"]}:
                    errors.append(f"a checkpoint of save k={state['k']} holds {values}")
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")

    errors = []
    threads = [threading.Thread(target=run, args=(k, errors)) for k in (1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]


def test_a_file_name_as_long_as_the_system_allows_is_saved(tmp_path):
    path = tmp_path / ("c" * 250 + ".pt")                          # 253 characters
    save_checkpoint(path, *make(), step=1)
    assert load_checkpoint(path, *make())["step"] == 1


def test_a_file_name_too_long_for_the_system_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="cannot save .*File name too long"):
        save_checkpoint(tmp_path / ("c" * 300 + ".pt"), *make(), step=1)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_loading_what_is_not_a_file_says_what_it_is(tmp_path, kind):
    path = tmp_path / "ck.pt"
    if kind == "fifo":
        os.mkfifo(path)                         # reading it would wait for a writer forever
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    expected = {"fifo": "a FIFO", "device": "a device", "folder": "a folder"}[kind]
    with pytest.raises(CheckpointError, match=f"{path} is {expected}, not a checkpoint file"):
        load_checkpoint(path, *make())


@pytest.mark.parametrize("broken", [{"optimizer": None}, {"optimizer": {"state": {}}},
                                    {"optimizer": [1, 2]}, {"model": None}])
def test_any_failed_load_leaves_model_and_optimizer_as_they_were(tmp_path, broken):
    model, optimizer = make()
    train(model, optimizer, 3)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": 3}
    torch.save({**state, **broken}, tmp_path / "ck.pt")
    target, target_opt = make(width=4)
    torch.nn.init.ones_(target[0].weight)
    before, opt_before = parameters(target), copy.deepcopy(target_opt.state_dict())
    with pytest.raises(CheckpointError, match="ck.pt"):
        load_checkpoint(tmp_path / "ck.pt", target, target_opt)
    assert all(torch.equal(a, b) for a, b in zip(before, parameters(target), strict=True))
    assert target_opt.state_dict() == opt_before


def test_a_model_without_parameters_saves_and_loads(tmp_path):
    model = torch.nn.BatchNorm1d(3, affine=False)               # buffers only
    model(torch.randn(4, 3))
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    save_checkpoint(tmp_path / "ck.pt", model, optimizer, step=1)
    fresh = torch.nn.BatchNorm1d(3, affine=False)
    load_checkpoint(tmp_path / "ck.pt", fresh)
    assert torch.equal(fresh.running_mean, model.running_mean)


def test_the_file_is_flushed_to_disk_before_it_is_renamed(tmp_path, monkeypatch):
    calls = []
    fsync, replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), replace(a, b))[1])
    save_checkpoint(tmp_path / "ckpt.pt", *make(), step=1)
    assert calls[:2] == ["fsync", "replace"]
