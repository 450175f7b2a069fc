"""Resources in one shape, whichever way they arrive, and the links between them.

The estimator reads two shapes: the plan's recorded resources (``type``,
``inputs``, ``parent`` as a URN, ``property_dependencies`` as URN tuples,
``custom``) and pulumi-policy's ``PolicyResource`` (``resource_type``,
``props`` behind an unknown-checking proxy, ``parent`` as a resource,
``property_dependencies`` as resources). Plain mappings with the same keys work
too. :func:`normalize` turns each into a :class:`Node` with plain values:
unknown values (preview sentinels, the proxy's errors, the plan's
``[unknown]``) become None and secrets are unwrapped, so nothing downstream can
raise on a property access.
"""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from typing import Any

# pulumi-policy's sentinels for values unknown during preview (pulumi_policy.proxy).
UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", "[unknown]",
})
MAX_DEPTH = 32
"""Values nested deeper than this copy as None."""
MAX_ITEMS = 10_000
"""Items of a list beyond this many are left out of its copy."""
_LIMIT = 1e9  # numbers beyond this are treated as nonsense, not as a price multiplier


class Node:
    """One resource with plain props.

    ``deps`` maps a property to the URNs it was computed from; ``custom`` is
    False for component resources, when the source says so. (A plain class:
    a dataclass would cost the pack's start a code generation per class.)
    """

    __slots__ = ("urn", "type", "name", "parent", "props", "deps", "custom")

    def __init__(self, urn: str, type: str, name: str, parent: str | None, props: dict[str, Any],  # noqa: A002
                 deps: dict[str, tuple[str, ...]] | None = None, custom: bool | None = None) -> None:
        self.urn = urn
        self.type = type
        self.name = name
        self.parent = parent
        self.props = props
        self.deps = {} if deps is None else deps
        self.custom = custom

    def __repr__(self) -> str:
        return f"Node(urn={self.urn!r}, type={self.type!r}, name={self.name!r})"


def plain(value: Any, depth: int = 0) -> Any:
    """A plain copy of a property value: dicts, lists, str, int, float, bool or None (unknowns as None).

    Values behind pulumi-policy's unknown-checking proxies are read as any mapping or sequence: an entry
    whose read raises (an unknown value at preview) copies as None.
    """
    if depth > MAX_DEPTH:
        return None
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return None if value in UNKNOWN_SENTINELS else value
    if type(value).__name__ == "SecretValue":
        return plain(getattr(value, "value", None), depth + 1)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        try:
            keys = list(value.keys())
        except Exception:  # noqa: BLE001 - a broken mapping reads as empty
            return {}
        for key in keys:
            try:
                item = value[key]
            except Exception:  # noqa: BLE001 - unknown at preview
                item = None
            out[str(key)] = plain(item, depth + 1)
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items: list[Any] = []
        try:
            length = len(value)
        except Exception:  # noqa: BLE001
            return []
        for index in range(min(length, MAX_ITEMS)):
            try:
                items.append(plain(value[index], depth + 1))
            except Exception:  # noqa: BLE001 - unknown at preview
                items.append(None)
        return items
    return None


def _plain_keys(value: Any, keys: Sequence[str]) -> dict[str, Any]:
    """Plain copies of ``value``'s entries at ``keys`` (read one by one, so only those are copied)."""
    if not isinstance(value, Mapping):
        return {}
    out: dict[str, Any] = {}
    for key in keys:
        try:
            if key not in value:
                continue
            item = value[key]
        except Exception:  # noqa: BLE001 - unknown at preview
            item = None
        out[key] = plain(item, 1)
    return out


@functools.cache
def _is_mapping_class(cls: type) -> bool:
    """``issubclass(cls, Mapping)``, remembered (the ABC check is slow, and a stack is large)."""
    return issubclass(cls, Mapping)


def _attr(resource: Any, *names: str) -> Any:
    mapping = _is_mapping_class(type(resource))
    for name in names:
        if mapping:
            if name in resource:
                return resource[name]
            continue
        try:
            value = getattr(resource, name, None)
        except Exception:  # noqa: BLE001
            value = None
        if value is not None:
            return value
    return None


def _urn_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    urn = _attr(value, "urn") if value is not None else None
    return urn if isinstance(urn, str) and urn else None


def _deps(value: Any) -> dict[str, tuple[str, ...]]:
    """Property -> the URNs it depends on."""
    if not isinstance(value, Mapping):
        return {}
    out: dict[str, tuple[str, ...]] = {}
    try:
        entries = list(value.items())
    except Exception:  # noqa: BLE001
        return {}
    for key, targets in entries:
        if not isinstance(targets, Iterable) or isinstance(targets, str | bytes):
            continue
        try:
            urns = tuple(u for u in (_urn_of(t) for t in targets) if u)
        except Exception:  # noqa: BLE001
            continue
        out[str(key)] = urns
    return out


