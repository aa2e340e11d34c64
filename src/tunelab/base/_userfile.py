"""Decode and parse files a user hands us (configs, search spaces) without a traceback for bad bytes.

Two hazards live here rather than in each loader: bytes that are not UTF-8 (a latin-1 or UTF-16 file
saved by an editor) and YAML alias bombs ("billion laughs"), where a few hundred bytes of anchors and
aliases expand into billions of nodes once anything walks the document (validation, ``to_dict``, JSON).
"""

from __future__ import annotations

from typing import Any

from tunelab.base._errors import InvalidInputError

#: The most nodes a YAML document may expand to, aliases counted at every use. Real configs and search
#: spaces hold hundreds; a million leaves room for generated grids while a bomb is refused in milliseconds.
MAX_YAML_NODES = 1_000_000

_BOMS = {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)"}


def decode_text(raw: bytes, where: str, error: type[InvalidInputError] = InvalidInputError) -> str:
    """``raw`` as UTF-8 text (a UTF-8 byte-order mark is dropped); ``error`` names ``where`` otherwise."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        guess = next((name for bom, name in _BOMS.items() if raw.startswith(bom)), None)
        if guess is None and raw[:200].count(b"\x00") * 4 >= min(len(raw), 200):
            guess = "UTF-16"
        source = "utf-16" if guess else "latin1"
        looks = f"it looks like {guess}" if guess else "it may be latin-1 or another legacy encoding"
        raise error(
            f"{where}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); {looks}. "
            f"Save it as UTF-8, e.g. `iconv -f {source} -t utf-8 FILE > FILE.utf8`"
        ) from None


def yaml_load(text: str, where: str, error: type[InvalidInputError] = InvalidInputError) -> Any:
    """``yaml.safe_load(text)``, refusing documents that expand to more than :data:`MAX_YAML_NODES` nodes.

    Raises ``yaml.YAMLError`` for a syntax error (callers word that themselves) and ``error`` for a bomb.
    """
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node)
        if size > MAX_YAML_NODES:
            raise error(
                f"{where}: the YAML expands to more than {MAX_YAML_NODES:,} values through its anchors and "
                "aliases (&name / *name); write the values out or use fewer nested aliases"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(root: Any) -> int:
    """Nodes in the document with every alias expanded, computed once per distinct node (linear time)."""
    import yaml

    sizes: dict[int, int] = {}
    on_path: set[int] = set()  # nodes being expanded: meeting one again is a cycle (`&a [*a]`)
    # Iterative post-order walk: a deep document must not hit Python's recursion limit.
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        children = _children(node, yaml)
        if done:
            on_path.discard(id(node))
            total = 1 + sum(sizes[id(child)] for child in children)
            sizes[id(node)] = min(total, MAX_YAML_NODES + 1)  # capped: the sums stay small integers
            continue
        if id(node) in sizes:
            continue
        if id(node) in on_path:
            return MAX_YAML_NODES + 1  # a recursive document expands without end
        on_path.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children)
    return sizes[id(root)]


def _children(node: Any, yaml: Any) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
