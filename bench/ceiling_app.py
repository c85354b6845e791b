"""The read ceiling: a bare Starlette app serving pre-serialised bytes from a dict.

``python -m bench.ceiling_app BODIES.ndjson PORT`` serves ``GET /fhir/Location/{id}`` with the exact
bytes openror stored for that id (one JSON body per line), on the same uvicorn configuration as
``openror serve``: httptools, uvloop, one worker, no access log. Anything openror does beyond a
route match and a dict lookup shows up as the distance to this ceiling.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def build(bodies_path: Path) -> Starlette:
    bodies: dict[str, bytes] = {}
    for line in bodies_path.read_bytes().splitlines():
        if line:
            bodies[orjson.loads(line)["id"]] = line

    async def read(request: Request) -> Response:
        body = bodies.get(request.path_params["id"])
        if body is None:
            return Response(b'{"resourceType":"OperationOutcome"}', status_code=404, media_type="application/fhir+json")
        return Response(body, media_type="application/fhir+json")

    async def ready(_request: Request) -> Response:
        return Response(b"{}", media_type="application/json")

    return Starlette(routes=[Route("/fhir/metadata", ready), Route("/fhir/Location/{id}", read)])


def main() -> None:
    app = build(Path(sys.argv[1]))
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[2]),
        workers=1,
        http="httptools",
        loop="uvloop",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
