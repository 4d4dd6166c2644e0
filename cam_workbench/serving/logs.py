"""The server's log lines as JSON, one object per line, for log shippers (``--log-format json``).

The privacy rules are the text log's: :class:`~cam_workbench.serving.http.PrivacyLogFilter`
rewrites every record (no query string, no client address, tracebacks reduced where the
text log reduces them) before any formatter sees it; this module only changes the layout.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

JSON_FIELDS: Final = ("time", "level", "logger", "message")
"""Keys of every line (``exception`` is added when a record keeps its traceback)."""


class JsonLogFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"[, "exception"]}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (newlines inside values are escaped)."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def json_line(logger: str, message: str, level: str = "info") -> str:
    """One log line in the JSON layout, for what is printed before logging is set up."""
    record = logging.LogRecord(
        logger, logging.getLevelName(level.upper()), "", 0, message, (), None
    )
    return JsonLogFormatter().format(record)


def use_json(loggers: Iterable[logging.Logger]) -> None:
    """Give every handler of these loggers (and of the root logger) the JSON layout.

    Loggers without a handler of their own get one on stderr, so that nothing falls through
    to Python's last-resort handler (which prints a bare message).
    """
    formatter = JsonLogFormatter()
    logging.captureWarnings(True)  # Python warnings become log records, not bare stderr lines
    for logger in [*loggers, logging.getLogger("py.warnings"), logging.getLogger()]:
        if not logger.handlers and logger is not logging.getLogger():
            logger.addHandler(logging.StreamHandler())
            logger.propagate = False
        for handler in logger.handlers:
            handler.setFormatter(formatter)
