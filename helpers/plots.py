"""The course's figure style: one colour-blind-safe palette and a few shared touches."""

import math
import re

import matplotlib as mpl
import numpy as np
from cycler import cycler

from helpers.checks import check, check_positive_int

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
    n_cols = check_positive_int("n_cols", n_cols)
    size = check("size", size, float, lambda v: 0 < v < math.inf, "a finite number of inches > 0")
    images = [_numpy(image) for image in images]
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


def path_animation(fig, ax, paths, n_frames=50, interval=100):
    """An animation that draws optimizer paths on `ax`, step by step.

    paths: {label: (T + 1, 2) tensor or array of points, start included}, all of the
        same length; each path is drawn in the next colour of the course palette.
    n_frames: frames in the animation, spread evenly over the T steps; interval: ms per
        frame. Returns a matplotlib FuncAnimation; in a notebook, show it with
        IPython.display.HTML(animation.to_jshtml()), then close the figure.
    """
    from matplotlib.animation import FuncAnimation
    if not paths:
        raise ValueError("paths is empty; expected at least one path")
    lengths = {len(p) for p in paths.values()}
    if len(lengths) != 1:
        raise ValueError(f"paths must all have the same length, got lengths {sorted(lengths)}")
    n_frames = check_positive_int("n_frames", n_frames)
    interval = check("interval", interval, float, lambda v: 0 < v < math.inf,
                     "a finite number of milliseconds > 0")
    length = lengths.pop()
    paths = {label: _numpy(path) for label, path in paths.items()}
    lines, heads = [], []
    for label in paths:
        (line,) = ax.plot([], [], "-", linewidth=1.5, label=label)
        (head,) = ax.plot([], [], "o", color=line.get_color())
        lines.append(line)
        heads.append(head)
    ax.legend(loc="upper left", frameon=True)
    title = ax.set_title("")
    ends = [round(1 + k * (length - 1) / max(n_frames - 1, 1)) for k in range(n_frames)]

    def draw(frame):
        end = ends[frame]
        for line, head, path in zip(lines, heads, paths.values()):
            line.set_data(path[:end, 0], path[:end, 1])
            head.set_data(path[end - 1:end, 0], path[end - 1:end, 1])
        title.set_text(f"after {end - 1} steps")
        return (*lines, *heads, title)

    return FuncAnimation(fig, draw, frames=n_frames, interval=interval, blit=False)


def _numpy(values):
    """A NumPy array of a tensor (on any device) or array-like."""
    if hasattr(values, "detach"):
        values = values.detach().cpu()
    return np.asarray(values)


# matplotlib's player draws its buttons with Font Awesome icons from a CDN, which are
# missing offline; plain characters work everywhere
_BUTTON_ICONS = {"fa fa-play fa-flip-horizontal": "\u25c0", "fa fa-fast-backward": "\u23ee",
                 "fa fa-step-backward": "\u25c2", "fa fa-fast-forward": "\u23ed",
                 "fa fa-step-forward": "\u25b8", "fa fa-minus": "\u2212", "fa fa-pause": "\u23f8",
                 "fa fa-play": "\u25b6", "fa fa-plus": "+"}


def animation_html(animation, fig, alt, dpi=60):
    """A matplotlib animation of figure `fig` as an IPython HTML object for a notebook page.

    alt: a description of the animation for readers who cannot see it.
    The frames are JPEG images at `dpi` dots per inch (a light notebook), the play buttons
    need nothing from the network, and `fig` is closed so that it is not also shown as a still.
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML
    if not isinstance(alt, str) or not alt.strip():
        raise ValueError(f"alt must be a non-empty description, got {alt!r}")
    dpi = check("dpi", dpi, float, lambda v: 0 < v < math.inf, "a positive number of dots per inch")
    with plt.rc_context({"animation.frame_format": "jpeg", "savefig.dpi": dpi}):
        page = animation.to_jshtml(default_mode="once")
    plt.close(fig)
    page = re.sub(r'<link rel="stylesheet"[^>]*font-awesome[^>]*>', "", page)
    for icon, character in _BUTTON_ICONS.items():
        page = page.replace(f'<i class="{icon}"></i>', character)
    alt = alt.replace("&", "&amp;").replace('"', "&quot;")
    page = page.replace('<img id="_anim_img', f'<img alt="{alt}" id="_anim_img', 1)
    return HTML(page)
