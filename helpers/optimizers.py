"""Gradient descent, momentum and Adam written out, one step at a time; and a lean Adam.

Each step function takes the parameters w and their gradient g (tensors of one shape) and
the optimizer's state, and returns the new parameters and state, modifying nothing. With
the same hyperparameters they step as torch.optim.SGD and torch.optim.Adam do (up to
rounding). `FusedAdam` is for speed, not for reading (benchmarks/README.md).
"""

import math

import torch

from helpers.checks import check, check_positive_int


def _check_lr(lr):
    return check("lr", lr, float, lambda v: 0 <= v < math.inf, "a finite number >= 0")


def _check_beta(name, beta):
    return check(name, beta, float, lambda v: 0 <= v < 1, "a number in [0, 1)")


def _check_adam(lr, betas, eps):
    """{"lr": ..., "betas": (beta1, beta2), "eps": ...}, checked, as Python floats."""
    lr = _check_lr(lr)
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    betas = (_check_beta("betas[0]", betas[0]), _check_beta("betas[1]", betas[1]))
    eps = check("eps", eps, float, lambda v: 0 < v < math.inf, "a finite number > 0")
    return {"lr": lr, "betas": betas, "eps": eps}


# Adam's settings that FusedAdam does not implement, with the value that means "off"
NOT_IMPLEMENTED = {"weight_decay": 0, "amsgrad": False, "maximize": False,
                   "decoupled_weight_decay": False}


def gradient_descent_step(w, g, lr):
    """One step of gradient descent; returns the new w."""
    lr = _check_lr(lr)
    return w - lr * g


def momentum_step(w, g, velocity, lr, beta, convention="pytorch"):
    """One step of gradient descent with momentum; returns (new w, new velocity).

    velocity: the previous velocity, zeros before the first step (same shape as w).
    convention: "pytorch" adds the gradient to the decayed velocity, as
        torch.optim.SGD(momentum=beta) does; "average" keeps a moving average of the
        gradients instead, and so, once the velocity has built up, steps 1 / (1 - beta)
        times less far at the same lr.
    """
    lr, beta = _check_lr(lr), _check_beta("beta", beta)
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
    lr, (beta1, beta2), eps = _check_adam(lr, betas, eps).values()
    t = check_positive_int("t", t)
    m = beta1 * m + (1 - beta1) * g          # the gradient, averaged over ~10 steps
    s = beta2 * s + (1 - beta2) * g * g      # its square, averaged over ~1000 steps
    m_hat = m / (1 - beta1**t)               # both start at zero: undo that bias
    s_hat = s / (1 - beta2**t)
    return w - lr * m_hat / (torch.sqrt(s_hat) + eps), m, s



