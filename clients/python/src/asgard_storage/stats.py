"""Result statistics (``error.max``, ``loss.final``, …): a few numbers per result, computed once when it is
written and kept in the result's file and its run's file, so that the run list can filter and sort by them
(docs/storage-format.md, "Result statistics"). The Rust writer computes the same numbers."""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional

import numpy as np


def _number(value: Any) -> Optional[float]:
    """A finite number as a float; NaN and infinities as ``None`` (``null`` in the files)."""
    value = float(value)
    return value if math.isfinite(value) else None


def compute(result_type: str, arrays: Mapping[str, np.ndarray], display: Mapping[str, Any]) -> Dict[str, Optional[float]]:
    """The statistics of a result from its numeric fields (as NumPy arrays). A NaN in the values makes a
    statistic ``None``, as NumPy's ``max`` and ``mean`` make it NaN; types without statistics have none."""

    def field(name: str) -> Optional[np.ndarray]:
        array = arrays.get(name)
        return None if array is None else np.asarray(array, dtype=np.float64)

    if result_type in ("Solution1D", "DiscreteSequence"):
        got = field("computed" if result_type == "Solution1D" else "values")
        want = field("expected")
        if got is None or want is None or got.size != want.size or got.size == 0:
            return {}
        d = got.ravel() - want.ravel()
        return {
            "error.max": _number(np.max(np.abs(d))),
            "error.rms": _number(np.sqrt(np.mean(d * d))),
        }
    if result_type == "OptimizationResult":
        loss = field("loss")
        if loss is None or loss.size == 0:
            return {}
        loss = loss.ravel()
        return {"loss.final": _number(loss[-1]), "loss.min": _number(np.min(loss)), "loss.steps": float(loss.size)}
    if result_type == "StochasticEnsemble":
        paths = field("paths")
        if paths is None or paths.ndim != 2 or paths.size == 0:
            return {}
        last = paths[:, -1]
        return {
            "ensemble.mean": _number(np.mean(last)),
            "ensemble.std": _number(np.std(last)),
            "ensemble.paths": float(paths.shape[0]),
        }
    if result_type == "Solution2D":
        values = field("values")
        if values is None or values.size == 0:
            return {}
        return {
            "field.min": _number(np.min(values)),
            "field.max": _number(np.max(values)),
            "field.mean": _number(np.mean(values)),
        }
    if result_type == "PhysicsAnimation":
        frames_of = field("positions")
        if frames_of is None:
            frames_of = field("frames")
        if frames_of is None:
            return {}
        frames = frames_of.shape[0] if frames_of.ndim else 0
        t = field("t")
        if t is not None and t.size == frames and frames > 0:
            t = t.ravel()
            duration = t[-1] - t[0]
        else:
            fps = display.get("fps")
            if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
                fps = 30.0
            duration = max(frames - 1, 0) / fps
        return {"animation.frames": float(frames), "animation.duration": _number(duration)}
    return {}
