"""What a report figure is drawn from, as a digest: the key under which the reports of one run
share its images (`report_html.figure_html`, `cache`).

Apart from `pipeline.figures`, so that a module that only sometimes draws (a follow-up part,
read by every stage) keys its figure functions without importing matplotlib.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def keyed(draw: Callable[..., Figure] | None = None, *,
          drawn_from: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Any:
    """A figure function whose figures carry `inputs_key`: a digest of the function and its
    arguments (frames by content). Figure functions are pure, so the same arguments draw the
    same figure; an argument that cannot be digested leaves the key None. `draw.later(...)`
    gives the figure to draw as a `Drawing`, keyed but not drawn yet.

    `drawn_from` (`@keyed(drawn_from=...)`): the arguments as the function narrows them
    before it draws (given and giving them by name), digested in their place. It must be
    what the function itself does first, with the same helper, so that the arguments it
    gives draw the same figure: then a report that passes a whole table and one that passes
    only the rows drawn (an area report's tables) share the figure's images."""
    if draw is None:
        return functools.partial(keyed, drawn_from=drawn_from)
    signature = inspect.signature(draw)

    def inputs_key(*args: Any, **kwargs: Any) -> str | None:
        arguments = signature.bind(*args, **kwargs)
        arguments.apply_defaults()
        digest = hashlib.sha256(draw.__qualname__.encode())
        try:
            named = dict(arguments.arguments) if drawn_from is None else drawn_from(dict(arguments.arguments))
            for name, value in named.items():
                digest.update(name.encode())
                _digest_argument(digest, value)
        except (TypeError, ValueError):  # e.g. a frame with unhashable cells
            return None
        return digest.hexdigest()

    @functools.wraps(draw)
    def drawing(*args: Any, **kwargs: Any) -> Figure:
        figure = draw(*args, **kwargs)
        figure.inputs_key = inputs_key(*args, **kwargs)
        return figure

    def later(*args: Any, **kwargs: Any) -> Drawing:
        return Drawing(functools.partial(draw, *args, **kwargs), inputs_key(*args, **kwargs))

    drawing.later = later  # type: ignore[attr-defined]
    return drawing


@dataclass(frozen=True)
class Drawing:
    """A keyed figure not drawn yet: the reports of a run that find its images under its key
    never draw it (`report_html.figure_html`); the others draw it with `drawn()`."""

    draw: Callable[[], Figure]
    inputs_key: str | None

    @contextlib.contextmanager
    def drawn(self) -> Iterator[Figure]:
        """The figure, drawn, and released afterwards."""
        figure = self.draw()
        figure.inputs_key = self.inputs_key
        try:
            yield figure
        finally:
            release(figure)


def release(figure: Figure) -> None:
    """Release a figure's artists once it has been shown (figures are not held by pyplot).

    The axes are taken out first: `Figure.clear` would reset each to a new axes' state (new
    spines, axes and ticks) before taking it out, a tenth of the time a report's figure takes.
    """
    for ax in list(figure.axes):
        figure.delaxes(ax)
    figure.clear()


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
