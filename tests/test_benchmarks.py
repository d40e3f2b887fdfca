"""The benchmark scripts run end to end and write their tables as JSON (their timings are
not checked here: speed is compared as ratios within one benchmark run, never in a test)."""

import importlib.util
import json
import os
from pathlib import Path

import pytest
from conftest import SHARED_MIRROR

from helpers import data

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "epoch_time.py"


@pytest.fixture
def benchmark_data(monkeypatch):
    """Skip, saying why, unless the two data sets the benchmarks train on can be had offline."""
    mirror = Path(os.environ.get(data.MIRROR_ENV) or SHARED_MIRROR)
    for name in ("sign-mnist-train", "mnist-10k"):
        filename = data.SOURCES[name].filename
        if (data.default_cache_dir() / filename).is_file():
            continue
        if not (mirror / filename).is_file():
            pytest.skip(f"the benchmarks need {filename}: it is neither in the cache "
                        f"{data.default_cache_dir()} nor in a mirror ({data.MIRROR_ENV})")
        monkeypatch.setenv(data.MIRROR_ENV, str(mirror))


def load_script():
    spec = importlib.util.spec_from_file_location("epoch_time", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_writes_one_row_per_model_and_batch_size(benchmark_data, tmp_path,
                                                               capsys):
    out = tmp_path / "results.json"
    load_script().main(["--rounds", "1", "--batch-sizes", "1024", "--out", str(out)])
    written = json.loads(out.read_text())
    assert written["rounds"] == 1 and written["machine"]["threads"] >= 1
    assert [(row["model"].split(",")[0], row["batch_size"]) for row in written["results"]] == [
        ("Sign Language MNIST", 1024), ("MNIST sample", 1024)]
    for row in written["results"]:
        assert all(row[key] > 0 for key in ("seconds_a", "seconds_b", "seconds_c",
                                            "a_over_b", "b_over_c"))
    assert "a/b" in capsys.readouterr().out


def test_the_benchmark_rejects_a_round_count_below_one():
    with pytest.raises(SystemExit):
        load_script().main(["--rounds", "0"])


THREADS_SCRIPT = SCRIPT.parent / "threads.py"


def test_the_thread_benchmark_compares_one_thread_with_torchs_setting(benchmark_data, tmp_path,
                                                                      capsys):
    spec = importlib.util.spec_from_file_location("threads", THREADS_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "threads.json"
    module.main(["--rounds", "1", "--samples", "256", "--batch-sizes", "16", "64",
                 "--out", str(out)])
    written = json.loads(out.read_text())
    rows = written["results"]
    assert [(row["model"].split(",")[0], row["batch_size"]) for row in rows] == [
        ("Sign Language MNIST", 16), ("Sign Language MNIST", 64),
        ("MNIST sample", 16), ("MNIST sample", 64)]
    for row in rows:   # the rule the script reports is threads_for's
        small = row["multiply_adds"] < module.SMALL_STEP
        assert row["threads_for"] == (1 if small else written["machine"]["threads"])
        assert row["one_over_many_fastest"] > 0 and row["one_over_many_median"] > 0
    assert "1 / many" in capsys.readouterr().out
