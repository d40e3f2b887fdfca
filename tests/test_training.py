import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers import minibatches
from helpers.batches import BatchBuffers
from helpers.device import cpu_threads
from helpers.training import evaluate, fit, train_epoch


def blobs(n, seed):
    """Three noisy clusters in 2-d: inputs (n, 2), labels (n,)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 3, (n,), generator=g)
    centres = torch.tensor([[0.0, 2.0], [2.0, -1.0], [-2.0, -1.0]])
    return centres[labels] + 1.5 * torch.randn(n, 2, generator=g), labels


def make():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def test_evaluate_gives_the_mean_loss_and_accuracy_over_all_rows_whatever_the_chunks():
    x, y = blobs(103, 0)
    model = make()
    with torch.no_grad():
        logits = model(x)
    expected = (F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item())
    for chunk in (1, 10, 103, 4096):
        loss, acc = evaluate(model, x, y, F.cross_entropy, batch_size=chunk)
        assert loss == pytest.approx(expected[0], rel=1e-5)
        assert acc == pytest.approx(expected[1])


def test_train_epoch_reports_the_sample_weighted_mean_of_its_batch_losses():
    x, y = blobs(50, 1)   # batches of 16, 16, 16 and 2
    model, reference = make(), make()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    reference_opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    loss, acc = train_epoch(model, optimizer, F.cross_entropy, x, y, 16,
                            torch.Generator().manual_seed(3))
    total, correct = 0.0, 0
    for xb, yb in minibatches(x, y, batch_size=16, generator=torch.Generator().manual_seed(3)):
        reference_opt.zero_grad()
        logits = reference(xb)
        batch_loss = F.cross_entropy(logits, yb)
        batch_loss.backward()
        reference_opt.step()
        total += batch_loss.item() * len(xb)
        correct += (logits.argmax(1) == yb).sum().item()
    assert loss == pytest.approx(total / 50, rel=1e-5)
    assert acc == correct / 50
    for a, b in zip(model.parameters(), reference.parameters()):
        assert torch.equal(a, b)


def test_fit_records_every_epoch_and_restores_the_weights_of_the_best_one():
    train, val = blobs(60, 2), blobs(200, 3)
    model = make()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    history = fit(model, optimizer, F.cross_entropy, train, val, batch_size=4, n_epochs=40,
                  generator=torch.Generator().manual_seed(0))
    assert all(len(history[k]) == 40 for k in ("train_loss", "train_acc", "val_loss",
                                              "val_acc", "seconds"))
    best = history["best_epoch"]
    assert history["val_loss"][best - 1] == min(history["val_loss"])
    assert best < 40, "this set-up over-fits, so the best epoch is not the last"
    assert evaluate(model, *val, F.cross_entropy)[0] == pytest.approx(min(history["val_loss"]))


def test_fit_without_restore_keeps_the_last_weights():
    train, val = blobs(60, 2), blobs(200, 3)
    model = make()
    history = fit(model, torch.optim.Adam(model.parameters(), lr=0.05), F.cross_entropy,
                  train, val, batch_size=4, n_epochs=40,
                  generator=torch.Generator().manual_seed(0), restore_best=False)
    assert evaluate(model, *val, F.cross_entropy)[0] == pytest.approx(history["val_loss"][-1])


@pytest.mark.parametrize("kwargs, error, name", [
    ({"batch_size": 0, "n_epochs": 1}, ValueError, "batch_size"),
    ({"batch_size": 4, "n_epochs": 0}, ValueError, "n_epochs"),
    ({"batch_size": 4, "n_epochs": 2.0}, TypeError, "n_epochs"),
    ({"batch_size": 4.0, "n_epochs": 2}, TypeError, "batch_size")])
def test_fit_rejects_invalid_arguments_naming_them(kwargs, error, name):
    model = make()
    with pytest.raises(error, match=name):
        fit(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy,
            blobs(10, 0), blobs(10, 1), **kwargs)


def test_gathering_into_reused_buffers_trains_exactly_as_fresh_batches_do():
    x, y = blobs(50, 1)
    results, models = [], []
    for buffers in (None, BatchBuffers()):
        model = make()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        results.append([train_epoch(model, optimizer, F.cross_entropy, x, y, 16,
                                    torch.Generator().manual_seed(epoch), buffers)
                        for epoch in range(3)])
        models.append(model)
    assert results[0] == results[1]
    assert all(torch.equal(a, b) for a, b in zip(models[0].parameters(), models[1].parameters()))


class ThreadSpy(torch.nn.Module):
    """A linear model that records the thread count of every forward pass."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 500, bias=False)
        self.seen = []

    def forward(self, x):
        self.seen.append(torch.get_num_threads())
        return self.linear(x)


