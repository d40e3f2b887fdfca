"""The course's data sets: where each file comes from, how it is checked, how it is read.

Each data set is one file with a canonical URL and a sha256 sum. `fetch` puts the file in a
cache folder once, with pooch, in a staging folder of its own (verified, then moved into
place, so that processes fetching at once never see each other's half-written files), and
verifies its sha256 every time it is asked for it. The cache is the repository's `data/` folder in a
checkout, else `$XDG_CACHE_HOME/epochs-and-minibatches` (default `~/.cache/...`). With the
environment variable `COURSE_DATA_MIRROR=<folder>` the files are copied from that folder
instead of downloaded. A file whose sha256 does not match is never used or kept.

`python -m helpers.data --help` shows the command line (list, fetch, verify).
"""

import argparse
import hashlib
import logging
import math
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch
import torch

from helpers.checks import check
from helpers.leftovers import MACHINE, remove_leftovers

MIRROR_ENV = "COURSE_DATA_MIRROR"


class DataError(RuntimeError):
    """A data file could not be fetched, or it is not the file it should be."""


@dataclass(frozen=True)
class Source:
    """One data file: its name in the cache, its canonical URL, its size and sha256."""

    filename: str
    url: str
    size: int  # bytes
    sha256: str
    about: str


SOURCES = {
    "boston": Source(
        "boston-house-prices.csv",
        "https://raw.githubusercontent.com/hsf-training/deep-learning-intro-for-hep/"
        "main/deep-learning-intro-for-hep/data/boston-house-prices.csv",
        49_082,
        "baadf72995725d76efe787b664e1f083388c79ba21ef9a7990d87f774184735a",
        "Boston housing: 506 towns, 13 features and the median home value MEDV",
    ),
    "mnist-10k": Source(
        "mnist-10k-sample.csv.zip",
        "https://mlbook.explained.ai/data/mnist-10k-sample.csv.zip",
        2_687_233,
        "a5ba8f0ef15cc07059aee46384b68d628e36fd0c0f1d1bb49f9218ec264e6e2c",
        "MNIST sample: 10,000 handwritten digits, 28x28 pixels",
    ),
    "sign-mnist-train": Source(
        "sign_mnist_train.csv",
        "https://raw.githubusercontent.com/PhilChodrow/ml-notes/main/data/"
        "sign-language-mnist/sign_mnist_train.csv",
        83_281_065,
        "4c2897f19fab2b0ae2a7e4fa82e969043315d9f3a1a9cc0948b576bf1189a7e5",
        "Sign Language MNIST, training set: 27,455 hand signs, 28x28 pixels",
    ),
    "sign-mnist-test": Source(
        "sign_mnist_test.csv",
        "https://raw.githubusercontent.com/PhilChodrow/ml-notes/main/data/"
        "sign-language-mnist/sign_mnist_test.csv",
        21_777_485,
        "0e9d67bae23e67f40728e0b63bf15ad4bd5175947b8a9fac5dd9f17ce133c47b",
        "Sign Language MNIST, test set: 7,172 hand signs, 28x28 pixels",
    ),
}

# Column names of the Boston housing file, in file order; MEDV is the target.
BOSTON_COLUMNS = (
    "CRIM ZN INDUS CHAS NOX RM AGE DIS RAD TAX PTRATIO B LSTAT MEDV".split()
)

# Sign Language MNIST labels 0-24 stand for the letters A-Y; 9 (J) never occurs.
SIGN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXY"


def default_cache_dir():
    """The cache folder: `data/` in a checkout of the course, else a per-user folder."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "_toc.yml").is_file():
        return checkout / "data"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "epochs-and-minibatches"


def sha256sum(path):
    """The sha256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source(name):
    if not isinstance(name, str):
        raise TypeError(f"name must be a data set name (a str), got {name!r}")
    if name not in SOURCES:
        raise ValueError(f"name={name!r} is not a data set of this course; "
                         f"expected one of {', '.join(map(repr, SOURCES))}")
    return SOURCES[name]


