"""Clinical reviewer tools: pure logic behind the review notebook, the CLI and the report.

Modules (import the one you need; none is imported by the patient dashboard):

- :mod:`~cam_workbench.review.readability`: SMOG, Flesch-Kincaid, Flesch reading ease
  (syllables from the installed CMU Pronouncing Dictionary, so it works offline), and the
  tables' rows in every scored language.
- :mod:`~cam_workbench.review.readability_es`: Spanish Fernández-Huerta, Szigriszt-Pazos and
  INFLESZ bands (syllables from pyphen's Spanish dictionary and the RAE's vowel rules).
- :mod:`~cam_workbench.review.jargon`: where each term of the jargon list appears.
- :mod:`~cam_workbench.review.decision_table`: every screening answer → outcome and rule.
- :mod:`~cam_workbench.review.pemat`: PEMAT-P scores from a checklist file.
- :mod:`~cam_workbench.review.inventory`: every item and section, review dates, sources.
- :mod:`~cam_workbench.review.signoff`: approving files and writing the sign-off record
  (where each file stands is :mod:`cam_workbench.content.signoff`).
- :mod:`~cam_workbench.review.tables`: every table as a pandas DataFrame (the only module
  that imports pandas, inside its functions).
- :mod:`~cam_workbench.review.report`: one self-contained HTML review packet.
- :mod:`~cam_workbench.review.notebook`: the review notebook's widgets (the table picker).
"""
