"""The exit codes of every `aktuellt` command, declared once.

Cron scripts and CI read these, so a code keeps its meaning: the README table and
`aktuellt --help` are built from or checked against `EXIT_CODES`.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECKS_FAILED = 1
EXIT_SOURCE_FAILED = 2
EXIT_BUSY = 3
EXIT_ERROR = 4
EXIT_USAGE = 64  # EX_USAGE of BSD sysexits.h; Typer/Click's own usage errors are moved here

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success (also a refresh that found nothing new)",
    EXIT_CHECKS_FAILED: "checks failed: a batch was refused, nothing was published",
    EXIT_SOURCE_FAILED: "source failed: Kolada or another source unreachable or failing",
    EXIT_BUSY: "busy: another refresh holds the warehouse lock",
    EXIT_ERROR: "other error: warehouse, disk, a corrupt or newer warehouse file, anything "
    "unexpected",
    EXIT_USAGE: "usage error: a bad option value, an unknown area, indicator, catalog or "
    "format, a missing input file or folder, a catalog or county the warehouse does not hold "
    "yet, a broken aktuellt.toml, filters that match nothing, an SQL query that is refused "
    "or wrong as written",
}
