"""The vaccine an export names: its product, from the spellings of Swedish child-health records."""

from __future__ import annotations

import pytest

from pipeline.synth.parameters import VACCINE_UNKNOWN_NAME
from pipeline.vaccines import product_for


@pytest.mark.parametrize(("written", "product"), [
    ("Infanrix hexa", "infanrix_hexa"), ("INFANRIX-HEXA", "infanrix_hexa"), ("M-M-RVAXPRO", "mmr_vaxpro"),
    ("Priorix", "priorix"), ("MPR", "mmr"), ("Rotarix", "rotarix"), ("Prevenar 13", "prevenar_13"),
    # the same names with what a journal writes around them
    ("MPR-vaccin", "mmr"), ("MMR vaccine", "mmr"), ("Rotavirusvaccin", "rotavirus_unspecified"),
    ("Prevenar 13 (PCV13)", "prevenar_13"), ("Vaxelis (DTP-IPV-Hib-HepB)", "vaxelis"),
    ("Pneumokockvaccin", "pneumococcal"), ("Priorix vaccination", "priorix"),
    # a bracket naming the product of an antigen's name: the product (Rotarix: 2 doses a series)
    ("Rotavirusvaccin (Rotarix)", "rotarix"), ("Rota (RotaTeq)", "rotateq"),
])
def test_a_vaccine_is_known_by_its_names(written: str, product: str) -> None:
    found = product_for(written)
    assert found is not None and found.name == product


@pytest.mark.parametrize("written", [VACCINE_UNKNOWN_NAME, "vaccin", "() vaccin", "Okänt", "Hexa X", "",
                                     None,
                                     # a note that may say the dose was not given, or names that
                                     # contradict each other
                                     "MPR (ej given)", "Infanrix hexa (avböjt)", "Priorix (dos 2)",
                                     "Priorix (M-M-RVAXPRO)", "MMR (Rotarix)"])
def test_a_name_no_spelling_gives_is_unknown(written: str | None) -> None:
    assert product_for(written) is None
