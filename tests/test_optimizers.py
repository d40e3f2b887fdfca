"""The from-scratch optimizers take the same steps as torch.optim, step by step."""

import copy

import pytest
import torch
import torch.nn.functional as F

from helpers.optimizers import FusedAdam, adam_step, gradient_descent_step, momentum_step


def rosenbrock(w):
    return (1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2


def least_squares():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(30, 5, generator=g, dtype=torch.float64), torch.randn(30, generator=g, dtype=torch.float64)
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
    w, m, s = start.clone(), torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
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
    (lambda: gradient_descent_step(torch.ones(2), torch.ones(2), "0.1"), "lr"),
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


def mlp_and_batches(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(20, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    g = torch.Generator().manual_seed(seed)
    return model, [(torch.randn(16, 20, generator=g), torch.randint(0, 3, (16,), generator=g))
                   for _ in range(30)]


@pytest.mark.parametrize("lr, betas, eps", [(1e-3, (0.9, 0.999), 1e-8), (0.05, (0.5, 0.9), 1e-4)])
def test_fused_adam_takes_bit_for_bit_the_steps_of_torch_fused_adam(lr, betas, eps):
    mine, batches = mlp_and_batches()
    reference = copy.deepcopy(mine)
    ours = FusedAdam(mine.parameters(), lr=lr, betas=betas, eps=eps)
    torchs = torch.optim.Adam(reference.parameters(), lr=lr, betas=betas, eps=eps, fused=True)
    for xb, yb in batches:
        for model, optimizer in ((mine, ours), (reference, torchs)):
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        for a, b in zip(mine.parameters(), reference.parameters()):
            assert torch.equal(a, b)
    assert not torch.equal(mine[0].weight, mlp_and_batches()[0][0].weight)  # it did move


def test_fused_adam_zero_grad_forgets_the_gradients():
    model, [(xb, yb), *_] = mlp_and_batches()
    optimizer = FusedAdam(model.parameters())
    F.cross_entropy(model(xb), yb).backward()
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_fused_adam_step_without_gradients_names_the_parameter():
    model, _ = mlp_and_batches()
    with pytest.raises(RuntimeError, match=r"params\[0\] has no gradient"):
        FusedAdam(model.parameters()).step()


@pytest.mark.parametrize("kwargs, error, name", [
    ({"params": []}, ValueError, "params is empty"),
    ({"params": [torch.zeros(3, dtype=torch.long)]}, TypeError, r"params\[0\].*floating"),
    ({"params": [torch.zeros(3), "w"]}, TypeError, r"params\[1\]"),
    ({"lr": -0.1}, ValueError, "lr"),
    ({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\]"),
    ({"eps": 0.0}, ValueError, "eps"),
])
def test_fused_adam_rejects_invalid_arguments_naming_them(kwargs, error, name):
    arguments = {"params": [torch.zeros(3, requires_grad=True)], **kwargs}
    with pytest.raises(error, match=name):
        FusedAdam(**arguments)
