"""`LinkedCells.protect` decides as the straightforward algorithm it was written as (issue 14).

The reference below is `protect` before the speed work: one SVD of all the relations for the
cells the equations determine, bound sweeps over every relation with `np.maximum.at`, every
`ranges` from scratch. The fast one must hide the same cells and list the same unprotectable
ones, in the same order, on random linked tables (seeded), also when the sweeps run out
(MAX_SWEEPS lowered) and when every block's SVD is too close to call (the whole matrix then).
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline import privacy
from pipeline.privacy import LinkedCells


class _ReferenceComponent:
    """`privacy._Component` before issue 14, unchanged in what it computes."""

    MAX_TRIALS = 8
    MAX_SWEEPS = 200

    def __init__(self, linked: LinkedCells, cells: np.ndarray, relations: list[int]) -> None:
        self.m = linked.min_cell
        self.cells = cells
        local = {int(c): i for i, c in enumerate(cells)}
        self.relations = [(local[t], [local[p] for p in parts])
                          for t, parts in (linked.relations[i] for i in relations)]
        self.values = np.array(linked.values, dtype=np.int64)[cells]
        self.sensitive = (self.values > 0) & (self.values < self.m)
        self.published = np.array(linked.published, dtype=bool)[cells]
        self.muted = np.array(linked.muted, dtype=bool)[cells]
        self.categorised = (self.published & ~self.muted) | np.array(linked.revealed, dtype=bool)[cells]
        self.hideable = self.published & ~np.array(linked.pinned, dtype=bool)[cells] & (self.values > 0)
        self.cost = np.array(linked.cost, dtype=np.int64)[cells]
        rows, columns, signs = [], [], []
        for row, (total, parts) in enumerate(self.relations):
            rows += [row] * (len(parts) + 1)
            columns += [total, *parts]
            signs += [1.0] + [-1.0] * len(parts)
        self.term_relation = np.array(rows, dtype=np.int64)
        self.term_cell = np.array(columns, dtype=np.int64)
        self.term_sign = np.array(signs)
        self.matrix = np.zeros((len(self.relations), len(cells)))
        self.matrix[self.term_relation, self.term_cell] = self.term_sign
        self.neighbours: list[set[int]] = [set() for _ in cells]
        for total, parts in self.relations:
            members = [total, *parts]
            for member in members:
                self.neighbours[member].update(members)

    def ranges(self, hidden_local: np.ndarray, *, exact: bool = True) -> tuple[np.ndarray, np.ndarray]:
        values = self.values.astype(float)
        known = (self.published & ~hidden_local) | (self.categorised & (self.values == 0))
        low = np.where(known, values, np.where(self.sensitive, 1.0, float(self.m)))
        high = np.where(known, values, np.where(self.sensitive, float(self.m - 1), np.inf))
        low[~known & ~self.categorised] = 0.0
        low[~known & self.muted] = 1.0  # empty, not "<5"; zeros are never hidden
        high[~known & ~self.categorised] = np.inf
        self._propagate(low, high)
        while exact and self.relations:
            unknown = low < high
            if not unknown.any():
                break
            determined = self._determined(unknown)
            if not determined.any():
                break
            low[determined] = values[determined]
            high[determined] = values[determined]
            self._propagate(low, high)
        return low, high

    def _determined(self, unknown: np.ndarray) -> np.ndarray:
        columns = np.flatnonzero(unknown)
        sub = self.matrix[:, columns]
        sub = sub[np.abs(sub).sum(axis=1) > 0]
        determined = np.zeros(len(self.values), dtype=bool)
        if sub.size == 0:
            return determined
        _, singular, basis = np.linalg.svd(sub, full_matrices=False)
        rank = int((singular > 1e-9 * max(singular.max(), 1.0)).sum())
        weight = (basis[:rank] ** 2).sum(axis=0)
        determined[columns[weight > 1 - 1e-7]] = True
        return determined

    def _propagate(self, low: np.ndarray, high: np.ndarray) -> None:
        if not self.relations:
            return
        relation, cell, sign = self.term_relation, self.term_cell, self.term_sign
        count = len(self.relations)
        positive = sign > 0
        for _ in range(self.MAX_SWEEPS):
            most = np.where(positive, high[cell], -low[cell])
            least = np.where(positive, low[cell], -high[cell])
            most_infinite, least_infinite = np.isinf(most), np.isinf(least)
            most_finite = np.bincount(relation, np.where(most_infinite, 0.0, most), count)
            least_finite = np.bincount(relation, np.where(least_infinite, 0.0, least), count)
            most_count = np.bincount(relation, most_infinite, count)
            least_count = np.bincount(relation, least_infinite, count)
            others_most = np.where(most_count[relation] - most_infinite > 0, np.inf,
                                   most_finite[relation] - np.where(most_infinite, 0.0, most))
            others_least = np.where(least_count[relation] - least_infinite > 0, -np.inf,
                                    least_finite[relation] - np.where(least_infinite, 0.0, least))
            term_low, term_high = -others_most, -others_least
            new_low = np.where(positive, term_low, -term_high)
            new_high = np.where(positive, term_high, -term_low)
            before_low, before_high = low.copy(), high.copy()
            np.maximum.at(low, cell, new_low)
            np.minimum.at(high, cell, new_high)
            if np.array_equal(before_low, low) and np.array_equal(before_high, high):
                return

    def _narrowed(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        if self.m <= 2:
            return np.zeros(len(self.values), dtype=bool)
        exact = low == high
        leaking = self.sensitive & exact
        for total, parts in self.relations:
            if not exact[total]:
                continue
            unknown = [c for c in parts if not exact[c]]
            if unknown and 0 < self.values[unknown].sum() < self.m:
                leaking[unknown] |= self.sensitive[unknown]
        return leaking

    def exposed(self, hidden: np.ndarray, skip: set[int]) -> int | None:
        low, high = self.ranges(hidden[self.cells])
        narrowed = [c for c in np.flatnonzero(self._narrowed(low, high)) if int(c) not in skip]
        return int(narrowed[0]) if narrowed else None

    def show_again(self, hidden: np.ndarray, primary: np.ndarray, skip: set[int]) -> None:
        secondary = [c for c in np.flatnonzero(hidden[self.cells] & ~primary[self.cells])]
        for cell in sorted(secondary, key=lambda c: (-int(self.cost[c]), -int(self.values[c]), c)):
            hidden[self.cells[cell]] = False
            if self.exposed(hidden, skip) is not None:
                hidden[self.cells[cell]] = True

    def to_hide(self, exposed: int, hidden: np.ndarray) -> int | None:
        hidden_local = hidden[self.cells]
        distance = {exposed: 0}
        frontier = [exposed]
        while frontier:
            following = []
            for cell in frontier:
                for neighbour in self.neighbours[cell]:
                    if neighbour not in distance:
                        distance[neighbour] = distance[cell] + 1
                        following.append(neighbour)
            frontier = following
        candidates = sorted(
            (int(self.cost[c]), distance[c], int(self.values[c]), c)
            for c in np.flatnonzero(self.hideable & ~hidden_local) if c in distance)
        if not candidates:
            return None
        for *_, cell in candidates[:self.MAX_TRIALS]:
            trial = hidden_local.copy()
            trial[cell] = True
            low, high = self.ranges(trial, exact=False)
            if not self._narrowed(low, high)[exposed]:
                return int(self.cells[cell])
        return int(self.cells[candidates[0][-1]])


def reference_protect(linked: LinkedCells) -> tuple[np.ndarray, list[int]]:
    """`LinkedCells.protect` before issue 14: the hidden cells and the unprotectable ones; with
    the markers taken back where they alone give cells away, as `protect` does since (the
    markers tried as `privacy._Component.markers_to_conceal` orders them)."""
    values = np.array(linked.values, dtype=np.int64)
    sensitive = (values > 0) & (values < linked.min_cell)
    hidden = (sensitive & np.array(linked.published, dtype=bool)) | np.array(linked.forced, dtype=bool)
    primary = hidden.copy()
    unprotectable: list[int] = []

    def given_up_by(group: _ReferenceComponent) -> set[int]:
        given_up: set[int] = set()
        for _ in range(2 * len(group.cells) + 1):
            exposed = group.exposed(hidden, given_up)
            if exposed is None:
                return given_up
            cell = group.to_hide(exposed, hidden)
            if cell is None:
                given_up.add(exposed)
            else:
                hidden[cell] = True
        raise RuntimeError("small-cell suppression did not converge")

    for cells, relations in linked._components():
        if not sensitive[cells].any():
            continue
        start = hidden[cells].copy()
        group = _ReferenceComponent(linked, cells, relations)
        given_up = given_up_by(group)
        while given_up:
            kept = hidden[cells].copy()
            markers = privacy._Component(linked, cells, relations).markers_to_conceal(given_up)
            for together in markers:
                for marker in together:
                    flags = linked.muted if linked.published[marker] else linked.revealed
                    flags[marker] = not flags[marker]
                hidden[cells] = start
                trial = _ReferenceComponent(linked, cells, relations)
                left = given_up_by(trial)
                if len(left) < len(given_up):
                    group, given_up = trial, left
                    break
                for marker in together:
                    flags = linked.muted if linked.published[marker] else linked.revealed
                    flags[marker] = not flags[marker]
            else:
                hidden[cells] = kept
                break
        group.show_again(hidden, primary, given_up)
        unprotectable += [int(cells[c]) for c in sorted(given_up)]
    return hidden, unprotectable


def random_tables(seed: int, min_cell: int) -> LinkedCells:
    """Linked tables as a publishing pass makes them, with random (often small) counts.

    Per area and group: n = events + rest (the rest unpublished, sometimes revealed); per
    area a total of its groups, per group a total over areas (sometimes published elsewhere),
    a grand total of both; per area a follow-up chain (children still followed = those at
    the next step + those lost, the lost unpublished); now and then a cell fixed as an
    earlier publication showed it, a "<m" total of 1s that no hiding can protect unless the
    total can be shown empty (`muted`), and a group whose markers of few without the outcome
    give its areas' away (`concealed`).
    """
    rng = np.random.default_rng(seed)
    cells = LinkedCells(min_cell)

    def count() -> int:
        return int(rng.choice([0, 1, 2, 3, 4, int(rng.integers(5, 12)), int(rng.integers(12, 60))]))

    areas, groups = int(rng.integers(2, 5)), int(rng.integers(2, 4))
    n_cells = np.zeros((areas, groups), dtype=int)
    event_cells = np.zeros((areas, groups), dtype=int)
    for area in range(areas):
        for group in range(groups):
            events, rest = count(), count()
            n_cells[area, group] = cells.add(events + rest, key=("n", area, group))
            event_cells[area, group] = cells.add(events, key=("events", area, group))
            rest_cell = cells.add(rest, published=bool(rng.random() < 0.3),
                                  revealed=bool(rng.random() < 0.3), key=("rest", area, group))
            cells.relate(int(n_cells[area, group]), [int(event_cells[area, group]), rest_cell])
    values = np.array(cells.values)
    area_totals = []
    for area in range(areas):
        area_totals.append(cells.add(int(values[n_cells[area]].sum()), cost=2))
        cells.relate(area_totals[-1], n_cells[area].tolist())
    group_totals = []
    for group in range(groups):
        group_totals.append(cells.add(int(values[n_cells[:, group]].sum()), cost=2,
                                      hideable=bool(rng.random() < 0.7)))
        cells.relate(group_totals[-1], n_cells[:, group].tolist())
        events_total = cells.add(int(values[event_cells[:, group]].sum()), cost=2)
        cells.relate(events_total, event_cells[:, group].tolist())
    grand = cells.add(int(values[n_cells].sum()), cost=3)
    cells.relate(grand, area_totals)
    cells.relate(grand, group_totals)
    for area in range(areas):
        followed, cell = cells.values[area_totals[area]], area_totals[area]
        for _ in range(int(rng.integers(0, 6))):
            lost = min(followed, int(rng.choice([0, 1, 2, 3, int(rng.integers(4, 15))])))
            following = cells.add(followed - lost)
            cells.relate(cell, [following, cells.add(lost, published=False)])
            followed, cell = followed - lost, following
    for _ in range(int(rng.integers(0, 3))):
        cells.fix(int(rng.integers(len(cells.values))), hidden=bool(rng.random() < 0.5))
    if rng.random() < 0.3:
        # (its total shown empty where a table can: `mutable`)
        ones = [cells.add(1) for _ in range(min_cell - 1)]
        cells.relate(cells.add(min_cell - 1, mutable=bool(rng.random() < 0.5)), ones)
    if rng.random() < 0.4:
        # a group whose few without the outcome (revealed) are one in each of some areas whose
        # rows say so too: the markers alone give them away unless one is taken back
        areas = [(int(rng.integers(6, 30)), int(rest)) for rest in
                 [1] * (min_cell - 1) + [0] * int(rng.integers(0, 3))]
        triples = []
        for n, rest in [(sum(n for n, _ in areas), min_cell - 1), *areas]:
            triple = (cells.add(n), cells.add(n - rest), cells.add(rest, published=False, revealed=True))
            cells.relate(triple[0], list(triple[1:]))
            triples.append(triple)
        for kind in range(3):
            cells.relate(triples[0][kind], [t[kind] for t in triples[1:]])
    return cells


def _assert_as_reference(cells: LinkedCells) -> None:
    revealed, muted = list(cells.revealed), list(cells.muted)
    expected_hidden, expected_unprotectable = reference_protect(cells)
    expected = (cells.revealed, cells.muted)
    cells.revealed, cells.muted = revealed, muted
    hidden = cells.protect()
    assert hidden.tolist() == expected_hidden.tolist()
    assert cells.unprotectable == expected_unprotectable
    assert (cells.revealed, cells.muted) == expected


@pytest.mark.parametrize("min_cell", [2, 3, 5])
@pytest.mark.parametrize("seed", range(12))
def test_protect_hides_what_the_reference_hides(seed: int, min_cell: int):
    _assert_as_reference(random_tables(seed, min_cell))


@pytest.mark.parametrize("sweeps", [1, 2])
@pytest.mark.parametrize("min_cell", [3, 5])
@pytest.mark.parametrize("seed", range(100, 112))
def test_protect_as_the_reference_when_the_sweeps_run_out(seed: int, min_cell: int, sweeps: int,
                                                          monkeypatch):
    """With few sweeps allowed, bounds are left unfinished; the fast sweeps must stop where
    the reference's do (and go on from there as the reference would)."""
    monkeypatch.setattr(_ReferenceComponent, "MAX_SWEEPS", sweeps)
    monkeypatch.setattr(privacy._Component, "MAX_SWEEPS", sweeps)
    _assert_as_reference(random_tables(seed, min_cell))


