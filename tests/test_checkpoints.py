import pytest
import torch

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


def test_pickled_code_is_refused(tmp_path):
    model, optimizer = make()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "step": 1, "payload": make}, tmp_path / "ckpt.pt")  # a function: not weights
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "ckpt.pt", model, optimizer)


def test_saving_replaces_the_file_whole_and_leaves_no_partial_file(tmp_path):
    model, optimizer = make()
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=1)
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=2)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]
    assert load_checkpoint(tmp_path / "ckpt.pt", model)["step"] == 2