def normalize(resources: Any, read_types: Collection[str] | None = None,
              read_keys: Mapping[str, Sequence[str]] | None = None) -> list[Node]:
    """Every readable resource of ``resources`` as a :class:`Node`; anything unreadable is skipped.

    With ``read_types``, only resources of those types get their props and dependencies copied (the others'
    are empty): the copy is most of the work, and a reader that looks only at those types' props and
    dependencies gets the same result. ``read_keys`` narrows it further: a type listed there gets only those
    top-level props, and no dependencies.
    """
    if resources is None or isinstance(resources, str | bytes | Mapping) or not isinstance(resources, Iterable):
        return []
    nodes: list[Node] = []
    seen: set[str] = set()
    try:
        items = list(resources)
    except Exception:  # noqa: BLE001
        return []
    for index, resource in enumerate(items):
        rtype = _attr(resource, "resource_type", "type")
        if not isinstance(rtype, str) or not rtype:
            continue
        urn = _attr(resource, "urn")
        if not isinstance(urn, str) or not urn:
            urn = f"urn:pulumi:unknown::unknown::{rtype}::resource-{index}"
        if urn in seen:
            continue
        seen.add(urn)
        name = _attr(resource, "name")
        if not isinstance(name, str) or not name:
            name = urn.rsplit("::", 1)[-1]
        parent = _urn_of(_attr(resource, "parent"))
        if parent is None:
            opts = _attr(resource, "opts")
            parent = _urn_of(_attr(opts, "parent")) if opts is not None else None
        keys = read_keys.get(rtype) if read_keys else None
        read = (read_types is None or rtype in read_types) and keys is None
        source = _attr(resource, "props", "inputs")
        props = plain(source) if read else _plain_keys(source, keys) if keys is not None else {}
        custom = _attr(resource, "custom")
        nodes.append(Node(urn=urn, type=rtype, name=name, parent=parent,
                          props=props if isinstance(props, dict) else {},
                          deps=_deps(_attr(resource, "property_dependencies")) if read else {},
                          custom=custom if isinstance(custom, bool) else None))
    return nodes


# ---------------------------------------------------------------------------
# Reading values.
# ---------------------------------------------------------------------------
def get(props: Any, *path: str | int) -> Any:
    """The value at ``path`` through dicts and lists, or None."""
    current = props
    for step in path:
        if isinstance(step, int) and isinstance(current, list) and -len(current) <= step < len(current):
            current = current[step]
        elif isinstance(step, str) and isinstance(current, dict):
            current = current.get(step)
        else:
            return None
        if current is None:
            return None
    return current