@pytest.mark.parametrize("seed", range(4))
def test_protect_as_the_reference_when_no_block_is_sure(seed: int, monkeypatch):
    """Blocks whose SVD might decide otherwise than the whole matrix's defer to it."""
    monkeypatch.setattr(privacy._Component, "SINGULAR_MARGIN", (1e-300, 1e300))
    _assert_as_reference(random_tables(200 + seed, 5))


def test_random_tables_exercise_the_rules():
    """The random tables hide cells beyond the small ones, some small cells cannot be
    protected, and some markers are taken back, "<m" counts among them: the comparison above
    covers every branch of `protect`."""
    secondary = unprotectable = concealed = muted = 0
    for seed in range(12):
        cells = random_tables(seed, 5)
        hidden = cells.protect()
        values = np.array(cells.values)
        secondary += int((hidden & ~((values > 0) & (values < 5))).sum())
        unprotectable += len(cells.unprotectable)
        concealed += len(cells.concealed)
        muted += sum(cells.muted)
    assert secondary > 0 and unprotectable > 0 and concealed > muted > 0


def _groups(seed: int, min_cell: int):
    """The connected groups of a random table with a small cell, each as the fast and the
    reference component."""
    cells = random_tables(seed, min_cell)
    values = np.array(cells.values)
    for group_cells, relations in cells._components():
        if relations and ((values[group_cells] > 0) & (values[group_cells] < min_cell)).any():
            yield (privacy._Component(cells, group_cells, relations),
                   _ReferenceComponent(cells, group_cells, relations))


