"""Modules imported on first use, so a cold start pays only for what its route needs."""

from __future__ import annotations

import importlib
from types import ModuleType


class LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name

    def _load(self) -> ModuleType:
        return importlib.import_module(self._name)  # cached in sys.modules after the first call

    def __getattr__(self, attribute: str) -> object:
        return getattr(self._load(), attribute)


def lazy_module(name: str) -> LazyModule:
    return LazyModule(name)
