"""Access context carried by every service call (DESIGN.md §2; spec section f).

Until access control lands (issue 5) the context comes from settings (``OPENROR_DEV_*``) and test
fixtures; that issue only changes where it comes from. Write permissions by role are decided here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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


def check_write(ctx: AccessContext, resource_type: str, interaction: str) -> None:
    """Raise 403 unless ``ctx`` may perform ``interaction`` (create/update/patch/delete) on the type.

    Admins write everything; consumers create and patch Tasks; suppliers patch Locations (their
    perimeter and the capacity-only restriction are enforced by the capacity issue).
    """
    if ctx.role is Role.ADMIN:
        return
    if (resource_type, interaction) in _ALLOWED_WRITES.get(ctx.role, set()):
        return
    raise FhirError.of(
        Category.FORBIDDEN,
        f"client '{ctx.client_id}' (role {ctx.role}) may not {interaction} {resource_type}",
    )
