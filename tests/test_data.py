import functools
import http.server
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import torch

from helpers import data


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def served(tmp_path, fake_source, monkeypatch):
    """Serves a folder over HTTP on the loopback address; returns (folder, source with its URL)."""
    source, _ = fake_source
    folder = tmp_path / "server"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/{source.filename}"
    served_source = data.Source(source.filename, url, source.size, source.sha256, source.about)
    monkeypatch.setitem(data.SOURCES, "fake", served_source)
    yield folder, served_source
    server.shutdown()
    server.server_close()


def test_download_is_verified_and_cached(tmp_path, served, fake_source):
    folder, _ = served
    _, content = fake_source
    write(folder / "fake.txt", content)
    path = data.fetch("fake", tmp_path / "cache")
    assert path == tmp_path / "cache" / "fake.txt"
    assert path.read_bytes() == content
    (folder / "fake.txt").unlink()  # the second load needs no source
    assert data.fetch("fake", tmp_path / "cache").read_bytes() == content


def test_tampered_download_is_reported_and_not_kept(tmp_path, served, fake_source):
    folder, source = served
    _, content = fake_source
    write(folder / "fake.txt", content.replace(b"5", b"6"))
    with pytest.raises(data.DataError) as error:
        data.fetch("fake", tmp_path / "cache")
    message = str(error.value)
    assert source.sha256 in message and "expected" in message and source.url in message
    assert list((tmp_path / "cache").iterdir()) == []


def test_unreachable_source_names_the_url_and_the_mirror_variable(tmp_path, fake_source):
    source, _ = fake_source
    with pytest.raises(data.DataError) as error:
        data.fetch("fake", tmp_path / "cache", timeout=5)
    assert source.url in str(error.value)
    assert "COURSE_DATA_MIRROR" in str(error.value)
    assert list((tmp_path / "cache").iterdir()) == []


def test_mirror_is_used_instead_of_the_network(tmp_path, fake_source, monkeypatch):
    _, content = fake_source
    write(tmp_path / "mirror" / "fake.txt", content)
    monkeypatch.setenv(data.MIRROR_ENV, str(tmp_path / "mirror"))
    assert data.fetch("fake", tmp_path / "cache").read_bytes() == content


def test_corrupted_mirror_file_is_reported_with_both_checksums_and_not_cached(
        tmp_path, fake_source):
    source, content = fake_source
    bad = write(tmp_path / "mirror" / "fake.txt", content[:-1] + b"!")
    with pytest.raises(data.DataError) as error:
        data.fetch("fake", tmp_path / "cache", mirror=tmp_path / "mirror")
    message = str(error.value)
    assert source.sha256 in message and data.sha256sum(bad) in message
    assert not (tmp_path / "cache" / "fake.txt").exists()
    assert list((tmp_path / "cache").iterdir()) == []


def test_truncated_mirror_file_is_reported_as_truncated(tmp_path, fake_source):
    _, content = fake_source
    write(tmp_path / "mirror" / "fake.txt", content[:100])
    with pytest.raises(data.DataError, match="truncated"):
        data.fetch("fake", tmp_path / "cache", mirror=tmp_path / "mirror")
    assert not (tmp_path / "cache" / "fake.txt").exists()


def test_corrupted_cache_file_is_removed_and_fetched_afresh(tmp_path, fake_source):
    source, content = fake_source
    write(tmp_path / "cache" / "fake.txt", b"tampered")
    write(tmp_path / "mirror" / "fake.txt", content)
    with pytest.warns(UserWarning, match=source.sha256):
        path = data.fetch("fake", tmp_path / "cache", mirror=tmp_path / "mirror")
    assert path.read_bytes() == content


def test_corrupted_cache_file_is_not_left_behind_when_no_good_copy_exists(
        tmp_path, fake_source):
    write(tmp_path / "cache" / "fake.txt", b"tampered")
    with pytest.warns(UserWarning), pytest.raises(data.DataError):
        data.fetch("fake", tmp_path / "cache", mirror=tmp_path / "empty-mirror")
    assert not (tmp_path / "cache" / "fake.txt").exists()


def test_mirror_without_the_file_says_which_file_and_folder(tmp_path, fake_source):
    (tmp_path / "mirror").mkdir()
    with pytest.raises(data.DataError, match=r"mirror folder .*mirror has no fake\.txt"):
        data.fetch("fake", tmp_path / "cache", mirror=tmp_path / "mirror")


@pytest.mark.parametrize("name, error", [("mnist", ValueError), ("", ValueError),
                                         (None, TypeError), (3, TypeError)])
def test_unknown_data_set_name_is_rejected_with_the_name(tmp_path, name, error):
    with pytest.raises(error, match=repr(name).replace("'", ".")):
        data.fetch(name, tmp_path)


def test_unknown_sign_mnist_split_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="'validation'"):
        data.load_sign_mnist("validation", tmp_path)


