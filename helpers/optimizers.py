"""Gradient descent, momentum and Adam written out, one step at a time; and a lean Adam.

Each function takes the parameters w and their gradient g (tensors of any one shape) and
the optimizer's state, and returns the new parameters and state; nothing is modified in
place. With the same hyperparameters they take the same steps as torch.optim.SGD and
torch.optim.Adam (up to rounding).

`FusedAdam` is for speed, not for reading: the update of torch.optim.Adam(fused=True),
without the optimizer's per-step bookkeeping, which outweighs the arithmetic for a
model of a few thousand parameters.
"""

import math

import torch


def _check_lr(lr):
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr >= 0 \
            or math.isinf(lr):
        raise ValueError(f"lr must be a finite number >= 0, got {lr!r}")


def _check_eps(eps):
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
        raise ValueError(f"eps must be a number > 0, got {eps!r}")


def _check_beta(name, beta):
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {beta!r}")


def _check_step_number(t):
    if isinstance(t, bool) or not isinstance(t, int) or t < 1:
        raise ValueError(f"t must be the step number, an int >= 1, got {t!r}")


def _check_adam(lr, betas, t, eps):
    _check_lr(lr)
    _check_beta("betas[0]", betas[0])
    _check_beta("betas[1]", betas[1])
    _check_step_number(t)
    _check_eps(eps)


def gradient_descent_step(w, g, lr):
    """One step of gradient descent; returns the new w."""
    _check_lr(lr)
    return w - lr * g


def momentum_step(w, g, velocity, lr, beta, convention="pytorch"):
    """One step of gradient descent with momentum; returns (new w, new velocity).

    velocity: the previous velocity, zeros before the first step (same shape as w).
    convention: "pytorch" adds the gradient to the decayed velocity, as
        torch.optim.SGD(momentum=beta) does; "average" keeps a moving average of the
        gradients instead, and so, once the velocity has built up, steps 1 / (1 - beta)
        times less far at the same lr.
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


def adam_step(w, g, m, s, t, lr, betas=(0.9, 0.999), eps=1e-8):
    """One step of Adam (Kingma & Ba, 2015); returns (new w, new m, new s).

    m, s: the moving averages of the gradient and of its square, zeros before the first
        step (torch.optim.Adam calls them exp_avg and exp_avg_sq; the paper calls s v).
    t: the number of this step, counted from 1.
    """
    _check_adam(lr, betas, t, eps)
    beta1, beta2 = betas
    m = beta1 * m + (1 - beta1) * g          # the gradient, averaged over ~10 steps
    s = beta2 * s + (1 - beta2) * g * g      # its square, averaged over ~1000 steps
    m_hat = m / (1 - beta1**t)               # both start at zero: undo that bias
    s_hat = s / (1 - beta2**t)
    return w - lr * m_hat / (torch.sqrt(s_hat) + eps), m, s


class FusedAdam:
    """Adam that calls torch's fused kernel directly: the same update, less overhead per step.

    params: the tensors to train (model.parameters()), all on one device, floating point.
    lr, betas, eps: as for torch.optim.Adam (no weight decay, no AMSGrad).

    Each step computes exactly what torch.optim.Adam(params, fused=True) computes (the
    same kernel, `torch._fused_adam_`, on the same state: step counts, first and second
    moments), bit for bit. What it leaves out is torch.optim's generic machinery: hooks,
    the profiler label, grouping the tensors by device and type, checking every state
    entry again. On a CPU that machinery costs some tens of microseconds per step, as
    much as the forward and backward pass of a small model on a small batch.
    Used like any optimizer: zero_grad() (which sets the gradients to None), backward(),
    step(). There is no state_dict: use torch.optim.Adam where a run is checkpointed.
    Needs torch 2.4 or later on a CPU.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        if not self.params:
            raise ValueError("params is empty: FusedAdam needs at least one tensor to train")
        for i, p in enumerate(self.params):
            if not isinstance(p, torch.Tensor) or not p.is_floating_point():
                raise TypeError(f"params[{i}] must be a floating-point tensor, got "
                                f"{getattr(p, 'dtype', type(p).__name__)}")
            if p.device != self.params[0].device:
                raise ValueError(f"params[{i}] is on {p.device}, params[0] on "
                                 f"{self.params[0].device}; expected one device")
        _check_lr(lr)
        _check_beta("betas[0]", betas[0])
        _check_beta("betas[1]", betas[1])
        _check_eps(eps)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.exp_avgs = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        # The kernel wants a step count per tensor; all of them step together, so they
        # share one (float32, on the device, as in torch.optim.Adam(fused=True)).
        self.step_count = torch.zeros((), dtype=torch.float32, device=self.params[0].device)
        self._step_counts = [self.step_count] * len(self.params)

    def zero_grad(self):
        """Forget the gradients (set them to None), so that backward() writes new ones."""
        for p in self.params:
            p.grad = None

    def step(self):
        """Move every parameter one Adam step along its gradient (.grad)."""
        grads = [p.grad for p in self.params]
        if any(g is None for g in grads):
            missing = next(i for i, g in enumerate(grads) if g is None)
            raise RuntimeError(f"params[{missing}] has no gradient: call backward() before "
                               f"step(), and train only parameters the loss depends on")
        with torch.no_grad():
            self.step_count += 1
            torch._fused_adam_(self.params, grads, self.exp_avgs, self.exp_avg_sqs, [],
                               self._step_counts, lr=self.lr, beta1=self.beta1, beta2=self.beta2,
                               weight_decay=0.0, eps=self.eps, amsgrad=False,
                               maximize=False)
