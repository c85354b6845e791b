"""Every service call carries an access context; write permissions by role (spec b.5, b.10, f)."""

from __future__ import annotations

import pytest

from openror.app.factory import Services
from openror.fhir.errors import Category, FhirError
from openror.services.directory import PatchDocument
from tests.conftest import ADMIN, CONSUMER, SUPPLIER
from tests.factories import location, task


def test_consumer_may_create_and_patch_task_only(services: Services) -> None:
    d = services.directory
    t = d.create(CONSUMER, "Task", task())
    d.patch(
        CONSUMER,
        "Task",
        t.id,
        PatchDocument("json", [{"op": "replace", "path": "/status", "value": "completed"}]),
    )
    with pytest.raises(FhirError) as err:
        d.create(CONSUMER, "Location", location())
    assert err.value.category is Category.FORBIDDEN
    with pytest.raises(FhirError):
        d.delete(CONSUMER, "Task", t.id)


def test_supplier_may_only_patch_locations(services: Services) -> None:
    d = services.directory
    loc = d.create(ADMIN, "Location", location())
    # Outside its perimeter and not a capacity record: refused (allowed patches: tests/access/test_checklist.py).
    for call in (
        lambda: d.patch(
            SUPPLIER, "Location", loc.id, PatchDocument("json", [{"op": "add", "path": "/name", "value": "n"}])
        ),
        lambda: d.create(SUPPLIER, "Location", location()),
        lambda: d.update(SUPPLIER, "Location", loc.id, dict(location(), id=loc.id)),
        lambda: d.delete(SUPPLIER, "Location", loc.id),
    ):
        with pytest.raises(FhirError) as err:
            call()
        assert err.value.category is Category.FORBIDDEN


def test_http_forbidden_is_403_outcome(settings, services) -> None:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from openror.app.factory import build_app

    app = build_app(settings, services, context=lambda _r: CONSUMER)
    with TestClient(app) as c:
        r = c.post("/fhir/Location", json=location(), headers={"Content-Type": "application/fhir+json"})
        assert r.status_code == 403
        assert r.json()["issue"][0]["code"] == "forbidden"
