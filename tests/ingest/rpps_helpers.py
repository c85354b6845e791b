"""Synthetic PS_LibreAcces_Personne_activite lines for the RPPS tests (invented people, real 52-column layout)."""

from __future__ import annotations

from pathlib import Path

from openror.ingest.rpps.extract import COLUMNS

SAMPLE = Path(__file__).parent.parent / "data" / "rpps" / "PS_LibreAcces_Personne_activite_small.txt"
HEADER = "|".join(COLUMNS) + "|"


def line(id_pp: str, *, type_: str = "8", values: dict[str, str] | None = None) -> str:
    """One line of an invented professional (``values`` overrides columns by name)."""
    fields = dict.fromkeys(COLUMNS, "")
    fields.update(
        {
            "Type d'identifiant PP": type_,
            "Identifiant PP": id_pp,
            "Identification nationale PP": type_ + id_pp,
            "Code civilité": "MME",
            "Libellé civilité": "Madame",
            "Nom d'exercice": "TESTNOM",
            "Prénom d'exercice": "Prénomtest",
            "Code profession": "60",
            "Libellé profession": "Infirmier",
            "Code catégorie professionnelle": "C",
            "Libellé catégorie professionnelle": "Civil",
        }
    )
    fields.update(values or {})
    return "|".join(fields[c] for c in COLUMNS) + "|"


def write(path: Path, lines: list[str], *, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path
