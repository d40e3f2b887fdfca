"""Lesson 3's checked exercise: `accumulated_step`, one update from k micro-batches."""

import torch

from helpers.exercises import Case, Exercise, Mistake


def accumulated_step(model, optimizer, loss_fn, x, y, micro_batches):
    optimizer.zero_grad()
    for x_part, y_part in zip(torch.tensor_split(x, micro_batches),
                              torch.tensor_split(y, micro_batches)):
        # loss_fn takes the mean over the part: weigh it by its share of rows
        loss = loss_fn(model(x_part), y_part) * len(x_part) / len(x)
        loss.backward()                        # adds to .grad
    optimizer.step()


_solution = accumulated_step   # the name `accumulated_step` is the exercise's, below


def _parts(x, y, k):
    return zip(torch.tensor_split(x, k), torch.tensor_split(y, k))


def _wrong(name, zero="before", step="after", weight="share"):
    """A wrong accumulated_step: zero ("before", "inside" the loop, or "never"), step
    ("after" or "inside" the loop), each part's loss weighted by its "share" of the rows,
    "equal" (1/k) or "none"."""
    def accumulated(model, optimizer, loss_fn, x, y, micro_batches):
        if zero == "before":
            optimizer.zero_grad()
        for x_part, y_part in _parts(x, y, micro_batches):
            if zero == "inside":
                optimizer.zero_grad()
            factor = {"share": len(x_part) / len(x), "equal": 1 / micro_batches, "none": 1}
            (loss_fn(model(x_part), y_part) * factor[weight]).backward()
            if step == "inside":
                optimizer.step()
        if step == "after":
            optimizer.step()
    accumulated.__name__ = name
    return accumulated


def _setup(n_rows, seed):
    """A small regression model, plain SGD, and n_rows of data; .grad holds leftovers."""
    generator = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
            # a previous step's gradient, still there: the function must zero it first
            parameter.grad = torch.randn(parameter.shape, generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(n_rows, 3, generator=generator)
    y = torch.randn(n_rows, 2, generator=generator)
    return model, optimizer, torch.nn.MSELoss(), x, y


def _case(n_rows, micro_batches, seed):
    sizes = [len(part) for part in torch.tensor_split(torch.empty(n_rows), micro_batches)]
    return Case(f"{n_rows} rows in {micro_batches} micro-batches of {sizes} rows",
                lambda: (*_setup(n_rows, seed), micro_batches))


def _weights_after(fn, case):
    """The model's weights after one call of fn."""
    model, optimizer, loss_fn, x, y, micro_batches = case.make()
    fn(model, optimizer, loss_fn, x, y, micro_batches)
    return tuple(parameter.detach().clone() for parameter in model.parameters())


def _one_large_batch(case):
    """The weights after one SGD step on all the rows at once: what the function must match."""
    model, optimizer, loss_fn, x, y, _ = case.make()
    optimizer.zero_grad()
    loss_fn(model(x), y).backward()
    optimizer.step()
    return tuple(parameter.detach().clone() for parameter in model.parameters())


accumulated_step = Exercise(
    "accumulated_step", _solution,
    cases=[_case(12, 3, 1), _case(10, 4, 2), _case(7, 2, 3), _case(8, 1, 4), _case(9, 9, 5)],
    run=_weights_after,
    expected=_one_large_batch,
    compared=("the weights after your step", "those after one step on all the rows"),
    mistakes=[
        Mistake("your gradient is k times too large. loss_fn takes the mean over each "
                "micro-batch, and backward() adds the k gradients up: weigh each micro-batch's "
                "loss by its share of the rows, len(x_part) / len(x).",
                _wrong("unscaled", weight="none")),
        Mistake("only the last micro-batch's gradient is used: zero_grad() inside the loop "
                "throws away the others. Zero the gradients once, before the loop.",
                _wrong("zero_grad_inside", zero="inside")),
        Mistake("your function takes k steps, one per micro-batch. Call step() once, after "
                "the loop, so that the update uses the gradient of all the rows.",
                _wrong("step_inside", step="inside")),
        Mistake("your function takes k steps, one per micro-batch, with zero_grad() and step() "
                "inside the loop: that is training with batches k times smaller. Zero once "
                "before the loop and step once after it.",
                _wrong("zero_grad_and_step_inside", zero="inside", step="inside")),
        Mistake("you weigh every micro-batch 1/k. That is right only when all are the same "
                "size; torch.tensor_split makes uneven ones when k does not divide the rows. "
                "Weigh each by its share of the rows, len(x_part) / len(x).",
                _wrong("equal_weights", weight="equal")),
        Mistake("the gradient left over from before the call was added in. Call "
                "optimizer.zero_grad() first.", _wrong("no_zero_grad", zero="never")),
    ],
    hints=[
        "torch.tensor_split(x, micro_batches) and torch.tensor_split(y, micro_batches) cut "
        "the rows into consecutive parts; zip them to loop over (x_part, y_part) pairs.",
        "backward() adds to .grad. So zero the gradients once before the loop, and step once "
        "after it.",
        "The loss of all the rows is the mean over them: sum over the parts of "
        "loss_fn(model(x_part), y_part) * len(x_part) / len(x).",
    ],
)
