"""Lesson 6's checked exercise: `momentum_step`, in PyTorch's convention."""

import torch

from helpers.exercises import Case, Exercise, Mistake


def momentum_step(w, g, v, lr, beta):
    v = beta * v + g      # PyTorch's convention: the whole gradient is added
    return w - lr * v, v


_solution = momentum_step   # the name `momentum_step` is the exercise's, below


def _averaging(w, g, v, lr, beta):
    v = beta * v + (1 - beta) * g
    return w - lr * v, v


def _old_velocity(w, g, v, lr, beta):
    return w - lr * v, beta * v + g


def _gradient_only(w, g, v, lr, beta):
    return w - lr * g, beta * v + g


def _case(shape, n_steps, lr, beta, seed):
    def make():
        generator = torch.Generator().manual_seed(seed)
        w = torch.randn(shape, generator=generator, dtype=torch.float64)
        gradients = [torch.randn(shape, generator=generator, dtype=torch.float64)
                     for _ in range(n_steps)]
        return w, gradients, lr, beta
    return Case(f"{n_steps} steps from velocity 0 on weights of shape {tuple(shape)}, "
                f"lr={lr}, beta={beta}", make)


def _path(fn, case):
    """The weights after each step of fn, fed the case's gradients one by one."""
    w, gradients, lr, beta = case.make()
    v, path = torch.zeros_like(w), []
    for g in gradients:
        w, v = fn(w, g, v, lr, beta)
        path.append(torch.as_tensor(w).detach().clone())
    return tuple(path)


def _pytorch_path(case):
    """The same steps taken by torch.optim.SGD(momentum=beta): what fn must match."""
    w, gradients, lr, beta = case.make()
    w = w.clone().requires_grad_()
    optimizer = torch.optim.SGD([w], lr=lr, momentum=beta)
    path = []
    for g in gradients:
        w.grad = g.clone()
        optimizer.step()
        path.append(w.detach().clone())
    return tuple(path)


momentum_step = Exercise(
    "momentum_step", _solution,
    cases=[_case((3,), 6, 0.1, 0.9, 1), _case((2, 2), 5, 0.01, 0.5, 2),
           _case((4,), 3, 0.05, 0.0, 3), _case((1,), 8, 1.0, 0.99, 4)],
    run=_path,
    expected=_pytorch_path,
    compared=("the weights after your steps", "torch.optim.SGD's"),
    mistakes=[
        Mistake("this is the other convention, v = beta*v + (1 - beta)*g, a moving average "
                "of the gradients. From v = 0, its velocity and so its steps are (1 - beta) "
                "times PyTorch's at every step. PyTorch adds the gradient in whole: "
                "v = beta*v + g.", _averaging),
        Mistake("you step with the velocity from before this step's gradient was added. "
                "Update v first, then step with the new v.", _old_velocity),
        Mistake("you step with the gradient alone, so the velocity never moves the weights. "
                "Step with the new velocity: w - lr*v.", _gradient_only),
    ],
    hints=[
        "Two lines: first the new velocity from the old one and the gradient, then the new "
        "weights from the new velocity.",
        "PyTorch's convention keeps the whole gradient: v = beta*v + g. Then w - lr*v.",
    ],
)
