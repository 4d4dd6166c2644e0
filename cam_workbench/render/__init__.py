"""Content → HTML and text (pure functions, every text escaped; no widgets).

- :mod:`~cam_workbench.render.html`: HTML fragments: bodies, headings, outcomes, review dates.
- :mod:`~cam_workbench.render.text`: bodies as plain text; every text of a screening by key.
- :mod:`~cam_workbench.render.summary`: the printable summary of a patient's answers.
- :mod:`~cam_workbench.render.links`: download links made in the page (data URLs).
- :mod:`~cam_workbench.render.chart`: a small line chart as inline SVG (imported only when
  the patient opens the tracker).
"""