@pytest.mark.parametrize("threads", [1, 2])
def test_training_runs_on_the_threads_torch_is_set_to_without_switching(threads):
    x, y = blobs(64, 4)
    model = ThreadSpy()
    with cpu_threads(threads):
        train_epoch(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, x, y, 4)
        fit(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, (x, y), (x, y),
            batch_size=4, n_epochs=1)
    assert set(model.seen) == {threads}


def test_train_epoch_rejects_labels_that_do_not_match_the_rows():
    x, y = blobs(20, 5)
    model = make()
    with pytest.raises(ValueError, match=r"tensors\[1\] has 19 rows, tensors\[0\] has 20"):
        train_epoch(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy,
                    x, y[:19], 4)


@pytest.mark.parametrize("restore_best", [True, False])
def test_fit_without_a_finite_validation_loss_returns_its_history_and_says_so(restore_best):
    train, (x_val, y_val) = blobs(40, 6), blobs(20, 7)
    x_val = x_val.clone()
    x_val[0, 0] = float("nan")                       # one NaN pixel: every val loss is NaN
    model = make()
    with pytest.warns(RuntimeWarning, match="no epoch of 3 had a finite validation loss"):
        history = fit(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy,
                      train, (x_val, y_val), batch_size=8, n_epochs=3,
                      restore_best=restore_best)
    assert history["best_epoch"] is None and len(history["train_loss"]) == 3
    assert all(loss != loss for loss in history["val_loss"])          # NaN


def test_fit_records_the_best_epoch_also_without_restoring_it():
    train, val = blobs(60, 2), blobs(200, 3)
    model = make()
    history = fit(model, torch.optim.Adam(model.parameters(), lr=0.05), F.cross_entropy,
                  train, val, batch_size=4, n_epochs=5, restore_best=False,
                  generator=torch.Generator().manual_seed(0))
    assert history["val_loss"][history["best_epoch"] - 1] == min(history["val_loss"])


def test_evaluate_refuses_an_empty_set():
    with pytest.raises(ValueError, match="0 rows"):
        evaluate(make(), torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), F.cross_entropy)


@pytest.mark.parametrize("loss_fn", [torch.nn.CrossEntropyLoss(reduction="sum"),
                                     lambda logits, y: F.cross_entropy(logits, y, reduction="sum"),
                                     torch.nn.CrossEntropyLoss(reduction="none")])
def test_evaluate_refuses_a_loss_that_does_not_average_over_the_batch(loss_fn):
    x, y = blobs(30, 8)
    with pytest.raises(ValueError, match="loss_fn must"):
        evaluate(make(), x, y, loss_fn)


def one_logit_model():
    torch.manual_seed(0)
    return torch.nn.Linear(2, 1)


def test_evaluate_refuses_labels_of_shape_n_by_1_instead_of_broadcasting_them():
    x, y = blobs(60, 4)
    binary = (y == 0).float().unsqueeze(1)                       # (N, 1), for BCEWithLogitsLoss
    with pytest.raises(ValueError, match=r"y must hold one class label per row, shape \(60,\); "
                                         r"got shape \(60, 1\)"):
        evaluate(one_logit_model(), x, binary, torch.nn.BCEWithLogitsLoss())