@pytest.mark.parametrize("eliminated", [False, True])
@pytest.mark.parametrize("seed", range(300, 316))
def test_ranges_as_the_reference_for_any_hidden_cells(seed: int, eliminated: bool, monkeypatch):
    """What a reader works out (the bounds themselves, not only the cells hidden) is the
    reference's, for random hidden cells: the cells the equations fix are not looked for
    again where nothing but them became known. `eliminated`: every block decided by exact
    elimination (`_fixed_by_elimination`; the random tables' blocks are smaller than
    ELIMINATION_ROWS, which leaves them to their SVD)."""
    answers = []
    if eliminated:
        monkeypatch.setattr(privacy._Component, "ELIMINATION_ROWS", 1)
        elimination = privacy._fixed_by_elimination
        monkeypatch.setattr(privacy, "_fixed_by_elimination",
                            lambda *block: answers.append(elimination(*block)) or answers[-1])
    rng = np.random.default_rng(seed)
    for group, reference in _groups(seed, 5):
        for _ in range(6):
            hidden = group.published & (rng.random(len(group.values)) < rng.uniform(0.1, 0.7))
            low, high = group.ranges(hidden)
            expected_low, expected_high = reference.ranges(hidden)
            assert low.tolist() == expected_low.tolist() and high.tolist() == expected_high.tolist()
    assert not eliminated or any(answer is not None for answer in answers)


