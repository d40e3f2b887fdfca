"""The benchmark script runs end to end and writes its table as JSON (its timings are not
checked here: speed is compared as ratios within one benchmark run, never in a test)."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "epoch_time.py"


def load_script():
    spec = importlib.util.spec_from_file_location("epoch_time", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_writes_one_row_per_model_and_batch_size(tmp_path, capsys):
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
