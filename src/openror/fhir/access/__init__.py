"""Access context carried by every service call (DESIGN.md §2; spec section f).

The context comes from the caller's bearer token (``openror.api.auth``) or, in tests, from fixtures.
Write permissions by role are decided here; what each profile may read is decided by the rule
table of ``rules``/``classify``/``facts``/``redact`` (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openror.fhir.errors import Category, FhirError


class Role(StrEnum):
    CONSUMER = "consumer"
    SUPPLIER = "supplier"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class AccessContext:
    """Who is calling: client id, business role and ROR access profile (0-5)."""

    client_id: str
    role: Role
    profile: int
    # A supplier's perimeter: ids of the EG Organizations whose places it may update.
    perimeter: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not 0 <= self.profile <= 5:
            raise ValueError(f"access profile must be 0-5, got {self.profile}")


SYSTEM = AccessContext(client_id="system", role=Role.ADMIN, profile=1)
"""The context of loaders and maintenance commands run by the operator."""

# Interactions a non-admin role may perform, by resource type (spec b.5, b.6, b.10).
_ALLOWED_WRITES: dict[Role, set[tuple[str, str]]] = {
    Role.CONSUMER: {("Task", "create"), ("Task", "patch")},
    Role.SUPPLIER: {("Location", "patch")},
}


CAPACITY_URL = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/ror-location-supported-capacity"


def _without_capacities(resource: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in resource.items() if k != "meta"}
    extensions = [
        e for e in resource.get("extension") or () if not (isinstance(e, dict) and e.get("url") == CAPACITY_URL)
    ]
    out.pop("extension", None)
    if extensions:
        out["extension"] = extensions
    return out


def check_supplier_change(ctx: AccessContext, before: dict[str, Any], after: dict[str, Any]) -> None:
    """403 unless a supplier's patch changes only ``ror-location-supported-capacity`` records (spec b.10, e)."""
    if ctx.role is not Role.SUPPLIER:
        return
    if _without_capacities(before) != _without_capacities(after):
        raise FhirError.of(
            Category.FORBIDDEN,
            f"client '{ctx.client_id}' (supplier) may only change the supported-capacity records of a Location",
            expression="Location.extension",
        )


def check_perimeter(ctx: AccessContext, location_id: str, organizations: set[str]) -> None:
    """403 unless one of the ``organizations`` the Location belongs to is in the supplier's perimeter.

    ``organizations`` is resolved from references (HealthcareService.location → providedBy → partOf…
    and Location.managingOrganization → partOf…), never from the identifier's prefix.
    """
    if ctx.role is not Role.SUPPLIER:
        return
    if not organizations & ctx.perimeter:
        raise FhirError.of(
            Category.FORBIDDEN,
            f"Location/{location_id} is not in the perimeter of supplier '{ctx.client_id}'",
            expression="Location",
        )


def check_write(ctx: AccessContext, resource_type: str, interaction: str) -> None:
    """Raise 403 unless ``ctx`` may perform ``interaction`` (create/update/patch/delete) on the type.

    Admins write everything; consumers create and patch Tasks; suppliers patch Locations (of their
    perimeter, capacities only: ``check_perimeter``, ``check_supplier_change``).
    """
    if ctx.role is Role.ADMIN:
        return
    if (resource_type, interaction) in _ALLOWED_WRITES.get(ctx.role, set()):
        return
    raise FhirError.of(
        Category.FORBIDDEN,
        f"client '{ctx.client_id}' (role {ctx.role}) may not {interaction} {resource_type}",
    )