def test_evaluate_refuses_a_single_logit_per_row_it_cannot_score():
    x, y = blobs(60, 4)
    with pytest.raises(ValueError, match=r"logits of shape \(B, C\).*C >= 2.*got \(60, 1\)"):
        evaluate(one_logit_model(), x, (y == 0).long(), F.cross_entropy)


def flat_logits_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Flatten(0))    # logits (B,)


def summed_and_zero_on_class_0(logits, y):
    """A summed loss that is 0 on the rows of class 0: one such row looks like a mean."""
    return F.cross_entropy(logits, y, reduction="none").masked_fill(y == 0, 0).sum()


def first_row_of_class_0(n, seed):
    x, y = blobs(n, seed)
    first = int((y == 0).nonzero()[0])
    order = [first, *(i for i in range(n) if i != first)]
    return x[order], y[order]


def run_training(function, model, loss_fn, data):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    if function == "train_epoch":
        train_epoch(model, optimizer, loss_fn, *data, 16, torch.Generator().manual_seed(0))
    else:
        fit(model, optimizer, loss_fn, data, data, batch_size=16, n_epochs=2)


@pytest.mark.parametrize("function", ["train_epoch", "fit"])
@pytest.mark.parametrize("loss_fn", [torch.nn.CrossEntropyLoss(reduction="sum"),
                                     summed_and_zero_on_class_0])
def test_a_summed_loss_is_refused_before_any_step(function, loss_fn):
    model = make()
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="loss_fn must average over the batch"):
        run_training(function, model, loss_fn, first_row_of_class_0(50, 5))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_evaluate_refuses_a_summed_loss_whatever_its_first_row():
    with pytest.raises(ValueError, match="loss_fn must average over the batch"):
        evaluate(make(), *first_row_of_class_0(50, 5), summed_and_zero_on_class_0)


@pytest.mark.parametrize("function", ["train_epoch", "fit"])
def test_logits_of_the_wrong_shape_are_refused_before_any_step(function):
    model = flat_logits_model()
    before = [p.detach().clone() for p in model.parameters()]
    x, y = blobs(50, 6)
    with pytest.raises(ValueError, match=r"logits of shape \(B, C\).*got \(16,\)"):
        run_training(function, model, lambda logits, labels: logits.mean(), (x, y))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_evaluate_restores_the_training_mode_when_the_loss_fails():
    model = make().train()

    def failing(logits, labels):
        raise RuntimeError("the loss failed")
    with pytest.raises(RuntimeError, match="the loss failed"):
        evaluate(model, *blobs(10, 0), failing)
    assert model.training


@pytest.mark.parametrize("train", [blobs(10, 0)[0], (blobs(10, 0)[0],), blobs(10, 0)[1]])
def test_fit_refuses_a_training_set_that_is_not_an_x_y_pair(train):
    model = make()
    with pytest.raises(TypeError, match=r"train must be a pair \(x, y\) of tensors, got"):
        fit(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy,
            train, blobs(10, 1), batch_size=4, n_epochs=1)


def test_numpy_integers_train_exactly_as_python_integers():
    results = []
    for batch_size, n_epochs in ((16, 2), (np.int64(16), np.int32(2))):
        model = make()
        history = fit(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy,
                      blobs(50, 1), blobs(30, 2), batch_size=batch_size, n_epochs=n_epochs,
                      generator=torch.Generator().manual_seed(0))
        loss, _ = train_epoch(model, torch.optim.SGD(model.parameters(), lr=0.1),
                              F.cross_entropy, *blobs(50, 1), batch_size,
                              torch.Generator().manual_seed(1))
        results.append((history["train_loss"], loss))
    assert results[0] == results[1]


@pytest.mark.parametrize("function", ["train_epoch", "fit"])
def test_a_generator_that_is_not_a_torch_generator_is_refused(function):
    model = make()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got 42"):
        if function == "train_epoch":
            train_epoch(model, optimizer, F.cross_entropy, *blobs(20, 0), 4, generator=42)
        else:
            fit(model, optimizer, F.cross_entropy, blobs(20, 0), blobs(20, 1), 4, 1,
                generator=42)
