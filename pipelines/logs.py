"""Structured log lines (one JSON object per line) for the refresh, under data/logs/."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:  # log.exception: the traceback is what a maintainer needs
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class QuietFileHandler(logging.FileHandler):
    """A log file that never prints logging's own traceback to the terminal.

    When the disk is full (or `ulimit -f` is reached) the log cannot be written either; the
    command's own one-line message says what failed, so a failed log line is dropped.
    """

    def handleError(self, record: logging.LogRecord) -> None:
        self.failed_records = getattr(self, "failed_records", 0) + 1


def log_to_file(logs_dir: Path, name: str = "aktuellt.log") -> Path:
    """Send the `aktuellt` loggers' records to logs_dir/name as JSON lines; return the path."""
    logs_dir.mkdir(parents=True, exist_ok=True)
    path = logs_dir / name
    logger = logging.getLogger("aktuellt")
    if not any(getattr(h, "baseFilename", None) == str(path) for h in logger.handlers):
        handler = QuietFileHandler(path, encoding="utf-8")
        handler.setFormatter(JsonLines())
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return path
