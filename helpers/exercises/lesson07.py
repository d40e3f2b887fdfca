"""Lesson 7's checked exercise: `nearest_labels`, the purest memoriser."""

import torch

from helpers.exercises import Case, Exercise, Mistake


def nearest_labels(x_train, y_train, x):
    distances = torch.cdist(x, x_train)      # shape (len(x), len(x_train))
    return y_train[distances.argmin(dim=1)]  # the nearest one's label


_solution = nearest_labels   # the name `nearest_labels` is the exercise's, below


def _farthest(x_train, y_train, x):
    return y_train[torch.cdist(x, x_train).argmax(dim=1)]


def _indices(x_train, y_train, x):
    return torch.cdist(x, x_train).argmin(dim=1)


def _wrong_axis(x_train, y_train, x):
    return y_train[torch.cdist(x, x_train).argmin(dim=0)]


def _case(n_train, n_query, n_pixels, n_classes, seed, copies):
    def make():
        generator = torch.Generator().manual_seed(seed)
        x_train = torch.rand(n_train, n_pixels, generator=generator)
        y_train = torch.randint(n_classes, (n_train,), generator=generator)
        x = torch.rand(n_query, n_pixels, generator=generator)
        # some queries are near-copies of a training image, as in a random split
        x[:copies] = x_train[:copies] + 0.01 * torch.rand(copies, n_pixels, generator=generator)
        return x_train, y_train, x
    return Case(f"{n_query} images against {n_train} training images of {n_pixels} pixels, "
                f"{n_classes} letters", make)


nearest_labels = Exercise(
    "nearest_labels", _solution,
    cases=[_case(30, 10, 16, 5, 1, 4), _case(50, 7, 784, 24, 2, 3), _case(15, 12, 4, 3, 3, 2)],
    mistakes=[
        Mistake("you take the farthest training image: argmin, not argmax, of the distances.",
                _farthest),
        Mistake("you return the positions of the nearest training images, not their "
                "letters: index y_train with them.", _indices),
        Mistake("you take the minimum over the wrong dimension: each row of the distances "
                "belongs to one image of x, so take argmin along dim=1.", _wrong_axis),
    ],
    hints=[
        "torch.cdist(x, x_train) gives the distance of every image in x to every training "
        "image: a table of shape (len(x), len(x_train)).",
        "argmin along dim=1 gives, for each image of x, the position of its nearest training "
        "image; y_train at those positions gives their letters.",
    ],
)
