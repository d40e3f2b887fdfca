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