def _mismatch(path, source):
    """None if the file at `path` is the source's file, else what is wrong with it."""
    size = path.stat().st_size
    found = sha256sum(path)
    if found == source.sha256:
        return None
    sizes = (f"{size:,} bytes, expected {source.size:,}: truncated" if size < source.size
             else f"{size:,} bytes, expected {source.size:,}")
    return f"has sha256 {found}, expected {source.sha256} ({sizes})"


MIN_RATE = 50_000  # bytes per second: a download slower than this on average is given up


def _copier(source, mirror):
    """A pooch downloader that copies the source's file from the folder `mirror`."""
    def copy(url, output_file, _pooch=None):
        folder = Path(mirror)
        if not folder.is_dir():
            raise DataError(f"{MIRROR_ENV}={str(mirror)!r} is not a folder. Point it at a "
                            f"folder holding {source.filename}, or unset it to download "
                            f"from {source.url}")
        origin = folder / source.filename
        if not origin.is_file():
            raise DataError(f"The mirror folder {folder} has no {source.filename}. Copy the "
                            f"file there (from {source.url}), or unset {MIRROR_ENV} to "
                            f"download it.")
        shutil.copyfile(origin, output_file)
        _verify(Path(output_file), source, origin)
    return copy


def _downloader(source, timeout, progress):
    """A pooch downloader over HTTP(S): a progress line, and a limit on a stalled transfer.

    The server must answer, and send each next piece, within `timeout` seconds, and the
    whole file must arrive within timeout + size / MIN_RATE seconds.
    """
    def download(url, output_file, _pooch=None):
        limit = timeout + source.size / MIN_RATE
        with open(output_file, "wb") as out:  # an error here is the cache's, not the network's
            start = time.monotonic()
            try:
                show = source.size > 1_000_000 if progress is None else progress
                with urllib.request.urlopen(url, timeout=timeout) as response, \
                        _Progress(source, show) as bar:
                    while chunk := response.read1(1 << 16):
                        out.write(chunk)
                        bar.update(len(chunk))
                        if time.monotonic() - start > limit:
                            raise TimeoutError(f"gave up after {limit:.0f} s, with "
                                               f"{out.tell():,} of {source.size:,} bytes")
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise DataError(
                    f"Could not download {source.filename} from {url} ({reason}). On a "
                    f"machine without internet, copy the file into a folder and set "
                    f"{MIRROR_ENV}=<that folder>, or put it in the cache folder "
                    f"{Path(output_file).parent}.") from error
        _verify(Path(output_file), source, url)
    return download


class _Progress:
    """A line on stderr that says how much of a download has arrived, about once a second."""

    def __init__(self, source, show):
        self.source, self.show, self.done, self.shown_at = source, show, 0, 0.0

    def update(self, count):
        self.done += count
        now = time.monotonic()
        if self.show and (now - self.shown_at > 1 or self.done == self.source.size):
            self.shown_at = now
            print(f"\r{self.source.filename}: {self.done / 1e6:.1f} of "
                  f"{self.source.size / 1e6:.1f} MB", end="", file=sys.stderr, flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *error):
        if self.show and self.shown_at:
            print(file=sys.stderr)


def _verify(path, source, origin):
    problem = _mismatch(path, source)
    if problem is not None:
        raise DataError(f"{source.filename} from {origin} {problem}. It was not used and not "
                        f"kept. Fetch it again; if the mismatch persists, the source has "
                        f"changed or the file is damaged there.")


