"""The shapes of the six result types, checked with the same rules and messages as the Rust writer
(``src/storage/format.rs``): sizes named by the same letter must agree; optional fields may be left out."""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple, Union

Dim = Union[str, int]  # a letter names a size shared between fields; an int is a fixed size
Spec = Tuple[str, Sequence[Dim], bool]  # (field, dims, required)

_SOLUTION_1D: Sequence[Spec] = [("x", ["n"], True), ("computed", ["n"], True), ("expected", ["n"], False)]
_SOLUTION_2D: Sequence[Spec] = [("values", ["y", "x"], True), ("x", ["x"], False), ("y", ["y"], False)]
# A field that grew: one snapshot per time.
_SNAPSHOTS: Sequence[Spec] = [
    ("values", ["s", "y", "x"], True),
    ("t", ["s"], True),
    ("x", ["x"], False),
    ("y", ["y"], False),
]
_ENSEMBLE: Sequence[Spec] = [("t", ["n"], True), ("paths", ["m", "n"], True)]
_SEQUENCE: Sequence[Spec] = [("values", ["n"], True), ("index", ["n"], False), ("expected", ["n"], False)]
_OPTIMIZATION: Sequence[Spec] = [
    ("loss", ["k"], True),
    ("params", ["k", "p"], False),
    ("param_names", ["p"], False),
    ("step", ["k"], False),
]
_BODIES: Sequence[Spec] = [("positions", ["f", "b", 2], True), ("t", ["f"], False)]
_FIELDS: Sequence[Spec] = [("frames", ["f", "y", "x"], True), ("t", ["f"], False)]

SCHEMAS = {
    "Solution1D": [_SOLUTION_1D],
    "Solution2D": [_SOLUTION_2D, _SNAPSHOTS],
    "StochasticEnsemble": [_ENSEMBLE],
    "DiscreteSequence": [_SEQUENCE],
    "OptimizationResult": [_OPTIMIZATION],
    "PhysicsAnimation": [_BODIES, _FIELDS],
}

KNOWN_RESULT_TYPES = tuple(SCHEMAS)


def _describe(dims: Sequence[Dim]) -> str:
    return "[" + ", ".join(str(d) for d in dims) + "]"


def _shape_text(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _validate_one(result_type: str, specs: Sequence[Spec], shape_of: Callable[[str], Optional[Sequence[int]]]) -> Optional[str]:
    bound: dict = {}
    for name, dims, required in specs:
        expected = _describe(dims)
        shape = shape_of(name)
        if shape is None:
            if required:
                return f"{result_type} needs field `{name}` of shape {expected}, found none"
            continue

        def mismatch(detail: str = "") -> str:
            return f"{result_type} field `{name}`: expected shape {expected}{detail}, found {_shape_text(shape)}"

        if len(shape) != len(dims):
            return mismatch()
        for dim, size in zip(dims, shape):
            if isinstance(dim, int):
                if dim != size:
                    return mismatch()
            elif dim in bound:
                n, source = bound[dim]
                if n != size:
                    return mismatch(f" with {dim} = {n} (from `{source}`)")
            else:
                bound[dim] = (size, name)
    return None


def validate(result_type: str, shape_of: Callable[[str], Optional[Sequence[int]]]) -> Optional[str]:
    """The first problem with the fields' shapes, or ``None``; unknown result types always pass."""
    alternatives = SCHEMAS.get(result_type)
    if alternatives is None:
        return None
    first = None
    for specs in alternatives:
        problem = _validate_one(result_type, specs, shape_of)
        if problem is None:
            return None
        first = first or problem
    return first
