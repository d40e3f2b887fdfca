"""The from-scratch optimizers take the same steps as torch.optim, step by step."""

import copy

import pytest
import torch
import torch.nn.functional as F

import helpers.optimizers
from helpers.optimizers import FusedAdam, adam_step, gradient_descent_step, momentum_step


def rosenbrock(w):
    return (1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2


def least_squares():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(30, 5, generator=g, dtype=torch.float64)
    b = torch.randn(30, generator=g, dtype=torch.float64)
    return (lambda w: ((a @ w - b) ** 2).mean()), torch.zeros(5, dtype=torch.float64)


def rosenbrock_problem():
    return rosenbrock, torch.tensor([0.0, 1.0], dtype=torch.float64)


def gradient(loss, w):
    w = w.detach().requires_grad_(True)
    loss(w).backward()
    return w.grad


def follow_torch(problem, make_optimizer, mine, steps=100):
    """Run torch's optimizer and `mine` side by side; compare the parameters at every step."""
    loss, start = problem()
    w_torch = start.clone().requires_grad_(True)
    optimizer = make_optimizer([w_torch])
    w, state = start.clone(), None
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss(w_torch).backward()
        optimizer.step()
        w, state = mine(w, gradient(loss, w), state, step)
        assert torch.allclose(w, w_torch.detach(), rtol=1e-7, atol=1e-10), f"step {step}"
    return w


PROBLEMS = [pytest.param(rosenbrock_problem, id="rosenbrock"),
            pytest.param(least_squares, id="least-squares")]


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("lr", [0.001, 0.01, 0.03])
def test_gradient_descent_matches_torch_sgd(problem, lr):
    follow_torch(problem, lambda p: torch.optim.SGD(p, lr=lr),
                 lambda w, g, state, t: (gradient_descent_step(w, g, lr), None))


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("lr, beta", [(0.001, 0.9), (0.01, 0.5), (0.002, 0.99), (0.01, 0.0)])
def test_momentum_matches_torch_sgd_with_momentum(problem, lr, beta):
    def mine(w, g, velocity, t):
        velocity = torch.zeros_like(w) if velocity is None else velocity
        return momentum_step(w, g, velocity, lr, beta)
    follow_torch(problem, lambda p: torch.optim.SGD(p, lr=lr, momentum=beta), mine)


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("lr, betas", [(0.01, (0.9, 0.999)), (0.04, (0.9, 0.999)),
                                       (0.001, (0.5, 0.9)), (0.02, (0.0, 0.99))])
def test_adam_matches_torch_adam_with_bias_correction(problem, lr, betas):
    def mine(w, g, state, t):
        m, s = (torch.zeros_like(w), torch.zeros_like(w)) if state is None else state
        w, m, s = adam_step(w, g, m, s, t, lr, betas)
        return w, (m, s)
    follow_torch(problem, lambda p: torch.optim.Adam(p, lr=lr, betas=betas), mine)


def test_adam_state_m_and_s_are_torchs_exp_avg_and_exp_avg_sq():
    """Lesson 6 reads m and s from torch.optim.Adam's state under these names."""
    loss, start = rosenbrock_problem()
    w_torch = start.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([w_torch], lr=0.04)
    w, m, s = start.clone(), torch.zeros_like(start), torch.zeros_like(start)
    for t in range(1, 51):
        optimizer.zero_grad()
        loss(w_torch).backward()
        optimizer.step()
        w, m, s = adam_step(w, gradient(loss, w), m, s, t, lr=0.04)
        state = optimizer.state[w_torch]
        assert torch.allclose(m, state["exp_avg"], rtol=1e-7, atol=1e-10)
        assert torch.allclose(s, state["exp_avg_sq"], rtol=1e-7, atol=1e-10)


def test_average_momentum_equals_pytorch_momentum_at_lr_times_one_minus_beta():
    loss, start = rosenbrock_problem()
    beta, lr = 0.9, 0.01
    w_avg, v_avg = start.clone(), torch.zeros(2, dtype=torch.float64)
    w_pt, v_pt = start.clone(), torch.zeros(2, dtype=torch.float64)
    for _ in range(100):
        w_avg, v_avg = momentum_step(w_avg, gradient(loss, w_avg), v_avg, lr, beta, "average")
        w_pt, v_pt = momentum_step(w_pt, gradient(loss, w_pt), v_pt, lr * (1 - beta), beta)
        assert torch.allclose(w_avg, w_pt, rtol=1e-9, atol=1e-12)


def test_steps_do_not_modify_their_inputs():
    w, g, zeros = torch.ones(3), torch.ones(3), torch.zeros(3)
    momentum_step(w, g, zeros, 0.1, 0.9)
    adam_step(w, g, zeros, zeros, 1, 0.1)
    assert torch.equal(w, torch.ones(3)) and torch.equal(zeros, torch.zeros(3))


@pytest.mark.parametrize("call, name", [
    (lambda: gradient_descent_step(torch.ones(2), torch.ones(2), -0.1), "lr"),
    (lambda: gradient_descent_step(torch.ones(2), torch.ones(2), float("nan")), "lr"),
    (lambda: momentum_step(torch.ones(2), torch.ones(2), torch.zeros(2), 0.1, 1.0), "beta"),
    (lambda: momentum_step(torch.ones(2), torch.ones(2), torch.zeros(2), 0.1, -0.1), "beta"),
    (lambda: momentum_step(torch.ones(2), torch.ones(2), torch.zeros(2), 0.1, 0.9, "nesterov"),
     "convention"),
    (lambda: adam_step(torch.ones(2), torch.ones(2), torch.zeros(2), torch.zeros(2), 1, 0.1,
                       (0.9, 1.0)), r"betas\[1\]"),
    (lambda: adam_step(torch.ones(2), torch.ones(2), torch.zeros(2), torch.zeros(2), 1, 0.1,
                       (1.5, 0.9)), r"betas\[0\]"),
    (lambda: adam_step(torch.ones(2), torch.ones(2), torch.zeros(2), torch.zeros(2), 0, 0.1), "t"),
    (lambda: adam_step(torch.ones(2), torch.ones(2), torch.zeros(2), torch.zeros(2), 1, 0.1,
                       eps=0), "eps"),
])
def test_invalid_hyperparameters_are_rejected_naming_them(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_a_hyperparameter_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"lr must be a finite number >= 0, got '0.1' \(str\)"):
        gradient_descent_step(torch.ones(2), torch.ones(2), "0.1")


def mlp_and_batches(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(20, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    g = torch.Generator().manual_seed(seed)
    return model, [(torch.randn(16, 20, generator=g), torch.randint(0, 3, (16,), generator=g))
                   for _ in range(30)]


def train(model, optimizer, batches):
    for xb, yb in batches:
        optimizer.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        optimizer.step()


def same_weights(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


# torch.optim.Adam(fused=True), the reference, calls torch._fused_adam_ too: the kernels
# below replace only FusedAdam's call of it.
def missing_kernel(monkeypatch):
    def call(*args, **kwargs):
        raise AttributeError("module 'torch' has no attribute '_fused_adam_'")
    monkeypatch.setattr(helpers.optimizers, "_fused_adam", call)


def kernel_with_another_signature(monkeypatch):
    def call(*args, **kwargs):
        raise TypeError("_fused_adam_() got an unexpected keyword argument 'beta1'")
    monkeypatch.setattr(helpers.optimizers, "_fused_adam", call)


def kernel_that_computes_something_else(monkeypatch):
    monkeypatch.setattr(helpers.optimizers, "_fused_adam", lambda *args, **kwargs: None)


KERNELS = [pytest.param(lambda monkeypatch: None, id="torch's kernel"),
           pytest.param(missing_kernel, id="no kernel"),
           pytest.param(kernel_with_another_signature, id="another signature"),
           pytest.param(kernel_that_computes_something_else, id="another result")]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("lr, betas, eps", [(1e-3, (0.9, 0.999), 1e-8), (0.05, (0.5, 0.9), 1e-4)])
def test_fused_adam_takes_bit_for_bit_the_steps_of_torch_fused_adam(monkeypatch, kernel, lr,
                                                                    betas, eps):
    kernel(monkeypatch)
    mine, batches = mlp_and_batches()
    reference = copy.deepcopy(mine)
    ours = FusedAdam(mine.parameters(), lr=lr, betas=betas, eps=eps)
    torchs = torch.optim.Adam(reference.parameters(), lr=lr, betas=betas, eps=eps, fused=True)
    for batch in batches:
        train(mine, ours, [batch])
        train(reference, torchs, [batch])
        assert same_weights(mine, reference)
    assert not torch.equal(mine[0].weight, mlp_and_batches()[0][0].weight)  # it did move


def test_fused_adam_without_a_fused_kernel_steps_as_foreach_adam(monkeypatch):
    missing_kernel(monkeypatch)
    adam = torch.optim.Adam

    def adam_without_fused(params, fused=None, **kwargs):
        if fused:
            raise RuntimeError("`fused=True` requires all the params to be CUDA tensors")
        return adam(params, **kwargs)
    monkeypatch.setattr(torch.optim, "Adam", adam_without_fused)
    mine, batches = mlp_and_batches()
    reference = copy.deepcopy(mine)
    train(mine, FusedAdam(mine.parameters(), lr=0.01), batches)
    train(reference, adam(reference.parameters(), lr=0.01, foreach=True), batches)
    assert same_weights(mine, reference)


@pytest.mark.parametrize("kernel", KERNELS[:2])
@pytest.mark.parametrize("resume_with", ["FusedAdam", "torch.optim.Adam"])
def test_a_run_resumed_from_fused_adams_state_dict_takes_the_same_steps(monkeypatch, tmp_path,
                                                                         kernel, resume_with):
    from helpers import load_checkpoint, save_checkpoint
    kernel(monkeypatch)
    whole, batches = mlp_and_batches()
    resumed = copy.deepcopy(whole)
    train(whole, FusedAdam(whole.parameters(), lr=0.02, betas=(0.8, 0.99)), batches)
    first = FusedAdam(resumed.parameters(), lr=0.02, betas=(0.8, 0.99))
    train(resumed, first, batches[:12])
    save_checkpoint(tmp_path / "run.pt", resumed, first, 12)
    if resume_with == "FusedAdam":
        second = FusedAdam(resumed.parameters())           # lr and betas come from the state
    else:
        second = torch.optim.Adam(resumed.parameters(), fused=True)
    assert load_checkpoint(tmp_path / "run.pt", resumed, second)["step"] == 12
    train(resumed, second, batches[12:])
    assert same_weights(whole, resumed)


def test_fused_adam_continues_a_run_of_torch_adam():
    whole, batches = mlp_and_batches()
    resumed = copy.deepcopy(whole)
    train(whole, torch.optim.Adam(whole.parameters(), lr=0.02, fused=True), batches)
    first = torch.optim.Adam(resumed.parameters(), lr=0.02, fused=True)
    train(resumed, first, batches[:7])
    second = FusedAdam(resumed.parameters())
    second.load_state_dict(first.state_dict())
    train(resumed, second, batches[7:])
    assert same_weights(whole, resumed)


def test_fused_adam_refuses_a_state_dict_of_other_parameters():
    model, _ = mlp_and_batches()
    other = torch.nn.Linear(20, 3)
    state = FusedAdam(other.parameters()).state_dict()
    with pytest.raises(ValueError, match="one parameter group of 4 tensors"):
        FusedAdam(model.parameters()).load_state_dict(state)


def test_fused_adam_zero_grad_forgets_the_gradients():
    model, [(xb, yb), *_] = mlp_and_batches()
    optimizer = FusedAdam(model.parameters())
    F.cross_entropy(model(xb), yb).backward()
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("kernel", KERNELS[:2])
def test_fused_adam_skips_a_parameter_without_a_gradient_as_adam_does(monkeypatch, kernel):
    kernel(monkeypatch)
    mine, batches = mlp_and_batches()
    reference = copy.deepcopy(mine)
    ours = FusedAdam(mine.parameters(), lr=0.01)
    torchs = torch.optim.Adam(reference.parameters(), lr=0.01, fused=True)
    for step, (xb, yb) in enumerate(batches[:12]):
        for model, optimizer in ((mine, ours), (reference, torchs)):
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            if step % 3 == 0:
                model[2].bias.grad = None            # this step leaves the last bias alone
            optimizer.step()
        assert same_weights(mine, reference)
    resumed = torch.optim.Adam(copy.deepcopy(mine).parameters(), fused=True)
    resumed.load_state_dict(ours.state_dict())       # per-tensor step counts, as Adam's
    assert [int(s["step"]) for s in resumed.state_dict()["state"].values()] == [12, 12, 12, 8]


def test_fused_adam_with_no_gradient_at_all_does_nothing():
    model, _ = mlp_and_batches()
    before = copy.deepcopy(model)
    FusedAdam(model.parameters()).step()
    assert same_weights(model, before)


@pytest.mark.parametrize("name, bad, error", [("lr", -5, ValueError), ("lr", "0.1", TypeError),
                                              ("betas", 0.9, TypeError),
                                              ("betas", (0.9,), TypeError),
                                              ("eps", 0.0, ValueError)])
def test_fused_adam_checks_a_hyperparameter_changed_after_construction(name, bad, error):
    model, _ = mlp_and_batches()
    optimizer = FusedAdam(model.parameters())
    with pytest.raises(error, match=name):
        setattr(optimizer, name, bad)
    optimizer.lr = 0.5
    assert optimizer.lr == 0.5 and optimizer.state_dict()["param_groups"][0]["lr"] == 0.5


@pytest.mark.parametrize("kwargs, error, name", [
    ({"params": []}, ValueError, "params must hold at least one tensor"),
    ({"params": [torch.zeros(3, dtype=torch.long)]}, TypeError, r"params\[0\].*floating"),
    ({"params": [torch.zeros(3), "w"]}, TypeError, r"params\[1\]"),
    ({"lr": -0.1}, ValueError, "lr"),
    ({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\]"),
    ({"betas": 0.9}, TypeError, "betas must be a pair"),
    ({"betas": (0.9,)}, TypeError, "betas must be a pair"),
    ({"eps": 0.0}, ValueError, "eps"),
])
def test_fused_adam_rejects_invalid_arguments_naming_them(kwargs, error, name):
    arguments = {"params": [torch.zeros(3, requires_grad=True)], **kwargs}
    with pytest.raises(error, match=name):
        FusedAdam(**arguments)


@pytest.mark.parametrize("kernel", KERNELS[:2])
@pytest.mark.parametrize("setting, value", [("weight_decay", 0.01), ("amsgrad", True),
                                            ("maximize", True)])
def test_fused_adam_refuses_an_adam_state_with_a_setting_it_cannot_honour(monkeypatch, kernel,
                                                                          setting, value):
    kernel(monkeypatch)
    model, batches = mlp_and_batches()
    adam = torch.optim.Adam(copy.deepcopy(model).parameters(), **{setting: value})
    train(model, adam, batches[:2])
    ours = FusedAdam(model.parameters())
    before = ours.state_dict()
    with pytest.raises(ValueError, match=f"{setting}={value}.*FusedAdam"):
        ours.load_state_dict(adam.state_dict())
    assert str(ours.state_dict()) == str(before)


def test_fused_adam_refuses_a_tensor_that_is_not_a_leaf():
    w = torch.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match=r"params\[0\] is not a leaf tensor"):
        FusedAdam([w * 2])


@pytest.mark.parametrize("kernel", KERNELS[:2])
def test_fused_adam_refuses_a_sparse_gradient_naming_the_tensor(monkeypatch, kernel):
    kernel(monkeypatch)
    embedding = torch.nn.Embedding(10, 3, sparse=True)
    optimizer = FusedAdam(embedding.parameters())
    embedding(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(RuntimeError, match=r"params\[0\] has a sparse gradient.*SparseAdam"):
        optimizer.step()


def test_fused_adam_keeps_numpy_hyperparameters_as_python_numbers(tmp_path):
    import numpy as np

    from helpers import load_checkpoint, save_checkpoint
    model, _ = mlp_and_batches()
    optimizer = FusedAdam(model.parameters(), lr=np.float64(0.01),
                          betas=(np.float32(0.9), 0.999), eps=np.float64(1e-8))
    optimizer.lr = np.float64(0.02)
    group = optimizer.state_dict()["param_groups"][0]
    assert type(group["lr"]) is float and all(type(b) is float for b in group["betas"])
    save_checkpoint(tmp_path / "ck.pt", model, optimizer, step=1)      # loads back safely
    assert load_checkpoint(tmp_path / "ck.pt", model, optimizer)["step"] == 1
