"""A Spanish copy of the shipped content for tests (there is no real translation yet).

Copies the English screening, shared texts and guide to ``es/`` with ``language: es`` and
a few texts translated, so a test can see which texts travel as translations and which
fall back to English.
"""

from __future__ import annotations

from pathlib import Path

#: English text → Spanish text, per file. Everything else stays English.
TRANSLATED = {
    "screening.yaml": {
        "title: Back pain program safety check": (
            "title: Control de seguridad del programa para el dolor de espalda"
        ),
        "question: Do you have back pain along with any of these?": (
            "question: ¿Tiene dolor de espalda junto con alguno de estos problemas?"
        ),
        "text: Severe pain, weakness, or a tingly feeling in one or both legs": (
            "text: Dolor fuerte, debilidad u hormigueo en una o ambas piernas"
        ),
        "text: None of these apply to me": "text: Ninguno de estos es mi caso",
        "heading: Talk with your doctor first": "heading: Hable primero con su médico",
        "result_label: Your result": "result_label: Su resultado",
    },
    "shared.yaml": {
        "language_name: English": "language_name: Español",
        "answers_heading: Your answers": "answers_heading: Sus respuestas",
        'answer_yes: "Yes"': 'answer_yes: "Sí"',
        'answer_no: "No"': 'answer_no: "No"',
    },
    "acupuncture.yaml": {},
}

SPANISH = {
    old.split(": ", 1)[1]: new.split(": ", 1)[1]
    for old, new in TRANSLATED["screening.yaml"].items()
}


def add_spanish(root: Path) -> Path:
    """Write ``root/es/`` from ``root/en/``; return the content folder ``root``."""
    target = root / "es"
    target.mkdir(exist_ok=True)
    for name, changes in TRANSLATED.items():
        text = (root / "en" / name).read_text(encoding="utf-8")
        assert text.count("language: en") == 1, name
        text = text.replace("language: en", "language: es")
        for old, new in changes.items():
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        (target / name).write_text(text, encoding="utf-8")
    return root