@pytest.mark.parametrize("seed", range(400, 416))
def test_ranges_from_the_bounds_of_more_hidden_cells_are_the_same(seed: int):
    """`ranges(reached=)` (show_again's start): starting from the final bounds of a hidden
    set that holds this one ends where starting from scratch ends."""
    rng = np.random.default_rng(seed)
    compared = 0
    for group, _ in _groups(seed, 5):
        for _ in range(6):
            more = group.published & (rng.random(len(group.values)) < rng.uniform(0.2, 0.8))
            fewer = more & (rng.random(len(group.values)) < rng.uniform(0.3, 0.9))
            reached = group.ranges(more)
            low, high = group.ranges(fewer, reached=reached)
            plain_low, plain_high = group.ranges(fewer)
            assert low.tolist() == plain_low.tolist() and high.tolist() == plain_high.tolist()
            compared += int((more & ~fewer).any())
    assert compared > 0


@pytest.mark.parametrize("min_cell", [2, 3, 5])
@pytest.mark.parametrize("seed", range(500, 508))
def test_narrowed_at_one_cell_as_narrowed(seed: int, min_cell: int):
    """`_narrowed_at` (to_hide's check of the leaking cell) says what `_narrowed` says of it,
    also on bounds part way through (trials with the bounds alone)."""
    rng = np.random.default_rng(seed)
    for group, reference in _groups(seed, min_cell):
        for _ in range(6):
            hidden = group.published & (rng.random(len(group.values)) < rng.uniform(0.1, 0.7))
            for low, high in (group.ranges(hidden), group.ranges(hidden, exact=False)):
                expected = reference._narrowed(low, high)
                assert group._narrowed(low, high).tolist() == expected.tolist()
                assert [group._narrowed_at(low, high, c) for c in range(len(low))] == expected.tolist()


