"""The rule for area_spellings: children per area spelling of the children export.

Each row counts the children whose export area had one spelling. The rows are disjoint and
add up to nothing published (no total row; data_quality counts export rows, not children
per area), so a count of 1..min_cell-1 is hidden as "<5" and nothing else needs hiding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.publish.cells import Render, _mark, _Pass, _shown_column, _text


def _publish_area_spellings(p: _Pass, frame: pd.DataFrame) -> Render:
    """Children per export spelling, small counts hidden."""
    ids = np.array([p.count(("children", "area_spelling", _text(r.get("source_file")),
                             _text(r.get("area_in_export"))), r["children"])
                    for r in frame.to_dict("records")], dtype=np.int64)

    def render(hidden: np.ndarray) -> pd.DataFrame:
        published = frame.copy()
        rows = hidden[ids] if len(ids) else np.zeros(0, dtype=bool)
        published["children"] = _shown_column(frame["children"], rows, p.min_cell)
        return _mark(published, rows, ["small_count" if p.small(int(c)) else "secondary" for c in ids])
    return render
