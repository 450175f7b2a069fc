"""A project's own answers for the offline plan's mocks, from a Python file.

The file (``--mocks FILE``, or ``offline_mocks.py`` in the project directory)
defines either function or both::

    def invoke(token, args):          # a provider function's answer
        if token == "aws:ec2/getVpc:getVpc":
            return {"id": "vpc-0a1b2c3d4e5f60718", "cidrBlock": "172.31.0.0/16"}
        return None                   # keep the generated answer

    def resource(type, name, inputs): # a resource's outputs
        if type == "aws:rds/instance:Instance":
            return {"address": "orders.internal.example.com"}
        return None

Names are the engine's (``aws:rds/instance:Instance``, camelCase keys);
``args`` and ``inputs`` are plain values. The returned keys replace those of
the generated answer or outputs, the rest stay; ``"id"`` in ``resource``'s
answer sets the physical id.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_FILE = "offline_mocks.py"
"""The hook file picked up from the project directory when ``--mocks`` is not given."""


class HookError(Exception):
    """A hook file that cannot be loaded, or a hook that failed; ``str()`` is one line naming the file."""


@dataclass(frozen=True)
class MockHooks:
    """The functions a hook file defines."""

    path: Path
    invoke: Callable[[str, dict[str, Any]], Any] | None = None
    resource: Callable[[str, str, dict[str, Any]], Any] | None = None

    def invoke_answer(self, token: str, args: Mapping[str, Any]) -> dict[str, Any] | None:
        """What ``invoke(token, args)`` returns, or None when the file has no opinion."""
        if self.invoke is None:
            return None
        return self._checked("invoke", repr(token), self.invoke, token, dict(args))

    def resource_outputs(self, type_token: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any] | None:
        """What ``resource(type, name, inputs)`` returns, or None when the file has no opinion."""
        if self.resource is None:
            return None
        return self._checked("resource", f"{type_token!r}, {name!r}", self.resource, type_token, name, dict(inputs))

    def _checked(self, function: str, shown: str, hook: Callable[..., Any], *args: Any) -> dict[str, Any] | None:
        try:
            result = hook(*args)
        except Exception as exc:  # noqa: BLE001 - the user's code: reported as one line naming the file
            first = (str(exc).strip().splitlines() or [""])[0]
            raise HookError(f"{self.path}: {function}({shown}) raised {type(exc).__name__}"
                            + (f": {first}" if first else "")) from exc
        if result is not None and not isinstance(result, Mapping):
            raise HookError(f"{self.path}: {function}({shown}) must return a dict or None, "
                            f"not {type(result).__name__}")
        return dict(result) if result is not None else None


def load_hooks(path: Path) -> MockHooks:
    """The hooks ``path`` defines; :class:`HookError` when it is missing, broken or defines neither."""
    path = Path(path)
    if not path.is_file():
        raise HookError(f"{path}: mocks file not found")
    spec = importlib.util.spec_from_file_location(f"_offline_mocks_{abs(hash(str(path.resolve())))}", path)
    if spec is None or spec.loader is None:
        raise HookError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise HookError(f"{path}: line {exc.lineno}: {exc.msg}") from exc
    except Exception as exc:  # noqa: BLE001 - the user's code: reported as one line naming the file
        first = (str(exc).strip().splitlines() or [""])[0]
        raise HookError(f"{path}: loading it raised {type(exc).__name__}" + (f": {first}" if first else "")) from exc
    hooks = {name: getattr(module, name, None) for name in ("invoke", "resource")}
    for name, hook in hooks.items():
        if hook is not None and not callable(hook):
            raise HookError(f"{path}: '{name}' must be a function")
    if not any(hooks.values()):
        raise HookError(f"{path}: defines neither invoke(token, args) nor resource(type, name, inputs)")
    return MockHooks(path=path, invoke=hooks["invoke"], resource=hooks["resource"])


def find_hooks(project_dir: Path, mocks_file: Path | None = None) -> MockHooks | None:
    """``mocks_file``'s hooks, else the project's ``offline_mocks.py`` if present, else None."""
    if mocks_file is not None:
        return load_hooks(Path(mocks_file))
    default = Path(project_dir) / DEFAULT_FILE
    return load_hooks(default) if default.is_file() else None