def _entry(path):
    """What is at `path`: None (nothing), "file" (a regular file), or what else it is, in words.

    Follows a symbolic link to what it points at (a link to /dev/zero is "a device").
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as error:
        raise DataError(f"Cannot look at {path} ({type(error).__name__}: {error}). Check the "
                        f"cache folder, or use another one (cache_dir=, --cache).") from error
    if stat.S_ISREG(mode):
        return "file"
    kinds = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
             (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")]
    return next((word for test, word in kinds if test(mode)), "a special file")


def _refuse_entry(path, kind):
    """The DataError for a cache entry that is not a regular file: what it is, what to do."""
    if kind == "a folder":
        return DataError(f"{path} is a folder, where the data file should be. Remove it "
                         f"(rm -r {path}), or use another cache folder (cache_dir=, --cache).")
    return DataError(f"{path} is {kind}, not a regular file, where the data file should be; "
                     f"it was not read. Remove it (rm {path}), or use another cache folder "
                     f"(cache_dir=, --cache).")


# The staging folders of fetch, and only they: ".fetch-<machine>-<process id>-<random>".
# <machine> is a hash of the host name, so that a fetch on another machine sharing the
# cache is never taken for a killed one of this machine.
STAGING = re.compile(r"\.fetch-([0-9a-f]{8})-([0-9]+)-[A-Za-z0-9_]+")


def _remove_stale_staging(cache):
    """Delete the staging folders of fetches on this machine whose process has ended."""
    remove_leftovers(cache.glob(".fetch-*"), STAGING,
                     lambda folder: shutil.rmtree(folder, ignore_errors=True))


def _staging_folder(cache):
    """A new, private folder in `cache` for one fetch; DataError if the cache is not writable."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=cache):
            pass
        _remove_stale_staging(cache)
        return Path(tempfile.mkdtemp(prefix=f".fetch-{MACHINE}-{os.getpid()}-", dir=cache))
    except OSError as error:
        raise DataError(f"Cannot write to the cache folder {cache} ({type(error).__name__}: "
                        f"{error}). Make it writable, or use another cache folder "
                        f"(cache_dir=, or --cache with python -m helpers.data).") from error


def fetch(name, cache_dir=None, mirror=None, timeout=60, progress=None):
    """Return the path of data set `name`'s file in the cache, fetching it if needed.

    The file is taken from the cache if its sha256 matches (a read-only cache is fine);
    otherwise from the folder `mirror` (default: $COURSE_DATA_MIRROR) if one is given, else
    downloaded from its URL.
    timeout: seconds the server may take to answer or to send more data (see MIN_RATE).
    progress: show a download's progress on stderr; by default for files over 1 MB.
    A cached file that fails the check is removed, with a warning, and fetched afresh; a
    fetched one that fails it raises DataError and is not kept. Something other than a
    regular file where the file should be (a folder, a FIFO, a device) raises DataError
    and is left alone, unread.
    The file is fetched into a staging folder of this call's own, then moved into place,
    so that fetches at once never see each other's half-written files; a fetch that was
    killed leaves its staging folder, which the next fetch on this machine removes.
    """
    source = _source(name)
    timeout = check("timeout", timeout, float, lambda v: 0 < v < math.inf,
                    "a finite number of seconds > 0")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / source.filename
    kind = _entry(path)
    if kind not in (None, "file"):
        raise _refuse_entry(path, kind)
    if kind == "file":
        problem = _mismatch(path, source)
        if problem is None:
            return path
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            raise DataError(f"The cached file {path} {problem}, and it cannot be removed "
                            f"({type(error).__name__}: {error}). Remove it yourself "
                            f"(rm {path}), then fetch it again.") from error
        warnings.warn(f"The cached file {path} {problem}. It was removed and will be "
                      f"fetched afresh.", stacklevel=2)
    if mirror is None:
        mirror = os.environ.get(MIRROR_ENV) or None
    get = _copier(source, mirror) if mirror is not None else _downloader(source, timeout,
                                                                         progress)
    staging = _staging_folder(cache)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch says "Downloading ..." on stderr otherwise
    try:
        # known_hash=None: both downloaders verify the temporary file before pooch moves
        # it into place, so pooch need not read it a second time
        pooch.retrieve(source.url, None, fname=source.filename, path=staging, downloader=get)
        os.replace(staging / source.filename, path)
    except OSError as error:
        raise DataError(f"Cannot write {path} ({type(error).__name__}: {error}). Check that "
                        f"the cache folder {cache} is writable and has room.") from error
    finally:
        logger.setLevel(level)
        shutil.rmtree(staging, ignore_errors=True)
    return path


