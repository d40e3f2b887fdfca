"""The course's figure style: one colour-blind-safe palette and a few shared touches."""

import matplotlib as mpl
from cycler import cycler

# Okabe & Ito's palette (2008), distinguishable with the common colour-vision deficiencies.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}


def use_course_style():
    """Set matplotlib's defaults for the lessons: the palette, grids, sizes."""
    order = ["blue", "orange", "green", "vermillion", "sky", "purple", "black"]
    mpl.rcParams.update({
        "axes.prop_cycle": cycler(color=[COLORS[c] for c in order]),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.figsize": (7.0, 4.0),
        "figure.constrained_layout.use": True,
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "legend.frameon": False,
        "font.size": 11,
    })


def mark_stop(ax, x, y, label, color):
    """Mark the point (x, y) of a curve on `ax` with a dot and a labelled vertical line."""
    ax.axvline(x, color=color, linestyle="--", linewidth=1)
    ax.plot([x], [y], "o", color=color, label=label)


def image_grid(images, titles, n_cols=8, size=1.3, cmap="gray"):
    """A figure of square grey images in a grid, each titled.

    images: (N, H*W) or (N, H, W) tensor or array of pixel values, any range (each image
        is drawn with its own black-to-white scale); titles: N strings.
    size: inches per image; cmap: a matplotlib colour map ("gray_r" draws high values
        dark). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt  # here, so importing helpers never starts a GUI backend
    if len(images) != len(titles):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles; expected one "
                         f"title per image")
    n = len(images)
    if n == 0:
        raise ValueError("images is empty; expected at least one image")
    side = int(round(len(images[0].reshape(-1)) ** 0.5))
    n_rows = -(-n // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, size * n_rows * 1.15),
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles):
        ax.imshow(image.reshape(side, side), cmap=cmap)
        ax.set_title(title, fontsize=10)
    return fig
