"""Two processes fetching the same file at once, from the mirror and over HTTP: each ends
with a verified file or a clear error, and no temporary file is left in the cache."""

import functools
import hashlib
import http.server
import multiprocessing
import threading
import time

import pytest

from helpers import data

ROUNDS = 20
CONTENT = bytes(range(256)) * 4096          # 1 MiB, long enough for the two to overlap
SHA256 = hashlib.sha256(CONTENT).hexdigest()


def fetch_and_check(cache, mirror, start, results):
    """In a child process: wait for the start signal, fetch, check what fetch returned."""
    start.wait()
    try:
        path = data.fetch("shared", cache, mirror=mirror)
        ok = hashlib.sha256(path.read_bytes()).hexdigest() == SHA256
        results.put(("verified file" if ok else f"WRONG FILE at {path}", ""))
    except data.DataError as error:
        results.put(("clear error", str(error)))
    except Exception as error:  # anything else is what this test is about
        results.put((f"{type(error).__name__}", str(error)))


class SlowHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files in 64 KiB pieces, a millisecond apart, so that two downloads overlap."""

    def copyfile(self, source, outputfile):
        while piece := source.read(1 << 16):
            outputfile.write(piece)
            time.sleep(0.001)

    def log_message(self, *args):
        pass


@pytest.fixture
def shared_source(tmp_path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    (served / "shared.bin").write_bytes(CONTENT)
    handler = functools.partial(SlowHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/shared.bin"
    monkeypatch.setitem(data.SOURCES, "shared",
                        data.Source("shared.bin", url, len(CONTENT), SHA256, "a test file"))
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    yield served
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("where", ["mirror", "http"])
def test_two_processes_fetching_at_once_each_get_a_verified_file_and_leave_no_part(
        tmp_path, shared_source, where):
    context = multiprocessing.get_context("fork")   # real processes, without a new interpreter
    outcomes = []
    for round_ in range(ROUNDS):
        cache = tmp_path / f"cache-{round_}"
        results, starts = context.Queue(), [context.Event(), context.Event()]
        mirror = shared_source if where == "mirror" else None
        workers = [context.Process(target=fetch_and_check, args=(cache, mirror, start, results))
                   for start in starts]
        for worker in workers:
            worker.start()
        starts[0].set()
        time.sleep(0.025 * (round_ % 2))           # at once, or 25 ms apart
        starts[1].set()
        for worker in workers:
            worker.join(timeout=60)
            assert worker.exitcode == 0, f"round {round_}: a process died"
        round_outcomes = [results.get(timeout=5) for _ in workers]
        outcomes += round_outcomes
        assert [p.name for p in cache.iterdir()] == ["shared.bin"], f"round {round_}"
        assert hashlib.sha256((cache / "shared.bin").read_bytes()).hexdigest() == SHA256
    kinds = {kind for kind, _ in outcomes}
    assert kinds <= {"verified file", "clear error"}, outcomes
    assert kinds == {"verified file"}, [m for k, m in outcomes if k != "verified file"]
