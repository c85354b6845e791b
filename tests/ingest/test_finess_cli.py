"""``openror import finess`` from the command line, and docs/ingest.md kept in step with the mapping tables."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from openror.cli.import_finess import app
from openror.ingest.finess import fields
from tests.ingest.finess_helpers import CS1100502, CS1100507

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "ingest.md"


def test_cli_report_and_exit_status(db_url: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(CS1100502.read_bytes() + b"structureet;1;2\n")
    args = [str(CS1100502), str(bad), "--database-url", db_url, "--report", str(report), "--trusted"]
    r = CliRunner().invoke(app, args, catch_exceptions=False)
    assert r.exit_code == 1, r.output  # a reject makes the command fail
    rep = json.loads(report.read_text())
    assert [(x["created"], x["updated"], x["unchanged"], x["rejected"]) for x in rep] == [(28, 0, 0, 0), (0, 0, 28, 1)]
    assert rep[1]["rejects"][0]["where"] == "line 16"
    r = CliRunner().invoke(
        app, [str(CS1100507), "--format", "csv", "--batch-size", "7", "--database-url", db_url], catch_exceptions=False
    )
    assert r.exit_code == 0, r.output  # the same establishments, now with positions: updates, no reject


def test_docs_list_every_mapping_row() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in dir(fields):
        table = getattr(fields, name)
        if isinstance(table, tuple) and table and isinstance(table[0], fields.Field):
            for f in table:
                assert f"| `{f.source}` | {f.fhir} |" in text, f"docs/ingest.md lacks {name} row {f.source}"