class FusedAdam:
    """torch.optim.Adam(fused=True)'s update without torch.optim's per-step bookkeeping.

    params: the tensors to train (model.parameters()): leaf tensors, floating point, on
        one device, with dense gradients (a sparse one raises at the step).
    lr, betas, eps: as for torch.optim.Adam; they can be changed between steps, and are
        checked when they are. Adam's weight_decay, amsgrad and maximize are not
        implemented: loading a state that turns one on raises ValueError.
    Calls torch's private fused kernel, `torch._fused_adam_`, directly, after checking at
    construction that it exists and takes one step as Adam does; otherwise (another torch,
    another device) it hands every step to torch.optim.Adam(fused=True), or foreach=True
    where fused is missing. Like Adam, a step skips the tensors without a gradient.
    `state_dict()` is torch.optim.Adam's, so a checkpoint moves between the two.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        if not self.params:
            raise ValueError("params must hold at least one tensor to train, got none")
        for i, p in enumerate(self.params):
            if not isinstance(p, torch.Tensor) or not p.is_floating_point():
                raise TypeError(f"params[{i}] must be a floating-point tensor, got "
                                f"{getattr(p, 'dtype', type(p).__name__)}")
            if not p.is_leaf:
                raise ValueError(f"params[{i}] is not a leaf tensor (it was computed from "
                                 f"others), so it cannot be trained; pass the parameters "
                                 f"themselves, e.g. model.parameters()")
            if p.device != self.params[0].device:
                raise ValueError(f"params[{i}] is on {p.device}, params[0] on "
                                 f"{self.params[0].device}; expected one device")
        self.hyper = _check_adam(lr, betas, eps)
        lr, betas, eps = self.hyper.values()
        device = self.params[0].device
        self.fallback = None if _fused_kernel_works(device) else _torch_adam(self.params, lr,
                                                                             betas, eps)
        self.exp_avgs = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p) for p in self.params]
        # the step count of each tensor, float32 on the device as in Adam(fused=True): views
        # of one tensor, so that a step of all of them is one addition
        self.steps = torch.zeros(len(self.params), dtype=torch.float32, device=device)
        self.step_counts = list(self.steps.unbind())

    def _set(self, name, value):
        self.hyper = _check_adam(**{**self.hyper, name: value})
        if self.fallback is not None:
            self.fallback.param_groups[0][name] = self.hyper[name]

    lr = property(lambda self: self.hyper["lr"], lambda self, value: self._set("lr", value))
    betas = property(lambda self: self.hyper["betas"],
                     lambda self, value: self._set("betas", value))
    eps = property(lambda self: self.hyper["eps"], lambda self, value: self._set("eps", value))

    def zero_grad(self):
        """Forget the gradients (set them to None), so that backward() writes new ones."""
        for p in self.params:
            p.grad = None

    def step(self):
        """Move every parameter that has a gradient (.grad) one Adam step along it."""
        for i, p in enumerate(self.params):
            if p.grad is not None and p.grad.is_sparse:
                raise RuntimeError(f"params[{i}] has a sparse gradient (from an "
                                   f"nn.Embedding(sparse=True)?), which FusedAdam does not "
                                   f"support; use torch.optim.SparseAdam for it")
        if self.fallback is not None:
            self.fallback.step()
            return
        have = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not have:
            return
        state = self.params, self.exp_avgs, self.exp_avg_sqs, self.step_counts
        with torch.no_grad():
            if len(have) == len(self.params):
                self.steps += 1
            else:
                self.steps[have] += 1
                state = [[tensors[i] for i in have] for tensors in state]
            params, exp_avgs, exp_avg_sqs, step_counts = state
            _fused_adam(params, [p.grad for p in params], exp_avgs, exp_avg_sqs, step_counts,
                        self.lr, *self.betas, self.eps)

    def state_dict(self):
        """The state in torch.optim.Adam's format: {"state": ..., "param_groups": [...]}."""
        if self.fallback is not None:
            return self.fallback.state_dict()
        state = {i: {"step": step.clone(), "exp_avg": m.clone(), "exp_avg_sq": s.clone()}
                 for i, (step, m, s) in enumerate(zip(self.step_counts, self.exp_avgs,
                                                      self.exp_avg_sqs))
                 if step.item() > 0}  # Adam keeps no state for a tensor never stepped
        group = {**self.hyper, "weight_decay": 0.0, "amsgrad": False, "maximize": False,
                 "foreach": None, "capturable": False, "differentiable": False, "fused": True,
                 "params": list(range(len(self.params)))}
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict):
        """Restore a state from `state_dict()`, this class's or torch.optim.Adam's.

        Raises ValueError, and changes nothing, for a state of other parameters or one
        with a setting FusedAdam does not implement (weight_decay, amsgrad, maximize).
        """
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if not groups or len(groups) != 1 or len(groups[0]["params"]) != len(self.params):
            raise ValueError(f"state_dict must hold one parameter group of {len(self.params)} "
                             f"tensors, as FusedAdam's or Adam's state_dict() for these params")
        group, state = groups[0], state_dict["state"]
        for name, off in NOT_IMPLEMENTED.items():
            if group.get(name, off) != off:
                raise ValueError(f"state_dict's optimizer was Adam with {name}="
                                 f"{group[name]!r}, which FusedAdam does not implement; "
                                 f"resume with torch.optim.Adam({name}={group[name]!r})")
        hyper = _check_adam(group["lr"], group["betas"], group["eps"])
        if self.fallback is not None:
            self.fallback.load_state_dict(state_dict)
            self.hyper = hyper
            return
        entries = [state.get(index, {}) for index in group["params"]]
        for i, (p, entry) in enumerate(zip(self.params, entries)):
            for key in ("exp_avg", "exp_avg_sq"):
                if entry and entry[key].shape != p.shape:
                    raise ValueError(f"state_dict's {key} of params[{i}] has shape "
                                     f"{tuple(entry[key].shape)}, expected {tuple(p.shape)}")
        self.hyper = hyper
        with torch.no_grad():
            for p, step, m, s, entry in zip(self.params, self.step_counts, self.exp_avgs,
                                            self.exp_avg_sqs, entries):
                step.fill_(float(entry["step"]) if entry else 0.0)
                m.copy_(entry["exp_avg"] if entry else torch.zeros_like(p))
                s.copy_(entry["exp_avg_sq"] if entry else torch.zeros_like(p))


def _fused_adam(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps):
    torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, lr=lr, beta1=beta1,
                       beta2=beta2, weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)


def _fused_kernel_works(device):
    """Whether torch._fused_adam_ exists here and takes one step on `device` as Adam does."""
    w, g = torch.ones(2, device=device), torch.full((2,), 0.5, device=device)
    m, s = torch.zeros_like(w), torch.zeros_like(w)
    try:
        _fused_adam([w], [g], [m], [s], [torch.ones((), device=device)], 0.1, 0.9, 0.999, 1e-8)
    except (AttributeError, TypeError, RuntimeError, NotImplementedError):
        return False
    expected, _, _ = adam_step(torch.ones(2), torch.full((2,), 0.5), 0, 0, 1, 0.1)
    return torch.allclose(w.cpu(), expected)


def _torch_adam(params, lr, betas, eps):
    """torch.optim.Adam, fused where this torch has a fused kernel for the device, else foreach."""
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, foreach=True)
