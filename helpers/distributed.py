"""Running a script on several processes with torchrun, from a notebook (lesson 9).

A notebook cannot hand its own functions to other processes, so lesson 9 writes each
distributed script to a file (`%%writefile`) and runs it with `torchrun`:

- `scratch_folder()`: a temporary folder for the scripts and what they hand back, outside
  the course's files, removed when Python (the notebook's kernel) exits;
- `torchrun(script, nproc=2)`: runs the script on `nproc` processes, prints what they
  printed, and returns what rank 0 handed back with `share`;
- `share(**values)`, called in the script: rank 0's values, saved for `torchrun` to return;
- `rank_device()`, called in the script: this rank's GPU when every rank has one, else the CPU.
"""

import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from helpers.checks import check, check_positive_int
from helpers.leftovers import MACHINE, remove_leftovers

RESULTS = "COURSE_RESULTS"  # the environment variable that tells `share` where to save


class LaunchError(RuntimeError):
    """A torchrun launch that failed: a process raised, or the run outlived its timeout."""


_scratch = None
SCRATCH = re.compile(r"course-processes-([0-9a-f]{8})-([0-9]+)-\w+")   # helpers.leftovers


def scratch_folder():
    """A temporary folder (a Path) for the lesson's scripts, the same one at every call.

    It lies outside the course's files, in the system's temporary folder, and is removed
    with everything in it when this Python process exits. A kernel that is killed cannot
    remove its own: the next call, in any process, removes those of processes that ended.
    """
    global _scratch
    if _scratch is None or not _scratch.is_dir():
        remove_leftovers(Path(tempfile.gettempdir()).glob("course-processes-*"), SCRATCH,
                         lambda folder: shutil.rmtree(folder, ignore_errors=True))
        _scratch = Path(tempfile.mkdtemp(prefix=f"course-processes-{MACHINE}-{os.getpid()}-"))
        atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
    return _scratch


def torchrun(script, *args, nproc=2, timeout=60):
    """Run `script` on `nproc` processes with torchrun, on this machine; return its results.

    script: the path of a Python file; args: its command-line arguments (str() of each);
    nproc: the number of processes (ranks), an int >= 1; timeout: seconds, > 0, for the
        whole run, torch's start-up in every process included.
    The processes start with `python -m torch.distributed.run --standalone`, which picks a
    free port for every launch. Each runs on one CPU thread unless OMP_NUM_THREADS is set.
    What they printed to standard output is printed here (the lesson's scripts print on
    rank 0 only); their standard error goes to `<script>.log` beside the script.
    Returns the dict that rank 0 passed to `share` ({} if it did not call it).
    Raises LaunchError, with the end of the processes' standard error, if a process failed
    or the run took longer than `timeout` (every process is then killed).
    """
    script = Path(script)
    if not script.is_file():
        raise FileNotFoundError(f"script={str(script)!r} is not a file; write it first "
                                f"(%%writefile in a notebook)")
    nproc = check_positive_int("nproc", nproc)
    timeout = check("timeout", timeout, float, lambda v: 0 < v < float("inf"),
                    "a finite number of seconds > 0")
    results = script.with_suffix(".results.pt")
    results.unlink(missing_ok=True)
    log = script.with_suffix(".log")
    env = {**os.environ, RESULTS: str(results)}
    env.setdefault("OMP_NUM_THREADS", "1")  # torchrun sets it too, with a warning
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={nproc}", str(script), *map(str, args)]
    with open(log, "w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                   env=env, start_new_session=True)
        try:
            stdout, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise LaunchError(f"{script.name} on {nproc} processes did not end within "
                              f"{timeout:g} s, and was stopped. The end of its standard "
                              f"error:\n{_tail(log)}") from None
    print(stdout, end="")
    if process.returncode != 0:
        raise LaunchError(f"{script.name} on {nproc} processes failed (exit code "
                          f"{process.returncode}). {_failure(log)}")
    return torch.load(results, weights_only=True) if results.exists() else {}


def _kill(process):
    """Stop torchrun and every process it started (they share its session)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


def _failure(log):
    """What went wrong, from torchrun's standard error: the traceback of the rank that failed
    first (torchrun prefixes each rank's lines with [rankN]:), else the end of the log."""
    text = Path(log).read_text(errors="replace")
    first = re.search(r"Root Cause.*?\brank\s*:\s*(\d+)", text, re.S)
    rank = int(first[1]) if first else None
    lines = [line.split(":", 1)[1][1:] for line in text.splitlines()
             if rank is not None and line.startswith(f"[rank{rank}]:")]
    if not lines:
        return f"The end of its standard error:\n{_tail(log)}"
    return f"Rank {rank} failed first:\n" + "\n".join(lines[-30:])


def _tail(log, lines=40):
    """The last `lines` lines of the file `log`, without torchrun's banner lines."""
    text = [line for line in Path(log).read_text(errors="replace").splitlines()
            if line.strip() and not set(line.strip()) <= {"*", "="}]
    return "\n".join(text[-lines:])


def share(**values):
    """In a script run by `torchrun`: on rank 0, save `values` for the notebook to receive.

    values: tensors, numbers, strings, and lists or dicts of them (torch.save's safe types).
    Other ranks save nothing. Call it after torch.distributed.init_process_group.
    """
    import torch.distributed as dist

    if dist.get_rank() == 0:
        torch.save(values, os.environ[RESULTS])


def rank_device():
    """This process's torch.device: cuda:LOCAL_RANK if every local rank has a GPU, else cpu.

    Two processes cannot share one GPU under NCCL, so on a machine with fewer GPUs than
    processes (Colab's one GPU, say) every rank runs on the CPU, over gloo.
    """
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", 1))
    if torch.cuda.is_available() and torch.cuda.device_count() >= local_world:
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")
