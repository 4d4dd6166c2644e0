"""The patient server's shared compiled-template cache (``cam_workbench.serving.rendering``).

Voila renders each patient's page with a new exporter and so a new Jinja environment; without
the shared cache every page parsed and compiled the whole template chain again on the
server's one event loop.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
from helpers import run_async
from voila.exporter import VoilaExporter
from voila.paths import collect_template_paths

from cam_workbench.serving import rendering
from cam_workbench.serving.config import TEMPLATE_ROOT
from cam_workbench.serving.options import TEMPLATE_NAME


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """``rendering.share()`` for this test only; the names Jinja compiles, in order."""
    monkeypatch.setattr(VoilaExporter, "environment", VoilaExporter.environment)
    rendering.TEMPLATE_CACHE.clear()
    rendering.share()
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name or "")
        return compile_(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    yield compiled
    rendering.TEMPLATE_CACHE.clear()


def exporter(paths: list[str], name: str) -> VoilaExporter:
    """An exporter as Voila builds one per page."""
    return VoilaExporter(template_paths=paths, template_name=name, theme="light", base_url="/")


def test_the_second_patients_page_compiles_no_template(shared, monkeypatch):
    jupyter_path = os.pathsep.join([str(TEMPLATE_ROOT), os.environ.get("JUPYTER_PATH", "")])
    monkeypatch.setenv("JUPYTER_PATH", jupyter_path)
    paths = collect_template_paths(["voila", "nbconvert"], TEMPLATE_NAME)
    chain = ["index.html.j2", "lab/index.html.j2", "voila_setup.macro.html.j2"]
    first = exporter(paths, TEMPLATE_NAME).environment
    for name in chain:
        first.get_template(name)
    assert len(shared) == len(chain)  # the first page compiles each template once
    shared.clear()
    second = exporter(paths, TEMPLATE_NAME).environment
    assert second is not first  # a new environment, as Voila makes for every page
    templates = [second.get_template(name) for name in chain]
    assert shared == []
    assert [template.name for template in templates] == chain


def page_text(folder: Path) -> str:
    """Render ``index.html.j2`` with a new exporter, in a thread of its own (the environment
    is async, and a browser test may keep an event loop running in this one)."""
    template = exporter([str(folder)], "t").environment.get_template("index.html.j2")
    return run_async(template.render_async())


def test_an_edited_template_is_compiled_again_and_its_new_text_used(shared, tmp_path: Path):
    folder = tmp_path / "templates"
    folder.mkdir()
    page = folder / "index.html.j2"
    page.write_text("first {{ 1 + 1 }}")
    assert page_text(folder) == "first 2"
    assert page_text(folder) == "first 2"
    assert len(shared) == 1
    page.write_text("second {{ 2 + 2 }}")
    assert page_text(folder) == "second 4"
    assert len(shared) == 2