def load_boston(cache_dir=None):
    """Boston housing, unscaled: features (506, 13) and MEDV (506,), float32 tensors.

    The feature columns are BOSTON_COLUMNS[:13]; MEDV is the median home value in $1000s.
    """
    table = np.loadtxt(fetch("boston", cache_dir), dtype=np.float32)
    return torch.from_numpy(table[:, :13].copy()), torch.from_numpy(table[:, 13].copy())


def _read_pixels_csv(lines):
    """(pixels (N, 784) float32, labels (N,) int64) from a CSV of images with a header.

    The label is the first column if it is named 'label', else the last column.
    """
    header = lines.readline().decode().strip().split(",")
    table = np.loadtxt(lines, delimiter=",", dtype=np.float32)
    label_column = 0 if header[0] == "label" else len(header) - 1
    labels = torch.from_numpy(table[:, label_column].astype(np.int64))
    pixels = torch.from_numpy(np.delete(table, label_column, axis=1))
    return pixels, labels


def load_mnist_sample(cache_dir=None):
    """The MNIST 10k sample: pixels (10000, 784) float32, digits (10000,) int64 in 0-9.

    The file stores each pixel already scaled, as k/256 for a grey level k of 0-255, so the
    pixels come back in [0, 1) as they are in the file.
    """
    with zipfile.ZipFile(fetch("mnist-10k", cache_dir)) as archive:
        with archive.open("mnist-10k-sample.csv") as lines:
            return _read_pixels_csv(lines)


def load_sign_mnist(split, cache_dir=None):
    """Sign Language MNIST: pixels (N, 784) float32 in 0-255, labels (N,) int64 in 0-24.

    `split` is "train" (N = 27,455) or "test" (N = 7,172). Label k is the letter
    SIGN_LETTERS[k]; 9 (J) never occurs.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    with open(fetch(f"sign-mnist-{split}", cache_dir), "rb") as lines:
        return _read_pixels_csv(lines)


def main(argv=None):
    """The command line: list, fetch or verify the data sets; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.data",
        description="The course's data sets: list them, fetch them into the cache (verified "
                    "by sha256), or verify the cached copies.")
    parser.add_argument("command", nargs="?", default="list", choices=("list", "fetch", "verify"),
                        help="list (the default): the data sets and what the cache holds; "
                             "fetch: fetch and verify them; verify: check the cached files")
    parser.add_argument("names", nargs="*", choices=[[], *SOURCES], metavar="name",
                        help=f"data sets to act on (default: all): {', '.join(SOURCES)}")
    parser.add_argument("--cache", type=Path, default=None,
                        help=f"cache folder (default: {default_cache_dir()})")
    parser.add_argument("--mirror", type=Path, default=None,
                        help=f"folder to copy the files from instead of downloading them "
                             f"(default: ${MIRROR_ENV}, if set)")
    args = parser.parse_args(argv)
    cache = args.cache or default_cache_dir()
    mirror = args.mirror or os.environ.get(MIRROR_ENV) or None
    names = args.names or list(SOURCES)
    print(f"cache: {cache}")
    if args.command == "fetch":
        print(f"source: {'mirror ' + str(mirror) if mirror else 'canonical URLs'}")
    failed = 0
    for name in names:
        source = SOURCES[name]
        print(f"{name:<17} {source.size / 1e6:6.1f} MB  {source.about}")
        path = cache / source.filename
        if args.command == "fetch":
            try:
                fetch(name, cache, mirror)
            except DataError as error:
                failed += 1
                print(f"  FAILED: {error}")
            else:
                print(f"  ok: {path} (sha256 verified)")
        elif (kind := _entry(path)) is None:
            failed += args.command == "verify"
            print(f"  {'MISSING' if args.command == 'verify' else 'not cached'}: {path}")
        elif kind != "file":
            failed += args.command == "verify"
            print(f"  NOT A REGULAR FILE, left alone: {path} is {kind}; remove it")
        elif args.command == "list":
            print(f"  cached: {path}")
        elif (problem := _mismatch(path, source)) is None:
            print(f"  ok: {path} (sha256 verified)")
        else:
            failed += 1
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                print(f"  DAMAGED, and cannot be removed ({error}): {path} {problem}")
            else:
                print(f"  DAMAGED, removed: {path} {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
