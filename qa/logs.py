"""Logging: one JSON object per line (or plain text), each carrying the request id it belongs to.

The request id and the per-stage timings live in context variables, so any module can log or
record a timing without knowing about HTTP; the API sets them per request and its access-log
line reports them.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("qa_request_id", default=None)
# A dict per request, shared by reference with worker threads (which run in a copy of the context).
_stages: ContextVar[dict[str, float] | None] = ContextVar("qa_stage_timings", default=None)

# LogRecord attributes every record has; anything else was passed with ``extra=`` and is logged as a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of msg with terminal colours
}


def start_stages() -> dict[str, float]:
    stages: dict[str, float] = {}
    _stages.set(stages)
    return stages


def record_stages(marks: dict[str, float], prefix: str = "") -> None:
    """Add stage timings (ms) to the current request's record; a no-op outside a request."""
    stages = _stages.get()
    if stages is not None:
        for k, v in marks.items():
            stages[f"{prefix}{k}"] = v


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # Set at creation, so every handler (ours, pytest's, a library's) sees which request logged it.
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id.get()
    return record


logging.setLogRecordFactory(_record_with_request_id)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _STANDARD and v is not None:
                out[k] = v
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure(fmt: str = "auto", level: str = "INFO") -> None:
    """Route all logs (ours, uvicorn's, chromadb's) through one handler on stderr: JSON lines for
    a collector, text for a person at a terminal (``auto`` tells them apart)."""
    handler = logging.StreamHandler(sys.stderr)
    json_lines = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # Our qa.access line (request id, client, stage timings) replaces uvicorn's.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers[:] = []
    uvicorn_access.propagate = False
    # Chatty third parties: their INFO and DEBUG lines are noise in a service log.
    for name in ("httpx", "chromadb", "openai", "httpcore", "bm25s"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
