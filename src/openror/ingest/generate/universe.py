"""The synthetic FINESS universe behind both outputs of ``openror generate`` (issue 4.5; data-sources.md §1.2, §5).

Size L is the national FINESS+ structures file (98,168 legal entities, 174,508 establishments per
``RECENS_STRUCTURES``); M and S are 1/10 and 1/100 of it. The plan fixes, with the plan stream of
the seed, how many establishments each legal entity has (0 and 1 in their national proportions,
2+ from the fitted power law, allocated by quantiles so that a small size still follows the table)
and the category of every establishment (exact national frequencies, shuffled). Each legal entity
is then drawn from its own structure stream, seeded from (seed, entity number): entity *i* does not
depend on the others, so planned counts need no resource at all.

The ROR data set holds the *active* establishments whose category is in the ROR perimeter (EG
Organizations) and the legal entities above them (EJ); the FINESS feed holds everything.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from enum import StrEnum
from itertools import accumulate
from random import Random

from openror.ingest.generate.model import Entity, Establishment
from openror.ingest.generate.offers import plan_ror
from openror.ingest.generate.tables import Commune, Tables, allocate, load_tables


class Size(StrEnum):
    S = "S"
    M = "M"
    L = "L"


SCALE: dict[Size, float] = {Size.S: 0.01, Size.M: 0.1, Size.L: 1.0}
TARGET_RESOURCES: dict[Size, int] = {Size.S: 15_000, Size.M: 150_000, Size.L: 1_500_000}

# Legal entities without any establishment are mostly closed ones: share assumed inactive (the
# national file gives the 0-establishment count and the inactive count, not their overlap). An entity
# with establishments is active when one of them is.
INACTIVE_WITHOUT_ESTABLISHMENT = 0.9
SAME_REGION = 0.92  # share of establishments in the region of their legal entity…
NETWORK = 20  # …unless it has more than this many: national networks spread over the regions


def stream(seed: int, *parts: object) -> Random:
    """An independent random stream for (seed, parts…), stable across processes and Python runs."""
    key = ":".join(str(p) for p in (seed, *parts)).encode()
    return Random(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big"))  # noqa: S311 - not crypto


class Universe:
    """The plan of one size and seed; :meth:`entity` draws legal entity *i* and its establishments."""

    def __init__(self, size: Size, seed: int, tables: Tables | None = None) -> None:
        self.size = size
        self.seed = seed
        self.tables = t = tables or load_tables()
        nat = t.national
        scale = SCALE[size]
        n = max(10, round(nat["pmej"] * scale))
        rng = stream(seed, "plan")
        n0 = round(n * nat["pmej_with_0_ege"] / nat["pmej"])
        n1 = round(n * nat["pmej_with_1_ege"] / nat["pmej"])
        tail_n = n - n0 - n1
        cumulative = list(accumulate(t.tail_weights))
        tail = [
            t.tail_sizes[min(len(cumulative) - 1, bisect_left(cumulative, (k + 0.5) / tail_n * cumulative[-1]))]
            for k in range(tail_n)
        ]
        # quantiles miss the extreme tail of a small sample: give the missing establishments to the
        # largest entities (bounded by the largest real one) so the total matches the national ratio
        deficit = round(nat["ege"] * scale) - n1 - sum(tail)
        for k in range(len(tail) - 1, -1, -1):
            if deficit <= 0:
                break
            extra = min(deficit, t.tail_sizes[-1] - tail[k])
            tail[k] += extra
            deficit -= extra
        sizes = [0] * n0 + [1] * n1 + tail
        rng.shuffle(sizes)
        self.sizes = array("l", sizes)
        self.offsets = array("q", [0, *accumulate(sizes)])
        n_ege = self.offsets[-1]
        counts = allocate([c.weight for c in t.categories], n_ege)
        categories = [i for i, c in enumerate(counts) for _ in range(c)]
        rng.shuffle(categories)
        self.categories = array("H", categories)
        # per category, jointly: the state (the exact national share of inactive establishments) and the
        # number of authorised activities (quantiles of the family's histogram), the active ones spread
        # evenly over the activity ranks, then shuffled over the category's establishments
        active_share = nat["ege_etat"]["A"] / (nat["ege_etat"]["A"] + nat["ege_etat"]["I"])
        self.active = array("b", bytes(n_ege))
        self.activities = array("H", bytes(2 * n_ege))
        positions: dict[int, list[int]] = {}
        for k, c in enumerate(categories):
            positions.setdefault(c, []).append(k)
        for c in sorted(positions):
            where = positions[c]
            histogram = t.activities.get(t.categories[c].family, t.activities["other"])
            pairs = [
                (
                    histogram.quantile((q + 0.5) / len(where)),
                    math.floor((q + 1) * active_share + 0.5) - math.floor(q * active_share + 0.5),
                )
                for q in range(len(where))
            ]
            rng.shuffle(pairs)
            for k, (value, state) in zip(where, pairs, strict=True):
                self.activities[k] = value
                self.active[k] = state
        without = [i for i, s in enumerate(sizes) if s == 0]
        n_gco = min(len(without), round(nat["gco"] * scale))
        gco_types = t.weighted("gco_type")
        self.gco = {i: gco_types.pick(rng) for i in sorted(rng.sample(without, n_gco))}
        self.n_gcc = max(1, round(nat["gcc"] * scale))

    @property
    def entities(self) -> int:
        return len(self.sizes)

    @property
    def establishments(self) -> int:
        return self.offsets[-1]

    def commune(self, rng: Random, region: str) -> Commune:
        return self.tables.communes[region].pick(rng)

    def entity(self, i: int) -> Entity:
        """Legal entity ``i`` with its establishments and their ROR plans (structure stream only)."""
        t = self.tables
        rng = stream(self.seed, "entity", i)
        size = self.sizes[i]
        first = self.offsets[i]
        categories = [t.categories[c] for c in self.categories[first : first + size]]
        gco_type = self.gco.get(i)
        states = self.active[first : first + size]
        active = any(states) if size else rng.random() >= INACTIVE_WITHOUT_ESTABLISHMENT
        region = t.regions.pick(rng)
        family = categories[0].family if categories else "other"
        statut = (
            rng.choice(("29", "89", "30", "66")) if gco_type else t.statuts.get(family, t.statuts["other"]).pick(rng)
        )
        entity = Entity(i, active, self.commune(rng, region), family, statut, gco_type)
        for j, category in enumerate(categories):
            local = size <= NETWORK and rng.random() < SAME_REGION
            ege_region = region if local else t.regions.pick(rng)
            est = Establishment(first + j, category, bool(states[j]), self.commune(rng, ege_region))
            if est.active and category.ror:
                est.ror = plan_ror(rng, est, self.activities[first + j])
            entity.establishments.append(est)
        return entity

    def __iter__(self) -> Iterator[Entity]:
        for i in range(self.entities):
            yield self.entity(i)


def planned_counts(size: Size, seed: int) -> dict[str, int]:
    """Resources per type of the ROR data set of ``size`` and ``seed``, from the skeletons alone."""
    counts = dict.fromkeys(
        ("Organization", "HealthcareService", "Location", "Practitioner", "PractitionerRole", "Task"), 0
    )
    for entity in Universe(size, seed):
        if not entity.in_ror:
            continue
        counts["Organization"] += 1
        for est in entity.establishments:
            if est.ror is not None:
                for k, v in est.ror.count().items():
                    counts[k] += v
    return counts
