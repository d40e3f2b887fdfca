"""helpers.distributed: lesson 9's scripts run with torchrun, from a notebook."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
import torch

from helpers import distributed
from helpers.distributed import LaunchError, rank_device, scratch_folder, torchrun
from helpers.leftovers import MACHINE

ROOT = Path(__file__).resolve().parent.parent


def script(tmp_path, body, name="job.py"):
    path = tmp_path / name
    path.write_text("import torch\nimport torch.distributed as dist\n"
                    "from helpers.distributed import share\n\n"
                    "dist.init_process_group()\nrank = dist.get_rank()\n"
                    + textwrap.dedent(body))
    return path


def test_each_rank_runs_the_script_and_rank_0s_shared_values_come_back(tmp_path, capsys):
    path = script(tmp_path, """
        total = torch.tensor([float(rank + 1)])
        dist.all_reduce(total)
        if rank == 0:
            print("world", dist.get_world_size(), "threads", torch.get_num_threads())
        share(rank=rank, total=total, world=dist.get_world_size())
        dist.destroy_process_group()
        """)
    results = torchrun(path, nproc=2, timeout=60)
    assert results["rank"] == 0 and results["world"] == 2   # rank 0's values, not rank 1's
    assert torch.equal(results["total"], torch.tensor([3.0]))   # 1 + 2: both ranks took part
    expected_threads = os.environ.get("OMP_NUM_THREADS", "1")
    assert capsys.readouterr().out == f"world 2 threads {expected_threads}\n"


def test_arguments_reach_the_script_and_nothing_shared_gives_an_empty_dict(tmp_path, capsys):
    path = script(tmp_path, """
        import sys
        if rank == 0:
            print(sys.argv[1:])
        dist.destroy_process_group()
        """)
    assert torchrun(path, 0.5, "scaled", nproc=1) == {}
    assert capsys.readouterr().out == "['0.5', 'scaled']\n"


def test_torchruns_warnings_stay_out_of_the_notebook_and_go_to_the_log(tmp_path, capfd):
    path = script(tmp_path, """
        import sys
        print("a warning", file=sys.stderr)
        dist.destroy_process_group()
        """)
    torchrun(path, nproc=2)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    log = path.with_suffix(".log").read_text()
    assert log.count("a warning") == 2
    assert "OMP_NUM_THREADS" not in log       # torchrun's warning: the variable is set


def test_a_rank_that_raises_fails_the_run_with_its_error(tmp_path):
    path = script(tmp_path, """
        if rank == 1:
            raise ValueError("rank 1 found a bad batch")
        dist.barrier()                  # rank 0 waits for rank 1, which never comes
        """)
    start = time.monotonic()
    with pytest.raises(LaunchError, match="job.py on 2 processes failed") as error:
        torchrun(path, nproc=2, timeout=60)
    assert "Rank 1 failed first:\nTraceback" in str(error.value)
    assert str(error.value).endswith("ValueError: rank 1 found a bad batch")
    assert time.monotonic() - start < 30       # torchrun stops rank 0: no wait for the timeout


def test_a_run_that_hangs_is_stopped_at_its_timeout_with_every_process(tmp_path):
    pids = tmp_path / "pids"
    path = script(tmp_path, f"""
        import os, time
        with open({str(pids)!r}, "a") as file:
            print(os.getpid(), file=file, flush=True)
        time.sleep(600)
        """)
    start = time.monotonic()
    with pytest.raises(LaunchError, match="did not end within 8 s"):
        torchrun(path, nproc=2, timeout=8)
    assert time.monotonic() - start < 20
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) == 2
    for pid in started:                 # no rank left running
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"nproc": 0}, ValueError, "nproc must be a positive int, got 0"),
    ({"nproc": 1.5}, TypeError, "nproc must be a positive int, got 1.5"),
    ({"timeout": 0}, ValueError, "timeout must be a finite number of seconds > 0, got 0"),
    ({"timeout": float("inf")}, ValueError, "timeout must be a finite number"),
    ({"timeout": "60"}, TypeError, "timeout must be a finite number"),
])
def test_bad_arguments_are_refused_with_their_name_and_value(tmp_path, kwargs, error, words):
    path = script(tmp_path, "dist.destroy_process_group()\n")
    with pytest.raises(error, match=words.replace("(", r"\(")):
        torchrun(path, **kwargs)


def test_a_script_that_was_not_written_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.py.*is not a file; write it first"):
        torchrun(tmp_path / "missing.py")


def test_the_scratch_folder_lies_outside_the_course_and_goes_when_python_exits():
    code = ("from helpers.distributed import scratch_folder\n"
            "a, b = scratch_folder(), scratch_folder()\n"
            "assert a == b and a.is_dir()\n"
            "(a / 'job.py').write_text('')\n"
            "print(a)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    folder = Path(done.stdout.strip())
    assert not folder.is_relative_to(ROOT)
    assert not folder.exists()


def test_the_scratch_folders_of_killed_kernels_are_removed_by_the_next_one():
    code = ("import os, signal\n"
            "from helpers.distributed import scratch_folder\n"
            "print(scratch_folder(), flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")     # killed: atexit never runs
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    left = Path(killed.stdout.strip())
    assert killed.returncode == -9 and left.is_dir()
    alive = Path(tempfile.mkdtemp(prefix=f"course-processes-{MACHINE}-{os.getppid()}-"))
    other = Path(tempfile.mkdtemp(prefix="course-processes-notes-"))             # not a pid
    try:
        code = "from helpers.distributed import scratch_folder\nscratch_folder()\n"
        subprocess.run([sys.executable, "-c", code], check=True)
        assert not left.exists()
        assert alive.is_dir() and other.is_dir()
    finally:
        shutil.rmtree(left, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)
        shutil.rmtree(other, ignore_errors=True)


def test_the_scratch_folder_is_made_again_if_it_was_removed():
    folder = scratch_folder()
    folder.rmdir()
    again = scratch_folder()
    assert again.is_dir() and again != folder


def test_every_rank_runs_on_the_cpu_when_the_gpus_are_fewer_than_the_ranks(monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert rank_device() == torch.device("cpu")


def test_each_rank_gets_its_own_gpu_when_there_are_enough(monkeypatch):
    chosen = []
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_device", chosen.append)
    assert rank_device() == torch.device("cuda", 1)
    assert chosen == [1]


def test_share_writes_nothing_outside_rank_0(tmp_path, monkeypatch):
    target = tmp_path / "results.pt"
    monkeypatch.setenv(distributed.RESULTS, str(target))
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 1)
    distributed.share(value=1)
    assert not target.exists()
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 0)
    distributed.share(value=1)
    assert torch.load(target, weights_only=True) == {"value": 1}


def test_a_failing_launch_in_a_notebook_stops_its_execution_with_the_ranks_error(tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from helpers.distributed import scratch_folder, torchrun\n"
                                  "folder = scratch_folder()"),
        nbformat.v4.new_code_cell("%%writefile {folder}/bad.py\n"
                                  "import torch.distributed as dist\n"
                                  "dist.init_process_group()\n"
                                  "if dist.get_rank() == 1:\n"
                                  "    raise KeyError('no such column')\n"
                                  "dist.barrier()\n"),
        nbformat.v4.new_code_cell("torchrun(folder / 'bad.py', nproc=2, timeout=60)"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ])
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError, match="Rank 1 failed first") as error:
        client.execute()            # what jupyter-book and nbval do: the build fails here
    assert "KeyError: 'no such column'" in str(error.value)
    assert notebook.cells[3].outputs == []
