"""Gradient descent, momentum and Adam written out, one step at a time.

Each function takes the parameters w and their gradient g (tensors of any one shape) and
the optimizer's state, and returns the new parameters and state; nothing is modified in
place. With the same hyperparameters they take the same steps as torch.optim.SGD and
torch.optim.Adam (up to rounding).
"""

import math

import torch


def _check_lr(lr):
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr >= 0 \
            or math.isinf(lr):
        raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")


def _check_beta(name, beta):
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {beta!r}")


def gradient_descent_step(w, g, lr):
    """w - lr * g: one step of plain gradient descent."""
    _check_lr(lr)
    return w - lr * g


def momentum_step(w, g, velocity, lr, beta, convention="pytorch"):
    """One step of gradient descent with momentum; returns (new w, new velocity).

    velocity: the previous velocity, zeros before the first step (same shape as w).
    convention: "pytorch", v <- beta * v + g, as torch.optim.SGD(momentum=beta);
        or "average", v <- beta * v + (1 - beta) * g, an exponential moving average of
        the gradients. Then w <- w - lr * v. The two differ by a factor 1 / (1 - beta)
        in the effective learning rate once the velocity has built up.
    """
    _check_lr(lr)
    _check_beta("beta", beta)
    if convention == "pytorch":
        velocity = beta * velocity + g
    elif convention == "average":
        velocity = beta * velocity + (1 - beta) * g
    else:
        raise ValueError(f"convention must be 'pytorch' or 'average', got {convention!r}")
    return w - lr * velocity, velocity


def adam_step(w, g, m, v, t, lr, betas=(0.9, 0.999), eps=1e-8):
    """One step of Adam (Kingma & Ba, 2015) with bias correction; returns (w, m, v).

    m, v: the moving averages of the gradient and of its square, zeros before the
        first step; t: the number of this step, counted from 1.
    The averages start at zero, so early on they are biased towards zero; dividing by
    1 - beta**t corrects that. The step is lr * m_hat / (sqrt(v_hat) + eps).
    """
    _check_lr(lr)
    beta1, beta2 = betas
    _check_beta("betas[0]", beta1)
    _check_beta("betas[1]", beta2)
    if isinstance(t, bool) or not isinstance(t, int) or t < 1:
        raise ValueError(f"t must be the step number, an int >= 1, got {t!r}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    return w - lr * m_hat / (torch.sqrt(v_hat) + eps), m, v