def test_cache_is_the_checkout_data_folder():
    assert data.default_cache_dir() == data.Path(__file__).resolve().parent.parent / "data"


def test_every_mirrored_file_matches_its_registered_checksum(tmp_path, mirror_dir):
    for name, source in data.SOURCES.items():
        path = data.fetch(name, tmp_path, mirror=mirror_dir)
        assert path.stat().st_size == source.size


def test_loaders_return_the_documented_shapes_and_ranges(tmp_path, mirror_dir, monkeypatch):
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror_dir))
    x, y = data.load_boston(tmp_path)
    assert x.shape == (506, 13) and y.shape == (506,) and x.dtype == torch.float32
    assert 5 <= y.min() and y.max() <= 50  # MEDV in $1000s

    pixels, digits = data.load_mnist_sample(tmp_path)
    assert pixels.shape == (10_000, 784) and digits.shape == (10_000,)
    assert digits.dtype == torch.int64 and set(digits.tolist()) == set(range(10))
    assert pixels.min() == 0 and pixels.max() < 1  # stored as k/256
    assert torch.equal(pixels * 256, (pixels * 256).round())

    for split, rows in [("train", 27_455), ("test", 7_172)]:
        pixels, labels = data.load_sign_mnist(split, tmp_path)
        assert pixels.shape == (rows, 784) and labels.shape == (rows,)
        assert set(labels.tolist()) == set(range(25)) - {9}  # no J
        assert 0 <= pixels.min() and pixels.max() <= 255


