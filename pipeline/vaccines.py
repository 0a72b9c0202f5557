"""Vaccine products of the Swedish national programme mapped to the antigens they give.

Product contents from the Swedish product information (FASS) and the Public Health
Agency's vaccination programme for children. Rotavirus series length per product:
Rotarix 2 doses, RotaTeq 3 doses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DTP = "dtp"  # diphtheria, tetanus, pertussis: counted as one antigen group for coverage
ANTIGENS = ("dtp", "ipv", "hib", "hepb", "pcv", "mmr", "rota")


@dataclass(frozen=True)
class Product:
    """A vaccine product (or an antigen written instead of a product)."""

    name: str
    antigens: tuple[str, ...]
    rota_series_doses: int | None = None


PRODUCTS: dict[str, Product] = {p.name: p for p in (
    Product("infanrix_hexa", ("dtp", "ipv", "hib", "hepb")),
    Product("hexyon", ("dtp", "ipv", "hib", "hepb")),
    Product("vaxelis", ("dtp", "ipv", "hib", "hepb")),
    Product("pentavac", ("dtp", "ipv", "hib")),
    Product("infanrix_polio_hib", ("dtp", "ipv", "hib")),
    Product("tetravac", ("dtp", "ipv")),
    Product("infanrix_polio", ("dtp", "ipv")),
    Product("prevenar_13", ("pcv",)),
    Product("prevenar_20", ("pcv",)),
    Product("synflorix", ("pcv",)),
    Product("vaxneuvance", ("pcv",)),
    Product("mmr_vaxpro", ("mmr",)),
    Product("priorix", ("mmr",)),
    Product("priorix_tetra", ("mmr",)),
    Product("proquad", ("mmr",)),
    Product("rotarix", ("rota",), rota_series_doses=2),
    Product("rotateq", ("rota",), rota_series_doses=3),
    Product("rotavirus_unspecified", ("rota",)),
    Product("dtap_ipv_hib_hepb", ("dtp", "ipv", "hib", "hepb")),
    Product("dtap_ipv_hib", ("dtp", "ipv", "hib")),
    Product("pneumococcal", ("pcv",)),
    Product("mmr", ("mmr",)),
)}

# Normalised export spelling (lower case, only letters and digits) -> product.
_SPELLINGS: dict[str, str] = {
    "infanrixhexa": "infanrix_hexa", "hexa": "infanrix_hexa",
    "hexyon": "hexyon", "hexacima": "hexyon",
    "vaxelis": "vaxelis",
    "pentavac": "pentavac",
    "infanrixpoliohib": "infanrix_polio_hib",
    "tetravac": "tetravac",
    "infanrixpolio": "infanrix_polio", "infanrixipv": "infanrix_polio",
    "prevenar13": "prevenar_13", "prevenar": "prevenar_13",
    "prevenar20": "prevenar_20", "apexxnar": "prevenar_20",
    "synflorix": "synflorix",
    "vaxneuvance": "vaxneuvance",
    "mmrvaxpro": "mmr_vaxpro", "mmrvax": "mmr_vaxpro", "mmrii": "mmr_vaxpro",
    "priorix": "priorix",
    "priorixtetra": "priorix_tetra",
    "proquad": "proquad",
    "rotarix": "rotarix",
    "rotateq": "rotateq",
    "rotavirus": "rotavirus_unspecified", "rota": "rotavirus_unspecified",
    "dtapipvhibhepb": "dtap_ipv_hib_hepb", "dtpipvhibhepb": "dtap_ipv_hib_hepb",
    "dtapipvhib": "dtap_ipv_hib", "dtpipvhib": "dtap_ipv_hib",
    "pneumokock": "pneumococcal", "pneumokockvaccin": "pneumococcal", "pcv": "pneumococcal",
    "pcv13": "prevenar_13", "pcv10": "synflorix", "pcv15": "vaxneuvance",
    "mmr": "mmr", "mpr": "mmr",
}


def normalise_vaccine_name(text: str) -> str:
    """Lower-case and keep only letters and digits: 'M-M-RVAXPRO' -> 'mmrvaxpro'."""
    return re.sub(r"[^0-9a-zåäö]", "", text.lower())


# Names a message offers as what an unknown vaccine name may be mapped onto (value_map).
EXAMPLE_NAMES = ("Infanrix hexa", "Prevenar 13", "Priorix", "Rotarix", "MPR")

# Names of an antigen or antigen group rather than of a product: a bracketed product beside
# one names the dose more exactly ("Rotavirusvaccin (Rotarix)": a series of 2 doses).
_ANTIGEN_NAMES = frozenset({"rotavirus_unspecified", "pneumococcal", "mmr", "dtap_ipv_hib",
                            "dtap_ipv_hib_hepb"})


def product_for(text: str | None) -> Product | None:
    """The product an export's vaccine text names, or None when no one knows it.

    A name no spelling gives is read once more as what journals write: a name with the word
    for vaccine after it ("MPR-vaccin", "Rotavirusvaccin", "MMR vaccine"), and with notes in
    brackets that themselves name the vaccine ("Prevenar 13 (PCV13)", "Rotavirusvaccin
    (Rotarix)": the product, where the name gives only its antigens). A note that names no
    vaccine ("MPR (ej given)", "Infanrix hexa (avböjt)") may say the dose was not given: such a
    text stays unknown, as do names that contradict each other.
    """
    if text is None:
        return None
    key = _SPELLINGS.get(normalise_vaccine_name(text))
    if key is not None:
        return PRODUCTS[key]
    notes = re.findall(r"\(([^()]*)\)", text)
    names = [_named(re.sub(r"\([^()]*\)", "", text)), *(_named(note) for note in notes)]
    if None in names:
        return None
    products = {name for name in names if name not in _ANTIGEN_NAMES} or set(names)
    if len(products) != 1:
        return None
    product = PRODUCTS[products.pop()]
    antigens = {antigen for name in names for antigen in PRODUCTS[name].antigens}
    return product if antigens <= set(product.antigens) else None


def _named(text: str) -> str | None:
    """The product a name gives, with or without the word for vaccine after it."""
    name = normalise_vaccine_name(text)
    return _SPELLINGS.get(name) or _SPELLINGS.get(re.sub(r"(?:vaccination|vaccine|vaccin)$", "", name))
