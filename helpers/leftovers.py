"""What killed processes leave behind (partial files, staging folders), found and removed.

A process that is killed cannot clean up after itself. So each such file or folder is
named `<prefix>-<MACHINE>-<process id>-<random>`, and the next process removes those of
processes of this machine that have ended. A cache shared between machines never loses
another machine's work in progress.
"""

import hashlib
import os
import socket

MACHINE = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def remove_leftovers(paths, pattern, remove):
    """Call remove(path) on each of `paths` left by an ended process of this machine.

    pattern: a compiled regex that fullmatches such a name, its first group the machine
        and its second the process id; names it does not match are left alone, and so are
        those of this process, of other machines and of live processes.
    """
    for path in paths:
        match = pattern.fullmatch(path.name)
        if match is None or match[1] != MACHINE or int(match[2]) == os.getpid():
            continue  # not such a name, another machine's, or this process's own
        try:
            os.kill(int(match[2]), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            remove(path)
        except (PermissionError, OverflowError):
            pass  # alive under another user / not a process id: leave it alone