@pytest.mark.parametrize("min_cell", [3, 5])
@pytest.mark.parametrize("seed", range(12))
def test_protect_as_the_reference_with_every_block_eliminated(seed: int, min_cell: int, monkeypatch):
    """Blocks decided by exact elimination (`_fixed_by_elimination`, every block here: the
    random tables' blocks are smaller than ELIMINATION_ROWS) hide what the reference's SVD
    hides."""
    monkeypatch.setattr(privacy._Component, "ELIMINATION_ROWS", 1)
    _assert_as_reference(random_tables(seed, min_cell))


def _unit_elimination(matrix: np.ndarray, columns: np.ndarray) -> np.ndarray | None:
    """`privacy._fixed_by_elimination` of a dense matrix's nonzero entries, as `columns`."""
    row, column = np.nonzero(matrix)
    fixed = privacy._fixed_by_elimination(row, column, matrix[row, column].astype(float), matrix.shape)
    return None if fixed is None else columns[fixed]


def _fixed_by_fractions(matrix: np.ndarray) -> list[int]:
    """The columns whose unit vector is in the row space, by Gauss-Jordan on Fractions (any
    pivot, exact): a pivot whose reduced row holds nothing else."""
    from fractions import Fraction

    rows = [[Fraction(int(v)) for v in row] for row in matrix]
    pivots, used = {}, 0
    for column in range(matrix.shape[1]):
        row = next((r for r in range(used, len(rows)) if rows[r][column] != 0), None)
        if row is None:
            continue
        rows[used], rows[row] = rows[row], rows[used]
        rows[used] = [v / rows[used][column] for v in rows[used]]
        for other in range(len(rows)):
            if other != used and rows[other][column] != 0:
                factor = rows[other][column]
                rows[other] = [a - factor * b for a, b in zip(rows[other], rows[used], strict=True)]
        pivots[column], used = used, used + 1
    return [column for column, row in pivots.items() if sum(v != 0 for v in rows[row]) == 1]


