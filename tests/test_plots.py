import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from helpers import COLORS, image_grid, path_animation, use_course_style  # noqa: E402


def test_course_style_cycles_through_the_palette():
    use_course_style()
    cycle = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    assert cycle[:3] == [COLORS["blue"], COLORS["orange"], COLORS["green"]]


def test_image_grid_draws_one_titled_image_per_input():
    fig = image_grid(torch.rand(10, 784), [str(i) for i in range(10)], n_cols=4)
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(fig.axes) == 12 and len(titled) == 10
    assert titled[3].images[0].get_array().shape == (28, 28)
    plt.close(fig)


def test_image_grid_needs_a_title_per_image():
    with pytest.raises(ValueError, match="3 images but 2 titles"):
        image_grid(torch.rand(3, 16), ["a", "b"])


def test_path_animation_renders_to_html_and_ends_with_the_whole_paths():
    fig, ax = plt.subplots(figsize=(2, 2), dpi=30)
    paths = {"a": torch.rand(101, 2), "b": torch.rand(101, 2)}
    animation = path_animation(fig, ax, paths, n_frames=3)
    html = animation.to_jshtml()                 # draws every frame, the last one last
    assert html.count("data:image/png;base64") == 3
    for line in ax.lines[::2]:
        assert len(line.get_xdata()) == 101
    assert ax.get_title() == "after 100 steps"
    plt.close(fig)


def test_path_animation_rejects_paths_of_different_lengths():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="same length"):
        path_animation(fig, ax, {"a": torch.rand(5, 2), "b": torch.rand(6, 2)})
    plt.close(fig)


def test_animation_html_embeds_jpeg_frames_and_closes_the_figure():
    from helpers import animation_html
    fig, ax = plt.subplots(figsize=(2, 2))
    animation = path_animation(fig, ax, {"a": torch.rand(11, 2)}, n_frames=4)
    page = animation_html(animation, fig, alt="a random walk", dpi=20)
    assert page.data.count("data:image/jpeg;base64") == 4
    assert not plt.fignum_exists(fig.number)
    assert 'alt="a random walk"' in page.data
    assert "font-awesome" not in page.data and "fa fa-" not in page.data  # works offline


def test_animation_html_needs_a_description():
    from helpers import animation_html
    fig, ax = plt.subplots(figsize=(2, 2))
    animation = path_animation(fig, ax, {"a": torch.rand(3, 2)}, n_frames=2)
    with pytest.raises(ValueError, match="alt"):
        animation_html(animation, fig, alt="")
    animation.to_jshtml()
    plt.close(fig)


@pytest.mark.parametrize("kwargs, error, name", [
    ({"n_cols": 0}, ValueError, "n_cols must be a positive int, got 0"),
    ({"n_cols": 2.5}, TypeError, "n_cols must be a positive int"),
    ({"size": 0}, ValueError, "size must be a finite number of inches > 0, got 0")])
def test_image_grid_refuses_a_layout_it_cannot_draw_naming_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        image_grid(torch.zeros(4, 16), list("abcd"), **kwargs)


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
@pytest.mark.parametrize("dpi, error", [(0, ValueError), (-5, ValueError), ("60", TypeError)])
def test_animation_html_refuses_a_resolution_that_is_not_positive(dpi, error):
    from helpers import animation_html
    fig, ax = plt.subplots()
    animation = path_animation(fig, ax, {"a": torch.zeros(3, 2)}, n_frames=2)
    with pytest.raises(error, match=f"dpi must be a positive number of dots per inch, got "
                                    f"{dpi!r}"):
        animation_html(animation, fig, alt="a still path", dpi=dpi)
    plt.close(fig)


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
@pytest.mark.parametrize("kwargs, error, message", [
    ({"n_frames": 0}, ValueError, "n_frames must be a positive int, got 0"),
    ({"interval": 0}, ValueError, "interval must be a finite number of milliseconds > 0, got 0"),
    ({"interval": "100"}, TypeError, "interval must be a finite number of milliseconds")])
def test_path_animation_refuses_a_timing_it_cannot_play_naming_the_argument(kwargs, error,
                                                                           message):
    fig, ax = plt.subplots()
    with pytest.raises(error, match=message):
        path_animation(fig, ax, {"a": torch.zeros(3, 2)}, **kwargs)
    plt.close(fig)
