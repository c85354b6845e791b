"""The access rule table of spec section f, as data and pure functions (docs/security.md).

Everything a caller may see is decided here from three inputs, so that search criteria, row
criteria and the redaction of outputs can never disagree:

- the caller's access profile (0-5);
- the *row facts* of a resource (``Access``): which profiles may see the row at all, and whether its
  context is médico-social (profile 3 sees more of médico-social resources), derived from the
  resource and the offers it belongs to (``openror.fhir.access.facts``);
- the *visibility class* of each element (``vis``): its TRE_R283 confidentiality level (the highest
  level on the path from the root), its category (equipment, offer details, capacity by status,
  ORSAN data; ``BASE`` otherwise) and the resource's médico-social bit. The same integer is stored on
  every search-index row, so a criterion only matches values the caller could read.

``vis`` layout: bits 0-1 level (0 public, 1 restricted, 2 very restricted), bits 2-4 category,
bit 5 médico-social context. ``access`` layout (column ``resource.access``): bits 0-5 the profiles
that may see the row, bit 6 médico-social context, bits 7-9 the facts S (sensitive), M (médico-social),
V (city practice) that dependents derive theirs from.
"""

from __future__ import annotations

from enum import IntEnum
from functools import cache

PROFILES = range(6)
ALL_PROFILES = 0b111111
FULL = frozenset({1, 4})  # profiles that see every row, sensitive units included

# -- element visibility classes -----------------------------------------------------------------------


class Level(IntEnum):
    """TRE_R283-NiveauConfidentialite: code 1 accès libre, 2 accès restreint, 3 accès très restreint."""

    PUBLIC = 0
    RESTRICTED = 1
    VERY_RESTRICTED = 2


class Category(IntEnum):
    BASE = 0  # everything not listed below
    EQUIPMENT = 1  # Location ror-location-equipment
    OFFER_DETAIL = 2  # HCS characteristic: specific / outside-office acts, specialisations, professions, competences
    CAPACITY_INSTALLED = 3  # supported capacity with status 01 Installé; residential capacity
    CAPACITY_SUPPLEMENTARY = 4  # supported capacity with status 06 Supplémentaire
    CAPACITY_OTHER = 5  # supported capacity with another status (disponible, occupé, réservé, fermé...)
    ORSAN = 6  # Organization niveauRecoursORSAN, zonePoser


LEVEL_MASK = 0b11
CATEGORY_SHIFT = 2
MS_BIT = 1 << 5
VIS_VALUES = range(64)


def vis_of(level: int, category: int, ms: bool = False) -> int:
    return level | (category << CATEGORY_SHIFT) | (MS_BIT if ms else 0)


def level_of(vis: int) -> int:
    return vis & LEVEL_MASK


def category_of(vis: int) -> int:
    return (vis >> CATEGORY_SHIFT) & 0b111


def combine(parent: int, level: int, category: int) -> int:
    """Class of a child element: the highest level on the path, the first category met."""
    plevel = parent & LEVEL_MASK
    pcat = (parent >> CATEGORY_SHIFT) & 0b111
    return (level if level > plevel else plevel) | ((pcat or category) << CATEGORY_SHIFT) | (parent & MS_BIT)


_NOT_FOR_2 = frozenset({Category.CAPACITY_SUPPLEMENTARY, Category.ORSAN})
_NOT_FOR_5 = frozenset({Category.CAPACITY_SUPPLEMENTARY, Category.CAPACITY_OTHER, Category.ORSAN})


def element_visible(profile: int, vis: int) -> bool:
    """May ``profile`` see an element of class ``vis`` (in a row it may see)?

    1: everything. 4: everything except non-public contacts/telecoms (and personal data, which in
    the ROR model are practitioners' telecoms, carrying a level). 2: all but très restreint and
    supplementary capacities and ORSAN data. 5: as 2, and of the capacities only installed ones.
    3: as 2 in a médico-social context, public data only otherwise. 0: public data only.
    """
    level = vis & LEVEL_MASK
    category = (vis >> CATEGORY_SHIFT) & 0b111
    if profile == 1:
        return True
    if profile == 4:
        return level == Level.PUBLIC
    if profile == 2:
        return level <= Level.RESTRICTED and category not in _NOT_FOR_2
    if profile == 5:
        return level <= Level.RESTRICTED and category not in _NOT_FOR_5
    if profile == 3 and vis & MS_BIT:
        return level <= Level.RESTRICTED and category not in _NOT_FOR_2
    # profile 0, and profile 3 outside médico-social: public data only
    return level == Level.PUBLIC and category == Category.BASE


@cache
def allowed_vis(profile: int) -> frozenset[int]:
    """Every index visibility class that ``profile`` may match (the ``vis IN (...)`` of criteria)."""
    return frozenset(v for v in VIS_VALUES if element_visible(profile, v))


# -- row facts ----------------------------------------------------------------------------------------

ROW_MASK = ALL_PROFILES
ACCESS_MS = 1 << 6
FACT_S = 1 << 7  # sensitive unit (HCS), or linked to one
FACT_M = 1 << 8  # médico-social (HCS type TRE_R227 04), or linked to one
FACT_V = 1 << 9  # city practice "Ville" (HCS type TRE_R227 05 Ambulatoire), or linked to one
FAIL_CLOSED = (1 << 1) | (1 << 4)  # profiles 1 and 4: what rows get until their facts are computed


def profiles_mask(profiles: frozenset[int] | set[int]) -> int:
    return sum(1 << p for p in profiles)


def row_visible(access: int, profile: int) -> bool:
    return bool(access & (1 << profile))


def profile_bit(profile: int) -> int:
    return 1 << profile


def ms_context(access: int) -> bool:
    return bool(access & ACCESS_MS)
