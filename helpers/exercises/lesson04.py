"""Lesson 4's checked exercise: `restore`, a resume that restores everything."""

import copy

import torch

from helpers.exercises import Case, Exercise, Mistake


def restore(checkpoint, model, optimizer, schedule):
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])  # velocities, rate
    schedule.load_state_dict(checkpoint["schedule"])    # its step count
    torch.set_rng_state(checkpoint["torch_rng"])        # dropout's masks
    return checkpoint["step"]


_solution = restore   # the name `restore` is the exercise's, below


def _leaving_out(piece):
    """A restore that restores everything but `piece`."""
    def restore(checkpoint, model, optimizer, schedule):
        model.load_state_dict(checkpoint["model"])
        if piece != "optimizer":
            optimizer.load_state_dict(checkpoint["optimizer"])
        if piece != "schedule":
            schedule.load_state_dict(checkpoint["schedule"])
        if piece != "generator":
            torch.set_rng_state(checkpoint["torch_rng"])
        return checkpoint["step"]
    restore.__name__ = f"no_{piece}"
    return restore


def _step_zero(checkpoint, model, optimizer, schedule):
    _solution(checkpoint, model, optimizer, schedule)
    return 0


def _step_after(checkpoint, model, optimizer, schedule):
    return _solution(checkpoint, model, optimizer, schedule) + 1


def _fresh_run(total_steps, seed, init_seed):
    """A model with dropout, SGD with momentum, a cosine schedule, and one batch per step.

    seed: fixes the data; init_seed: the model's initial weights.
    """
    generator = torch.Generator().manual_seed(seed)
    batches = [(torch.randn(8, 4, generator=generator), torch.randn(8, 2, generator=generator))
               for _ in range(total_steps)]
    generator = torch.Generator().manual_seed(init_seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Dropout(0.5),
                                torch.nn.Linear(16, 2))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) / 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
    return model, optimizer, schedule, batches


def _train(model, optimizer, schedule, batches, start, stop):
    for x, y in batches[start:stop]:
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        schedule.step()


def _weights(model):
    return tuple(parameter.detach().clone() for parameter in model.parameters())


def _case(total_steps, saved_at, seed):
    return Case(f"a run of {total_steps} steps, interrupted after its checkpoint of step "
                f"{saved_at}", lambda: (total_steps, saved_at, seed))


def _resumed(fn, case):
    """The weights at the end of a run that fn resumed from the checkpoint."""
    total_steps, saved_at, seed = case.make()
    with torch.random.fork_rng(devices=[]):   # the learner's global generator is left as it was
        torch.manual_seed(seed)
        model, optimizer, schedule, batches = _fresh_run(total_steps, seed, seed)
        _train(model, optimizer, schedule, batches, 0, saved_at)
        checkpoint = copy.deepcopy({
            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(), "step": saved_at,
            "torch_rng": torch.get_rng_state()})
        # a new process: new objects, another global generator state
        torch.manual_seed(seed + 1000)
        model, optimizer, schedule, batches = _fresh_run(total_steps, seed, seed + 1000)
        step = fn(checkpoint, model, optimizer, schedule)
        _train(model, optimizer, schedule, batches, step, total_steps)
        return _weights(model)


def _uninterrupted(case):
    """The weights at the end of the same run, never interrupted: what a resume must match."""
    total_steps, _, seed = case.make()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model, optimizer, schedule, batches = _fresh_run(total_steps, seed, seed)
        _train(model, optimizer, schedule, batches, 0, total_steps)
        return _weights(model)


restore = Exercise(
    "restore", _solution,
    cases=[_case(12, 4, 1), _case(10, 5, 2), _case(9, 8, 3)],
    run=_resumed,
    expected=_uninterrupted,
    rtol=0, atol=0,       # an exact resume is the same computation: equal to the last bit
    compared=("the final weights of your resumed run", "those of the uninterrupted run"),
    mistakes=[
        Mistake("the optimizer was not restored. Its momentum starts again from zero, and "
                "its learning rate is the fresh one. Load checkpoint['optimizer'] too.",
                _leaving_out("optimizer")),
        Mistake("the schedule was not restored, so it counts from step 0 again. Load "
                "checkpoint['schedule'] into it.", _leaving_out("schedule")),
        Mistake("dropout draws other masks after the resume: the global random generator "
                "was not restored. Call torch.set_rng_state(checkpoint['torch_rng']).",
                _leaving_out("generator")),
        Mistake("your function returns 0 (or nothing, which the run reads as 0), so the run "
                "starts its data and its steps again. Return the step the checkpoint was "
                "saved at.", _step_zero),
        Mistake("your function returns the step after the checkpoint's, so the run skips "
                "one batch. The checkpoint's step counts the steps already taken: the "
                "next batch to train on has that number.", _step_after),
    ],
    hints=[
        "Each of model, optimizer and schedule has load_state_dict(); the checkpoint holds "
        "their states under 'model', 'optimizer' and 'schedule'.",
        "The model has dropout, which draws its masks from torch's global generator: "
        "torch.set_rng_state restores it.",
        "Return checkpoint['step']: the run carries on from there.",
    ],
)
