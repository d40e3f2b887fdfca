import hashlib
from pathlib import Path

import pytest

from helpers import data

ROOT = Path(__file__).resolve().parent.parent
SHARED_MIRROR = ROOT.parent / "shared" / "data"


@pytest.fixture
def fake_source(tmp_path, monkeypatch):
    """A small data set named 'fake', registered in helpers.data.SOURCES for one test.

    Returns (source, content); its URL points at an unused port on the loopback address,
    so a test that needs it served must swap the URL.
    """
    content = b"0 1 2\n3 4 5\n" * 100
    source = data.Source("fake.txt", "http://127.0.0.1:9/fake.txt", len(content),
                         hashlib.sha256(content).hexdigest(), "a test file")
    monkeypatch.setitem(data.SOURCES, "fake", source)
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    return source, content


@pytest.fixture
def mirror_dir():
    """The offline mirror of the real data files, when this machine has one."""
    import os
    folder = os.environ.get(data.MIRROR_ENV) or SHARED_MIRROR
    if not Path(folder, "boston-house-prices.csv").is_file():
        pytest.skip(f"no data mirror at {folder}; set {data.MIRROR_ENV}")
    return Path(folder)
