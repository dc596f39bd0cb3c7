"""How :class:`~qa.services.Services` holds its parts (built on first use, once) and what it
reports of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class built_once(Generic[T]):  # lower case: used like functools.cached_property
    """A part of :class:`Services` built on first use, once whatever the threads: two requests
    arriving together must not build two engines, two retrievers or two briefing caches (since
    Python 3.12 ``cached_property`` takes no lock). One re-entrant lock per ``Services``, since
    building one part may build another (the answer service needs the engine)."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> built_once[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> T | built_once[T]:
        if obj is None:
            return self
        parts = obj.__dict__
        if self.name not in parts:
            lock = parts.get("_build_lock")
            if lock is None:
                raise TypeError(
                    f"{type(obj).__name__} has no _build_lock: built_once needs an RLock field by that name"
                )
            with lock:
                if self.name not in parts:
                    parts[self.name] = self.build(obj)
        return parts[self.name]


@dataclass(frozen=True)
class Status:
    """What a health check and ``qa doctor`` show of the service: which store and engine, and
    (when counted) how much the store holds."""

    store: str
    engine: str
    articles: int | None = None
    chunks: int | None = None
    embedder: str | None = None  # the identity of what made the stored vectors (None: empty store)
    replaced_chunks: int | None = None  # room the vector index keeps until a rebuild (Reindexable stores)
