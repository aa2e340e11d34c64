"""Packages that load their public names on first use (PEP 562), so that importing one costs nothing until
a name is read: a trial importing ``tunelab`` must not pay for numpy, the web framework or the tuners."""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False  # not typing's: a trial imports this through `import tunelab`, and typing costs ~10 ms
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_attributes(package: str, table: Mapping[str, str | tuple[str, str]]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: each name in ``table`` is imported from its module (a
    module path, or ``(module path, attribute)`` when the attribute is named otherwise) when first read,
    then kept in the package's namespace; any other name is an AttributeError naming the package."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = (target, name) if isinstance(target, str) else target
        value = getattr(importlib.import_module(module), attribute)
        namespace[name] = value
        return value

    return __getattr__
