"""One way to plug in a part. Engines, embedders and stores are each a :class:`Plugins` registry
of named factories: the built-in ones listed where they are defined, and any other found by name in
an entry-point group (``qa.engines``, ``qa.embedders``, ``qa.stores``) of an installed package, so
that adding one changes nothing here. A plugin's module is imported only when it is used."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar, cast

from qa.errors import QAError, UnknownPlugin

F = TypeVar("F")


class Plugins(Generic[F]):
    def __init__(
        self, kind: str, setting: str, builtins: Mapping[str, F], error: type[QAError] = UnknownPlugin
    ) -> None:
        self.kind = kind  # "engine", "embedder", "store"
        self.group = f"qa.{kind}s"
        self.setting = setting  # the environment variable that names one, for messages
        self.builtins = dict(builtins)
        self.error = error
        self._found: dict[str, EntryPoint] | None = None

    def _entry_points(self) -> dict[str, EntryPoint]:
        # Listed once per process: a registry is asked on every request.
        if self._found is None:
            self._found = {ep.name: ep for ep in entry_points(group=self.group) if ep.name not in self.builtins}
        return self._found

    def refresh(self) -> None:
        """Forget the entry points listed (a package installed since, as tests do)."""
        self._found = None

    def names(self) -> list[str]:
        return sorted({*self.builtins, *self._entry_points()})

    def check(self, name: str) -> None:
        """Raise the registry's error, naming the known ones, if ``name`` is none of them."""
        if name not in self.builtins and name not in self._entry_points():
            raise self.error(f"unknown {self.kind} {name!r} in {self.setting} (known: {', '.join(self.names())})")

    def get(self, name: str) -> F:
        """The factory registered as ``name`` (an entry point's is loaded now)."""
        self.check(name)
        if name in self.builtins:
            return self.builtins[name]
        return cast(F, self._entry_points()[name].load())
