"""Processes as Linux's /proc shows them, for tests and `make chaos` that hold a refresh's check
worker to ending with its run. A process is known by its pid and start time together, so that a
pid the kernel has handed to another process since is never mistaken for it (nor killed)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Process:
    pid: int
    started: int  # clock ticks after boot: with the pid, names one process for good


def children_of(pid: int) -> list[Process]:
    """The processes whose parent is `pid` now."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                children.append(Process(int(entry.name), int(fields[19])))
    return children


def command_line(process: Process) -> str:
    try:
        return Path(f"/proc/{process.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def is_running(process: Process) -> bool:
    """True while the process runs: gone, a zombie (ended, waiting to be reaped) or another
    process under the same pid is not."""
    fields = _stat_fields(process.pid)
    return fields is not None and int(fields[19]) == process.started and fields[0] not in "ZX"


def ends_within(process: Process, seconds: float) -> bool:
    """Whether the process ends within `seconds`; if it does not, it is killed (a test leaves
    nothing behind) and the answer is False."""
    deadline = time.monotonic() + seconds
    while is_running(process):
        if time.monotonic() > deadline:
            os.kill(process.pid, signal.SIGKILL)
            return False
        time.sleep(0.02)
    return True


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [0] state, [1] parent pid, [19] start time."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()
