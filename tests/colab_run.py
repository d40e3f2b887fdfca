"""Run the Colab edition as Colab would: every notebook top to bottom, in a fresh kernel.

    python tests/colab_run.py FOLDER WHEEL     (make colab-run sets it up and calls this)

FOLDER is outside the checkout; it gets a copy of colab/*.ipynb and a stub `google.colab`
module. WHEEL is the helpers' wheel. The first cell of every notebook installs the helpers
when `google.colab` is imported, from the repository's URL; here an IPython input
transformer points that install at WHEEL instead. The run fails on the first error in any
notebook, and unless every exercise check printed a verdict.
"""

import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parent.parent
HELPERS = "epochs-minibatches-helpers @ git+https://github.com/epochs-and-minibatches/course@main"
VERDICT = re.compile(r"^(Correct|Not yet|Not attempted): ", re.M)

STARTUP = '''# The Colab-like run's stand-in for Colab (tests/colab_run.py)
import google.colab  # noqa: F401  (the stub: the lessons' first cell sees Colab)


def _install_the_local_wheel(lines):
    return [line.replace({helpers!r}, {wheel!r}) for line in lines]


get_ipython().input_transformers_cleanup.append(_install_the_local_wheel)
'''


def prepare(folder, wheel):
    """Copy the notebooks into folder/notebooks; write the stub and the IPython startup."""
    notebooks = folder / "notebooks"
    shutil.rmtree(notebooks, ignore_errors=True)
    notebooks.mkdir(parents=True)
    for notebook in sorted((ROOT / "colab").glob("*.ipynb")):
        shutil.copy(notebook, notebooks)
    stub = folder / "stub" / "google" / "colab"          # google/ stays a namespace package
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('"""A stand-in for Colab\'s google.colab."""\n')
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-colab.py").write_text(STARTUP.format(helpers=HELPERS, wheel=str(wheel)))
    os.environ["PYTHONPATH"] = str(folder / "stub")
    os.environ["IPYTHONDIR"] = str(folder / "ipython")
    os.environ.setdefault("XDG_CACHE_HOME", str(folder / "cache"))   # the data cache
    return sorted(notebooks.glob("*.ipynb"))


def run(path):
    """Execute one notebook in its folder; return its seconds and its checks' verdicts."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    nbformat.write(notebook, path)                        # kept, to look at after a failure
    verdicts = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and re.search(r"^lesson\d\d\.\w+\.check\(", cell.source, re.M):
            text = "".join(output.get("text", "") for output in cell.outputs)
            verdict = VERDICT.search(text)
            verdicts.append(verdict[1] if verdict else None)
    return seconds, verdicts


def main(folder, wheel):
    folder, wheel = Path(folder).resolve(), Path(wheel).resolve()
    if ROOT in folder.parents or folder == ROOT:
        raise SystemExit(f"the Colab-like run needs a folder outside the checkout, got {folder}")
    failed = []
    for path in prepare(folder, wheel):
        try:
            seconds, verdicts = run(path)
        except nbclient.exceptions.CellExecutionError as error:
            print(f"{path.name}: FAILED\n{str(error)[-3000:]}")
            failed.append(path.name)
            continue
        print(f"{path.name}: ran in {seconds:.0f} s; exercise checks: {verdicts or 'none'}")
        if path.name[:2].isdigit() and (not verdicts or None in verdicts):
            print(f"{path.name}: FAILED: an exercise check printed no verdict")
            failed.append(path.name)
    if failed:
        raise SystemExit(f"the Colab-like run failed in {', '.join(failed)}")
    print("the Colab-like run: every notebook ran top to bottom")


if __name__ == "__main__":
    main(*sys.argv[1:3])
