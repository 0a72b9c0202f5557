"""What a report figure is drawn from, as a digest: the key under which the reports of one run
share its images (`report_html.figure_html`, `cache`).

Apart from `pipeline.figures`, so that a module that only sometimes draws (a follow-up part,
read by every stage) keys its figure functions without importing matplotlib.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def keyed(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """A figure function whose figures carry `inputs_key`: a digest of the function and its
    arguments (frames by content). Figure functions are pure, so the same arguments draw the
    same figure; an argument that cannot be digested leaves the key None."""
    signature = inspect.signature(draw)

    @functools.wraps(draw)
    def drawing(*args: Any, **kwargs: Any) -> Figure:
        figure = draw(*args, **kwargs)
        arguments = signature.bind(*args, **kwargs)
        arguments.apply_defaults()
        digest = hashlib.sha256(draw.__qualname__.encode())
        try:
            for name, value in arguments.arguments.items():
                digest.update(name.encode())
                _digest_argument(digest, value)
        except (TypeError, ValueError):  # e.g. a frame with unhashable cells
            return figure
        figure.inputs_key = digest.hexdigest()
        return figure

    return drawing


def _digest_argument(digest: Any, value: Any) -> None:
    if isinstance(value, pd.DataFrame):
        digest.update(repr(("frame", list(value.columns), [str(kind) for kind in value.dtypes])).encode())
        digest.update(pd.util.hash_pandas_object(value).to_numpy().tobytes())
    elif isinstance(value, (list, tuple)):
        digest.update(repr((type(value).__name__, len(value))).encode())
        for item in value:
            _digest_argument(digest, item)
    elif value is None or isinstance(value, (str, int, float)):
        digest.update(repr((type(value).__name__, value)).encode())
    else:
        raise TypeError(f"a figure argument of type {type(value).__name__} has no digest")
