"""The from-scratch optimizers take the same steps as torch.optim, step by step."""

import pytest
import torch

from helpers.optimizers import adam_step, gradient_descent_step, momentum_step


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
        m, v = (torch.zeros_like(w), torch.zeros_like(w)) if state is None else state
        w, m, v = adam_step(w, g, m, v, t, lr, betas)
        return w, (m, v)
    follow_torch(problem, lambda p: torch.optim.Adam(p, lr=lr, betas=betas), mine)


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
