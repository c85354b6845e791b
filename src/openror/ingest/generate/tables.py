"""Frequency tables of the synthetic data set, read from ``definitions/generate/distributions.json`` (issue 4.5).

The JSON file is derived from the real FINESS files by ``scripts/build_distributions.py`` (its
``provenance`` block and ``definitions/generate/PROVENANCE.md`` say how); this module turns it into
weighted pickers. Nothing here draws random numbers by itself: every draw takes the caller's
:class:`random.Random`, so generation stays deterministic and free of global state.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from random import Random
from typing import Any, Generic, TypeVar

import orjson

T = TypeVar("T")


class Weighted(Generic[T]):
    """Items with weights; :meth:`pick` draws one with probability proportional to its weight."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        self.items: list[T] = []
        self.cumulative: list[float] = []
        total = 0.0
        for item, weight in pairs:
            if weight <= 0:
                continue
            total += weight
            self.items.append(item)
            self.cumulative.append(total)
        if not self.items:
            raise ValueError("no item with a positive weight")
        self.total = total

    def pick(self, rng: Random) -> T:
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]

    def quantile(self, q: float) -> T:
        """The item at cumulative probability ``q`` (0 ≤ q < 1): inverse of the distribution function."""
        return self.items[min(len(self.items) - 1, bisect_right(self.cumulative, q * self.total))]

    def share(self, item: T) -> float:
        """Probability of ``item``."""
        i = self.items.index(item)
        previous = self.cumulative[i - 1] if i else 0.0
        return (self.cumulative[i] - previous) / self.total


def allocate(weights: Sequence[float], n: int) -> list[int]:
    """Split ``n`` into integer counts proportional to ``weights`` (largest remainder, ties by index)."""
    total = sum(weights)
    exact = [w * n / total for w in weights]
    counts = [math.floor(x) for x in exact]
    rest = n - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:rest]:
        counts[i] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Commune:
    cog: str
    name: str
    postal_code: str
    city: str  # ligneAcheminement, upper case as in FINESS
    lat: float | None
    lon: float | None
    x: float | None  # projected metres published with the position (Lambert-93, UTM overseas)
    y: float | None
    region: str

    @property
    def departement(self) -> str:
        return self.cog[:3] if self.cog.startswith("97") else self.cog[:2]


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    label: str
    family: str
    ror: bool  # in the ROR perimeter (valid in JDV_J55, not retired)
    weight: float


@dataclass(frozen=True, slots=True)
class Tables:
    """Everything the generator reads from ``distributions.json``."""

    raw: dict[str, Any]
    national: dict[str, Any]
    categories: tuple[Category, ...]
    category_index: dict[str, int]
    regions: Weighted[str]
    region_labels: dict[str, str]
    communes: dict[str, Weighted[Commune]]
    street_types: Weighted[str]
    streets: tuple[str, ...]
    tail_sizes: tuple[int, ...]  # establishments per legal entity for entities with 2 or more
    tail_weights: tuple[float, ...]
    statuts: dict[str, Weighted[str]]
    ape: dict[str, str]
    activities: dict[str, Weighted[int]]
    capacity_quantiles: tuple[int, ...]

    def weighted(self, key: str) -> Weighted[str]:
        """A picker over one of the ``national`` value-count tables (e.g. ``mode_fixation_tarifaire``)."""
        return Weighted((str(k), float(v)) for k, v in self.national[key].items())

    def installed_capacity(self, rng: Random) -> int:
        """A number of installed beds/places, interpolated between the quantiles of the real capacities."""
        q = self.capacity_quantiles
        pos = rng.random() * (len(q) - 1)
        i = int(pos)
        hi = q[min(i + 1, len(q) - 1)]
        if i == len(q) - 2:  # the last segment runs to the maximum: keep its tail thin
            hi = min(hi, q[i] * 3)
        return max(1, round(q[i] + (hi - q[i]) * (pos - i)))


@cache
def load_tables() -> Tables:
    """Read and index ``distributions.json`` once per process."""
    path = resources.files("openror") / "definitions" / "generate" / "distributions.json"
    raw: dict[str, Any] = orjson.loads(path.read_bytes())
    categories = tuple(
        Category(code, c["label"], c["family"], bool(c["ror"]), float(c["weight"]))
        for code, c in raw["categories"].items()
    )
    communes: dict[str, Weighted[Commune]] = {}
    for region, rows in raw["communes"].items():
        communes[region] = Weighted(
            (Commune(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], region), float(r[8])) for r in rows
        )
    tail = raw["ege_per_pmej_tail"]
    sizes = tuple(range(int(tail["min"]), int(tail["max"]) + 1))
    exponent = float(tail["exponent"])
    families = raw["families"]
    activities = {
        family: Weighted((int(n), float(c)) for n, c in (f["activities_per_ege"] or {"1": 1}).items())
        for family, f in families.items()
    }
    return Tables(
        raw=raw,
        national=raw["national"],
        categories=categories,
        category_index={c.code: i for i, c in enumerate(categories)},
        regions=Weighted((code, float(r["weight"])) for code, r in raw["regions"].items()),
        region_labels={code: r["label"] for code, r in raw["regions"].items()},
        communes=communes,
        street_types=Weighted((k, float(v)) for k, v in raw["street_types"].items()),
        streets=tuple(raw["streets"]),
        tail_sizes=sizes,
        tail_weights=tuple(n**-exponent for n in sizes),
        statuts={f: Weighted((k, float(v)) for k, v in spec["statut"].items()) for f, spec in families.items()},
        ape={f: spec["ape"] for f, spec in families.items()},
        activities=activities,
        capacity_quantiles=tuple(int(x) for x in raw["installed_capacity_quantiles"]),
    )
