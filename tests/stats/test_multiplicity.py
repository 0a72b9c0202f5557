"""Holm and Benjamini–Hochberg adjustment against hand-worked published example."""

import math

import pytest

from pipeline.stats.multiplicity import benjamini_hochberg, holm

# Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. JRSS B 57:289–300,
# section 4.1: 15 p-values from a trial of myocardial infarction treatment. The paper
# reports that the FDR procedure at q = 0.05 rejects the four smallest, Bonferroni-type
# procedures (Holm included) only the three smallest.
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459,
           0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000]

# Holm by hand: (m − i + 1)·p(i), running maximum, capped at 1 (m = 15).
# 15×.0001=.0015, 14×.0004=.0056, 13×.0019=.0247, 12×.0095=.114, 11×.0201=.2211,
# 10×.0278=.278, 9×.0298=.2682→.278, 8×.0344=.2752→.278, 7×.0459=.3213, 6×.324>1 → 1 ...
HOLM_BY_HAND = [0.0015, 0.0056, 0.0247, 0.114, 0.2211, 0.278, 0.278, 0.278, 0.3213,
                1, 1, 1, 1, 1, 1]

# BH by hand: p(i)·m/i, running minimum from the largest.
# .0001×15=.0015, .0004×7.5=.003, .0019×5=.0095, .0095×3.75=.035625, .0201×3=.0603,
# .0278×2.5=.0695→min with .0298×15/7=.063857 → .063857, .063857, .0344×15/8=.0645,
# .0459×15/9=.0765, .324×1.5=.486, .4262×15/11=.581182, .5719×1.25=.714875,
# .6528×15/13=.753231, .759×15/14=.813214, 1.
BH_BY_HAND = [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.063857, 0.063857, 0.0645, 0.0765,
              0.486, 0.581182, 0.714875, 0.753231, 0.813214, 1.0]


def test_holm_matches_hand_calculation():
    adjusted = holm(BH_1995)
    assert adjusted == pytest.approx(HOLM_BY_HAND, abs=1e-6)
    assert sum(p <= 0.05 for p in adjusted) == 3


def test_benjamini_hochberg_matches_hand_calculation():
    adjusted = benjamini_hochberg(BH_1995)
    assert adjusted == pytest.approx(BH_BY_HAND, abs=1e-6)
    assert sum(p <= 0.05 for p in adjusted) == 4


def test_missing_p_values_stay_missing_and_count_as_one_in_the_family():
    # The family stays m = 5 (issue 9: a failed estimate never shrinks it); the two missing
    # p-values count as 1. Holm by hand over .01, .03, .04, 1, 1: 5×.01=.05, 4×.03=.12,
    # 3×.04=.12 → running max .05, .12, .12.
    adjusted = holm([0.01, None, 0.04, math.nan, 0.03])
    assert adjusted[1] is None and adjusted[3] is None
    assert [adjusted[0], adjusted[2], adjusted[4]] == pytest.approx([0.05, 0.12, 0.12])
    # Benjamini–Hochberg by hand over the same family (m = 5), ranks 1..3 of the present:
    # .01×5/1=.05, .03×5/2=.075, .04×5/3=.0667 → step-up minimum from the top: .05, .0667, .0667
    adjusted = benjamini_hochberg([0.01, None, 0.04, math.nan, 0.03])
    assert [adjusted[0], adjusted[2], adjusted[4]] == pytest.approx([0.05, 0.2 / 3, 0.2 / 3])


def test_order_is_kept():
    adjusted = benjamini_hochberg([0.04, 0.01])
    # m = 2: .01×2 = .02; .04×1 = .04.
    assert adjusted == pytest.approx([0.04, 0.02])


def test_empty_and_all_missing():
    assert holm([]) == []
    assert benjamini_hochberg([None, None]) == [None, None]


def test_single_p_value_is_unchanged():
    assert holm([0.2]) == pytest.approx([0.2])


def test_p_value_outside_unit_interval_raises():
    with pytest.raises(ValueError, match="position 1"):
        holm([0.1, 1.5])
