"""Secrets never leave the process: URLs are shown with their credentials masked.

An endpoint URL may carry a user and password (``http://user:pass@host/v1``) or a key in its
query (``?api_key=...``). Every message, log line and record that names an endpoint goes through
:func:`redact_url`; the unmasked URL is only ever handed to the client library that connects.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_SECRET_PARAMS = frozenset({"api_key", "apikey", "key", "token", "access_token", "password", "secret", "sig"})


def redact_url(url: str) -> str:
    """``url`` with any user, password and secret-looking query values replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK  # not a URL we can read: show nothing of it
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
