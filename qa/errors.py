"""A small hierarchy of errors whose messages a user can act on.

Every error the service raises on purpose derives from :class:`QAError`; the API maps each
class to an HTTP status (in ``qa/api/errors.py``, the one place that knows HTTP) and the CLI
prints the message without a traceback.
"""

from __future__ import annotations


class QAError(Exception):
    """Base class. ``str(err)`` is a complete sentence meant for the user."""


class InvalidInput(QAError):
    """The input is malformed or breaks a limit (HTTP 422/400).

    ``field``, when given, names the input at fault (e.g. ``since``); ``reason`` is the message
    without it, for a caller that names the input its own way (the CLI's ``--since``).
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)


class ArticleError(InvalidInput):
    """One article (or one line/file holding it) could not be read.

    ``where`` names the file and, when known, the line or item, e.g. ``feed.jsonl:12``.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.reason = message


class NotFound(QAError):
    """No such article, job or day."""


class Conflict(QAError):
    """The request does not fit the resource's state (HTTP 409): a finished job cannot be cancelled."""


class StoreUnavailable(QAError):
    """The vector store cannot be reached or opened."""


class QueueUnavailable(StoreUnavailable):
    """The shared job queue (Redis, ``QA_QUEUE_URL``) cannot be reached."""


class UnknownPlugin(QAError):
    """A setting names no part its registry knows (built in, or added by a plugin package):
    ``QA_EMBEDDER``, ``QA_STORE``."""


class UnknownEngine(UnknownPlugin):
    """``QA_ENGINE`` names no engine the registry knows (built in, or added by a plugin package)."""


class EmbedderMismatch(QAError):
    """The store's vectors came from another embedder than the configured one (or another dimension).

    Searching them with this process's query vectors would be meaningless, so nothing is served;
    the message names both embedders and the fix (``qa reindex``).
    """


class EmbeddingEndpointError(QAError):
    """The embeddings endpoint failed (down, timed out after retries, or answered nonsense)."""


class EngineError(QAError):
    """The answer engine failed (e.g. the LLM endpoint is down or answered nonsense)."""


class Overloaded(QAError):
    """Too much work in flight; come back after ``retry_after_s``."""

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)