def num(value: Any) -> float | None:
    """A finite number from a number or numeric string (bools are not numbers), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            result = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except (ValueError, OverflowError):
            return None
    else:
        return None
    if not math.isfinite(result) or abs(result) > _LIMIT:
        return None
    return result


def text(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value.strip() else None


def items(value: Any) -> list[Any]:
    """A list value as a list, [] otherwise."""
    return value if isinstance(value, list) else []


def json_document(value: Any) -> Any:
    """A JSON document given as a string (the engine's shape) or already parsed; None if unreadable."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value if isinstance(value, dict | list) else None


def last_segment(value: Any) -> str | None:
    """The part after the last '/' (an ARN's resource name), or the string itself."""
    value = text(value)
    return value.strip().rsplit("/", 1)[-1] if value else None


def autonamed(value: Any, node: Node) -> bool:
    """True when ``value`` is ``node``'s physical name: explicit, or Pulumi's ``<name>-<suffix>`` autoname."""
    value = text(value)
    if value is None:
        return False
    explicit = text(node.props.get("name"))
    if explicit is not None:
        return value == explicit
    prefix = text(node.props.get("namePrefix"))
    if prefix is not None:
        return value.startswith(prefix)
    return value == node.name or (value.startswith(node.name + "-") and "-" not in value[len(node.name) + 1:])


# ---------------------------------------------------------------------------
# The stack.
# ---------------------------------------------------------------------------
class Graph:
    """Lookups over a stack's nodes, built once per estimate."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.by_urn = {n.urn: n for n in nodes}
        self.children: dict[str, list[Node]] = defaultdict(list)
        self.by_type: dict[str, list[Node]] = defaultdict(list)
        for n in nodes:
            if n.parent:
                self.children[n.parent].append(n)
            self.by_type[n.type].append(n)

    def of(self, types: Iterable[str]) -> list[Node]:
        out: list[Node] = []
        for t in dict.fromkeys(types):
            out.extend(self.by_type.get(t, ()))
        return out

    def is_component(self, node: Node) -> bool:
        """A component (or the stack, or a provider): it groups resources and is not billed itself."""
        if node.custom is False or node.type.startswith("pulumi:"):
            return True
        return node.custom is None and bool(self.children.get(node.urn))

    def count(self, types: Iterable[str]) -> int:
        """How many nodes ``of(types)`` holds, without listing them."""
        return sum(len(self.by_type.get(t, ())) for t in dict.fromkeys(types))

    def linked(self, node: Node, key: str, types: Iterable[str],
               by_value: Callable[[Node], bool] | None = None,
               candidates: Iterable[Node] | None = None) -> list[Node]:
        """Nodes of ``types`` that ``node``'s property ``key`` refers to: by dependency, else by value.

        ``candidates`` (from an :class:`Index`) are the only nodes ``by_value`` is tried on: every node it
        can accept, in stack order. Without them it is tried on every node of ``types``, which costs a scan
        of the stack per call; callers that link every service pass candidates.
        """
        wanted = frozenset(types)
        found = [self.by_urn[u] for u in node.deps.get(key, ()) if u in self.by_urn
                 and self.by_urn[u].type in wanted]
        if found or by_value is None:
            return list(dict.fromkeys(found))
        pool = self.of(wanted) if candidates is None else [n for n in candidates if n.type in wanted]
        return [n for n in pool if by_value(n)]

    def ancestors(self, node: Node) -> list[Node]:
        """Parents from the nearest up, as far as they are in the stack."""
        out: list[Node] = []
        seen = {node.urn}
        current = node.parent
        while current and current not in seen and current in self.by_urn:
            seen.add(current)
            parent = self.by_urn[current]
            out.append(parent)
            current = parent.parent
        return out


class Index:
    """Nodes by keys, built once: what a scan for a key would find, by lookup, in the scan's order.

    ``keys(node)`` gives the hashable keys a node is found under (None is skipped). A per-service link goes
    through an index rather than a scan of every node, so an estimate stays linear in the stack size.
    """

    def __init__(self, nodes: Iterable[Node], keys: Callable[[Node], Iterable[Hashable | None]]) -> None:
        self._position: dict[int, int] = {}
        self._by_key: dict[Hashable, list[Node]] = defaultdict(list)
        for position, node in enumerate(nodes):
            self._position[id(node)] = position
            for key in dict.fromkeys(keys(node)):
                if key is not None:
                    self._by_key[key].append(node)

    def get(self, *keys: Hashable | None) -> list[Node]:
        """The nodes under any of ``keys``, each once, in the order the index was built in."""
        buckets = [self._by_key[k] for k in dict.fromkeys(keys) if k is not None and k in self._by_key]
        if len(buckets) == 1:
            return list(buckets[0])
        found = {id(n): n for bucket in buckets for n in bucket}
        return sorted(found.values(), key=lambda n: self._position[id(n)])


def stem(value: str) -> str | None:
    """``value`` without its last ``-suffix``: the logical name an autoname ``<name>-<suffix>`` was made from."""
    return value.rsplit("-", 1)[0] if "-" in value else None


def _physical_name_keys(node: Node) -> tuple[tuple[str, str], ...]:
    """The keys :class:`PhysicalNames` files ``node`` under: one per branch of :func:`autonamed`."""
    explicit = text(node.props.get("name"))
    if explicit is not None:
        return (("name", explicit),)
    prefix = text(node.props.get("namePrefix"))
    if prefix is not None:
        return (("prefix", prefix),)
    return (("auto", node.name),)


class PhysicalNames:
    """Nodes by physical name: :meth:`named` finds the nodes a value is the physical name of (the test of
    :func:`autonamed`) by lookup rather than by trying every node."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        nodes = list(nodes)
        self._index = Index(nodes, _physical_name_keys)
        self._prefixed = any(_physical_name_keys(n)[0][0] == "prefix" for n in nodes)

    def named(self, *values: Any) -> list[Node]:
        """The nodes of which some of ``values`` is the physical name, in the order of ``nodes``."""
        names = [v for v in (text(value) for value in values) if v is not None]
        keys: list[tuple[str, str]] = []
        for name in names:
            keys += [("name", name), ("auto", name)]
            logical = stem(name)
            if logical is not None:
                keys.append(("auto", logical))
            if self._prefixed:
                keys += [("prefix", name[:end]) for end in range(1, len(name) + 1)]
        if not keys:
            return []
        return [n for n in self._index.get(*keys) if any(autonamed(name, n) for name in names)]
