"""Every rule of the pack, one module each.

A rule module exposes ``POLICY`` (or ``POLICIES``, a list). Modules whose
name starts with an underscore hold shared helpers and are not rules.
"""

import importlib
import pkgutil

from pulumi_policy import Policy


def _discover() -> list[Policy]:
    found: list[Policy] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "POLICY"):
            found.append(module.POLICY)
        found.extend(getattr(module, "POLICIES", []))
    return found


ALL_POLICIES: list[Policy] = _discover()