def test_command_line_fetches_and_verifies_every_data_set(tmp_path, mirror_dir, capsys):
    assert data.main(["fetch", "--cache", str(tmp_path), "--mirror", str(mirror_dir)]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in data.SOURCES)
    assert out.count("sha256 verified") == len(data.SOURCES)
    assert data.main(["verify", "boston", "--cache", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count("sha256 verified") == 1


def test_command_line_exits_non_zero_when_a_file_cannot_be_had(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert data.main(["fetch", "boston", "--cache", str(tmp_path / "cache"),
                      "--mirror", str(tmp_path / "empty")]) == 1
    assert "FAILED" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--help"], ["fetch", "no-such-set"], ["download"]])
def test_command_line_help_and_unknown_names_fetch_nothing(tmp_path, argv, monkeypatch, capsys):
    monkeypatch.setattr(data, "fetch", lambda *args, **kwargs: pytest.fail("fetched"))
    with pytest.raises(SystemExit) as exit_:
        data.main([*argv, "--cache", str(tmp_path / "cache")])
    assert exit_.value.code == (0 if argv == ["--help"] else 2)
    assert not (tmp_path / "cache").exists()


def test_command_line_lists_by_default_and_fetches_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "fetch", lambda *args, **kwargs: pytest.fail("fetched"))
    assert data.main(["--cache", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count("not cached") == len(data.SOURCES)


def test_verify_reports_and_removes_a_damaged_cached_file(tmp_path, fake_source, capsys):
    write(tmp_path / "fake.txt", b"damaged")
    assert data.main(["verify", "fake", "--cache", str(tmp_path)]) == 1
    assert "DAMAGED, removed" in capsys.readouterr().out
    assert not (tmp_path / "fake.txt").exists()


def test_a_folder_where_the_file_should_be_is_reported_with_what_to_do(tmp_path, fake_source):
    (tmp_path / "cache" / "fake.txt").mkdir(parents=True)
    with pytest.raises(data.DataError, match=r"is a folder, where the data file should be. "
                                             r"Remove it"):
        data.fetch("fake", tmp_path / "cache", mirror=tmp_path)


def test_a_cache_that_cannot_be_written_is_reported_as_such(tmp_path, fake_source, served,
                                                             monkeypatch):
    folder, _ = served
    write(folder / "fake.txt", fake_source[1])

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "cache"))
    monkeypatch.setattr(data.tempfile, "TemporaryFile", refused)
    with pytest.raises(data.DataError, match="Cannot write to the cache folder .*Permission "
                                             "denied.*Make it writable") as error:
        data.fetch("fake", tmp_path / "cache")
    assert "download" not in str(error.value).lower()      # not blamed on the network


class Trickle(http.server.BaseHTTPRequestHandler):
    """Sends a 1,200-byte file one byte every `pause` seconds."""

    pause = 0.2

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "1200")
        self.end_headers()
        try:
            for _ in range(1200):
                self.wfile.write(b"0")
                self.wfile.flush()
                time.sleep(self.pause)
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("pause", [0.2, 3.0])   # each byte in time, but far too slow; or late
def test_a_stalled_download_is_given_up_with_a_clear_error_and_leaves_nothing(
        tmp_path, fake_source, monkeypatch, pause):
    handler = type("Trickle", (Trickle,), {"pause": pause})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    source, _ = fake_source
    url = f"http://127.0.0.1:{server.server_port}/fake.txt"
    monkeypatch.setitem(data.SOURCES, "fake", data.Source("fake.txt", url, 1200, source.sha256,
                                                          source.about))
    start = time.monotonic()
    try:
        with pytest.raises(data.DataError, match="Could not download fake.txt"):
            data.fetch("fake", tmp_path / "cache", timeout=1)
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - start < 4
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_large_download_shows_its_progress(tmp_path, served, fake_source, capsys):
    folder, _ = served
    write(folder / "fake.txt", fake_source[1])
    data.fetch("fake", tmp_path / "cache", progress=True)
    assert "fake.txt" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_cache_entry_that_is_not_a_regular_file_is_refused_with_what_to_remove(
        tmp_path, fake_source, kind):
    cache = tmp_path / "cache"
    cache.mkdir()
    if kind == "fifo":
        os.mkfifo(cache / "fake.txt")            # reading it would wait for a writer forever
    else:
        (cache / "fake.txt").symlink_to("/dev/zero")     # reading it would never end
    what = {"fifo": "a FIFO", "device": "a device"}[kind]
    with pytest.raises(data.DataError, match=f"{cache / 'fake.txt'} is {what}, not a regular "
                                             f"file.*Remove it"):
        data.fetch("fake", cache, mirror=tmp_path)


def test_the_command_line_reports_a_fifo_in_the_cache_as_a_failure(tmp_path, fake_source,
                                                                    capsys):
    os.mkfifo(tmp_path / "fake.txt")
    assert data.main(["fetch", "fake", "--cache", str(tmp_path), "--mirror", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "a FIFO" in out and "sha256 verified" not in out
    assert data.main(["verify", "fake", "--cache", str(tmp_path)]) == 1
    assert "NOT A REGULAR FILE" in capsys.readouterr().out


KILLED_FETCH = """
import hashlib, os, signal, sys
from pathlib import Path
from helpers import data
content = Path(sys.argv[2], "fake.txt").read_bytes()
data.SOURCES["fake"] = data.Source("fake.txt", "http://127.0.0.1:9/fake.txt", len(content),
                                   hashlib.sha256(content).hexdigest(), "a test file")
def copy_then_terminated(origin, output):
    Path(output).write_bytes(content[:500])
    os.kill(os.getpid(), signal.SIGTERM)
data.shutil.copyfile = copy_then_terminated
data.fetch("fake", sys.argv[1], mirror=sys.argv[2])
"""


def test_a_fetch_terminated_midway_leaves_nothing_after_the_next_fetch(tmp_path, fake_source):
    mirror, cache = tmp_path / "mirror", tmp_path / "cache"
    write(mirror / "fake.txt", fake_source[1])
    write(cache / "tmp1a2b3c4d", b"another program's temporary file")
    killed = subprocess.run([sys.executable, "-c", KILLED_FETCH, str(cache), str(mirror)])
    assert killed.returncode == -signal.SIGTERM
    assert len(list(cache.iterdir())) == 2                 # what the killed fetch left
    data.fetch("fake", cache, mirror=mirror)
    assert sorted(p.name for p in cache.iterdir()) == ["fake.txt", "tmp1a2b3c4d"]


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 0, -1])
def test_a_timeout_that_is_not_a_finite_positive_number_is_refused(tmp_path, fake_source,
                                                                   timeout):
    with pytest.raises(ValueError, match="timeout must be a finite number of seconds > 0"):
        data.fetch("fake", tmp_path, timeout=timeout)


def test_a_verified_file_in_a_cache_that_cannot_be_written_is_used(tmp_path, fake_source,
                                                                    monkeypatch):
    write(tmp_path / "fake.txt", fake_source[1])

    def refused(*args, **kwargs):
        raise PermissionError(13, "Read-only file system", str(tmp_path))
    monkeypatch.setattr(data.tempfile, "TemporaryFile", refused)
    monkeypatch.setattr(data.tempfile, "mkdtemp", refused)
    assert data.fetch("fake", tmp_path) == tmp_path / "fake.txt"


def test_a_damaged_cached_file_that_cannot_be_removed_is_reported_not_used(
        tmp_path, fake_source, monkeypatch, capsys):
    write(tmp_path / "fake.txt", b"not the file")

    def refused(self, missing_ok=False):
        raise PermissionError(13, "Permission denied", str(self))
    monkeypatch.setattr(data.Path, "unlink", refused)
    with pytest.raises(data.DataError, match="fake.txt has sha256 .*cannot be removed.*"
                                             "Permission denied.*Remove it yourself"):
        data.fetch("fake", tmp_path, mirror=tmp_path / "mirror")
    assert data.main(["verify", "fake", "--cache", str(tmp_path)]) == 1
    assert "DAMAGED, and cannot be removed" in capsys.readouterr().out
