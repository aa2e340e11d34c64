"""The immutable :class:`SearchSpace`: sampling, membership, and the flat vector coding used by models."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunelab.space._params import Choice, Numeric, Parameter, RandInt


@dataclass(frozen=True, slots=True)
class Dim:
    """One flat dimension of a search space, in depth-first order (a nested choice precedes its children).

    ``categorical`` dims (choice, randint) hold the option index ``0..cardinality-1`` in a vector; numeric
    dims hold a coordinate in [0, 1] (for ``normal`` dims: the normal CDF of the standardized value).
    ``parent``/``parent_option``: the dim is active only when dim ``parent`` holds ``parent_option``
    (``None`` for top-level parameters). ``path`` is the human-readable location, e.g. ``model[1].dropout``.
    """

    index: int
    key: tuple[str | int, ...]
    path: str
    param: Parameter
    parent: int | None = None
    parent_option: int | None = None

    @property
    def type(self) -> str:
        return self.param.type

    @property
    def categorical(self) -> bool:
        return not isinstance(self.param, Numeric)

    @property
    def cardinality(self) -> int | None:
        return None if isinstance(self.param, Numeric) else self.param.cardinality

    @property
    def normal(self) -> bool:
        return isinstance(self.param, Numeric) and self.param.normal


@dataclass(frozen=True, slots=True)
class _Node:
    """A parameter in the tree, with its dim index and (nested choice) the nodes of each option."""

    param: Parameter
    dim: int
    children: tuple[tuple[_Node, ...], ...] | None


class SearchSpace:
    """A validated NNI search space. Immutable: build one with ``parse_search_space``/``load_search_space``.

    Parameters are NNI-format dicts: a nested choice gives ``{"name": {"_name": "a", "sub": v}}``, randint
    an ``int``, choice the option itself, numeric types a ``float``.
    """

    __slots__ = ("_dims", "_nodes", "_params", "_raw")

    def __init__(self, raw: Mapping[str, Any], params: Sequence[Parameter]) -> None:
        self._raw: dict[str, Any] = copy.deepcopy(dict(raw))
        self._params: tuple[Parameter, ...] = tuple(params)
        dims: list[Dim] = []
        self._nodes = _build_nodes(
            self._params, key=(), prefix="", parent=None, parent_option=None, dims=dims
        )
        self._dims: tuple[Dim, ...] = tuple(dims)

    # -- description --------------------------------------------------------------------------------
    def to_nni(self) -> dict[str, Any]:
        """The space in NNI's JSON format, as given (a fresh copy: mutating it does not affect this space)."""
        return copy.deepcopy(self._raw)

    @property
    def names(self) -> tuple[str, ...]:
        """Top-level parameter names, in definition order."""
        return tuple(p.name for p in self._params)

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """Top-level parameters, in definition order."""
        return self._params

    @property
    def is_empty(self) -> bool:
        return not self._params

    @property
    def dims(self) -> tuple[Dim, ...]:
        """Flat dimensions, parents before children (NNI's order)."""
        return self._dims

    def __len__(self) -> int:
        return len(self._params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def __repr__(self) -> str:
        return f"SearchSpace({self._canonical()[:200]})"

    def _canonical(self) -> str:
        return json.dumps(self._raw, sort_keys=True, default=str)

    # -- sampling and membership ----------------------------------------------------------------------
    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """Draw parameters from the prior (uniform over options and ranges, normal for normal types)."""
        return self.decode(self.random_vector(rng))

    def random_vector(self, rng: np.random.Generator) -> np.ndarray:
        """A random coded vector (option indices for categorical dims, coordinates for numeric ones).

        Inactive conditional dims get values too; ``decode`` ignores them.
        """
        vector = rng.random(len(self._dims))
        for dim in self._dims:
            if dim.categorical:
                size = dim.cardinality or 1
                vector[dim.index] = min(math.floor(vector[dim.index] * size), size - 1)
        return vector

    def contains(self, params: Any) -> list[str]:
        """Human-readable reasons why ``params`` is not in this space; empty when it is."""
        if not isinstance(params, Mapping):
            return [f"parameters must be a dict, got {type(params).__name__}"]
        problems: list[str] = []
        _check(self._nodes, params, "", problems)
        return problems

    # -- vector coding --------------------------------------------------------------------------------
    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """Code ``params`` as a float vector over :attr:`dims` (NaN for inactive or unrepresentable dims).

        Lenient by design (customized trials may lie outside the space): an unknown option gives NaN, an
        out-of-range number is clipped. Use :meth:`contains` for a strict check.
        """
        vector = np.full(len(self._dims), np.nan)
        _encode(self._nodes, params, vector)
        return vector

    def decode(self, vector: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """Parameters coded by ``vector``; ``decode(encode(p)) == p`` for every ``p`` in the space.

        Categorical entries are rounded to the nearest valid index. Raises ``ValueError`` when an active
        dim holds NaN or the vector has the wrong length.
        """
        values = np.asarray(vector, dtype=float)
        if values.shape != (len(self._dims),):
            raise ValueError(f"expected a vector of {len(self._dims)} values, got shape {values.shape}")
        return _decode(self._nodes, values)

    def grid(self) -> Iterator[dict[str, Any]]:
        """Enumerate the space in NNI GridSearch order, each distinct parameter set once.

        Categorical dims are enumerated fully; numeric dims are refined in epochs (midpoints, then
        quartiles, eighths, ...; normal types through their inverse CDF). Ends when no dim can be refined
        any more (finite spaces); runs forever for continuous ones. An empty space yields ``{}`` once.
        """
        from tunelab.space._grid import iter_grid

        return iter_grid(self)


def _path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _build_nodes(
    params: Sequence[Parameter],
    *,
    key: tuple[str | int, ...],
    prefix: str,
    parent: int | None,
    parent_option: int | None,
    dims: list[Dim],
) -> tuple[_Node, ...]:
    nodes: list[_Node] = []
    for param in params:
        index = len(dims)
        path = _path(prefix, param.name)
        dims.append(Dim(index, (*key, param.name), path, param, parent, parent_option))
        children = None
        if isinstance(param, Choice) and param.subspaces is not None:
            children = tuple(
                _build_nodes(
                    sub.parameters,
                    key=(*key, param.name, i),
                    prefix=f"{path}[{i}]",
                    parent=index,
                    parent_option=i,
                    dims=dims,
                )
                for i, sub in enumerate(param.subspaces)
            )
        nodes.append(_Node(param, index, children))
    return tuple(nodes)


def _encode(nodes: Sequence[_Node], values: Mapping[str, Any], vector: np.ndarray) -> None:
    for node in nodes:
        param = node.param
        if param.name not in values:
            continue
        value = values[param.name]
        if isinstance(param, Numeric):
            vector[node.dim] = param.to_unit(value)
            continue
        index = param.index_of(value)
        if index is None:
            continue
        vector[node.dim] = index
        if node.children is not None and isinstance(value, Mapping):
            _encode(node.children[index], value, vector)


def _decode(nodes: Sequence[_Node], vector: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in nodes:
        param, u = node.param, float(vector[node.dim])
        if math.isnan(u):
            raise ValueError(f"active dimension {param.name!r} (index {node.dim}) is NaN")
        if isinstance(param, Numeric):
            out[param.name] = param.from_unit(u)
            continue
        index = min(max(round(u), 0), param.cardinality - 1)
        if node.children is not None and isinstance(param, Choice):
            out[param.name] = {"_name": param.option(index)["_name"], **_decode(node.children[index], vector)}
        else:
            out[param.name] = param.option(index)
    return out


def _check(nodes: Sequence[_Node], values: Mapping[str, Any], prefix: str, problems: list[str]) -> None:
    known = {node.param.name for node in nodes}
    for node in nodes:
        param, path = node.param, _path(prefix, node.param.name)
        if param.name not in values:
            problems.append(f"{path}: missing (the search space defines it)")
            continue
        value = values[param.name]
        if isinstance(param, Numeric):
            reason = param.problem(value)
            if reason:
                problems.append(f"{path}: {reason}")
            continue
        index = param.index_of(value)
        if index is None:
            problems.append(f"{path}: {_describe_categorical(param, value)}")
        elif node.children is not None and isinstance(value, Mapping):
            _check(node.children[index], value, f"{path}[{index}]", problems)
    allowed = known | ({"_name"} if prefix else set())
    for extra in sorted(str(k) for k in values if k not in allowed):
        problems.append(f"{_path(prefix, extra)}: not in the search space")


def _describe_categorical(param: Choice | RandInt, value: Any) -> str:
    if isinstance(param, RandInt):
        return f"{value!r:.60} is not an integer in randint [{param.lower}, {param.upper})"
    if param.names is not None:
        name = value.get("_name") if isinstance(value, Mapping) else value
        return f"_name {name!r:.60} is not one of {list(param.names)}"
    return f"{value!r:.60} is not one of the choices {list(param.options)!r:.200}"