def test_unit_elimination_by_hand():
    """The relations T = a + b and a = a1 + a2 with T, a, b, a1, a2 unknown, and a2 known up to
    the known cells of a relation of its own: the rows T - a - b, a - a1 - a2 and a2. Only a2
    is fixed (a = a1 + a2 leaves a and a1 free, and then T = a + b). With b known (its column
    gone) and a1 fixed by a relation as well, a = a1 + a2 fixes a, and T - a then T."""
    matrix = np.array([[1, -1, -1, 0, 0],    # T - a - b
                       [0, 1, 0, -1, -1],    # a - a1 - a2
                       [0, 0, 0, 0, 1.0]])   # a2
    assert _unit_elimination(matrix, np.array([10, 11, 12, 13, 14])).tolist() == [14]
    more = np.array([[1, -1, 0, 0],          # T - a
                     [0, 1, -1, -1],         # a - a1 - a2
                     [0, 0, 0, 1],           # a2
                     [0, 0, 1, 0.0]])        # a1
    assert sorted(_unit_elimination(more, np.arange(4)).tolist()) == [0, 1, 2, 3]


def test_unit_elimination_leaves_to_the_svd_what_needs_another_pivot():
    """a + b, b + c and a + c known: each of a, b, c is half of a sum of the three, which
    eliminating with +-1 pivots reaches only as 2c: no answer (the SVD decides), while the
    three together are fixed."""
    matrix = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1.0]])
    assert _unit_elimination(matrix, np.arange(3)) is None
    assert _fixed_by_fractions(matrix) == [0, 1, 2]
    # entries too large for a round's sums to be exact in floating point: no answer either
    # (2**27 squared, twice, is past 2**53; with 2**20 the round is exact and b is fixed)
    assert _unit_elimination(np.array([[1, 2.0**27, 0], [0, 1, 0]]), np.arange(3)) is None
    assert _unit_elimination(np.array([[1, 2.0**20, 0], [0, 1, 0]]), np.arange(3)).tolist() == [0, 1]


@pytest.mark.parametrize("seed", range(8))
def test_unit_elimination_as_exact_fractions(seed: int):
    """On random sparse 0/+-1 matrices (the rows of sums of linked tables, and others): the
    cells `_fixed_by_elimination` fixes are those exact arithmetic fixes, or it says nothing."""
    rng = np.random.default_rng(seed)
    answered = 0
    for _ in range(40):
        m, n = int(rng.integers(2, 14)), int(rng.integers(2, 16))
        matrix = np.zeros((m, n))
        for row in matrix:
            terms = rng.choice(n, size=min(n, int(rng.integers(1, 5))), replace=False)
            row[terms[0]] = 1.0
            row[terms[1:]] = -1.0 if rng.random() < 0.8 else 1.0
        fixed = _unit_elimination(matrix, np.arange(n) + 100)
        if fixed is not None:
            assert sorted(fixed.tolist()) == [column + 100 for column in _fixed_by_fractions(matrix)]
            answered += 1
    assert answered >= 20


def test_large_blocks_are_eliminated_as_the_svd_decides(monkeypatch):
    """A block of ELIMINATION_ROWS relations or more is eliminated: on a chain of 40 areas'
    linked sums (a grand total over areas, each area a total of two groups, each group an
    event count and an unpublished rest), with many cells hidden, the cells the equations
    fix are those the whole matrix's SVD finds."""
    cells = LinkedCells(5)
    rng = np.random.default_rng(7)
    area_totals = []
    group_cells = [[], []]
    for _ in range(40):
        parts = []
        for group in range(2):
            events, rest = int(rng.integers(0, 9)), int(rng.integers(0, 9))
            n = cells.add(events + rest)
            cells.relate(n, [cells.add(events), cells.add(rest, published=False)])
            parts.append(n)
            group_cells[group].append(n)
        area_totals.append(cells.add(sum(cells.values[p] for p in parts)))
        cells.relate(area_totals[-1], parts)
    for group in range(2):
        total = cells.add(sum(cells.values[p] for p in group_cells[group]))
        cells.relate(total, group_cells[group])
    cells.relate(cells.add(sum(cells.values[a] for a in area_totals)), area_totals)
    (group_cells_all, relations), = cells._components()
    group = privacy._Component(cells, group_cells_all, relations)
    eliminated = []
    elimination = privacy._fixed_by_elimination

    def spied(entry_row, entry_column, value, shape) -> np.ndarray | None:
        eliminated.append(shape[0])
        return elimination(entry_row, entry_column, value, shape)

    monkeypatch.setattr(privacy, "_fixed_by_elimination", spied)
    fixed = 0
    for _ in range(5):
        unknown = ~group.published | (rng.random(len(group.values)) < 0.4)
        determined, exact = group._determined(unknown)
        assert exact
        assert determined.tolist() == group._determined_together(unknown).tolist()
        fixed += int(determined.sum())
    assert max(eliminated) >= privacy._Component.ELIMINATION_ROWS and fixed > 0
