"""Clinical reviewer tools: pure logic behind the review notebook, the CLI and the report.

Modules (import the one you need; none is imported by the patient dashboard):

- :mod:`~cam_workbench.review.readability`: SMOG, Flesch-Kincaid, Flesch reading ease
  (syllables from the installed CMU Pronouncing Dictionary, so it works offline).
- :mod:`~cam_workbench.review.inventory`: every item and section, review dates, sources.
- :mod:`~cam_workbench.review.jargon`: where each term of the jargon list appears.
- :mod:`~cam_workbench.review.decision_table`: every screening answer → outcome and rule.
- :mod:`~cam_workbench.review.signoff`: hashes, approvals, section diffs since approval.
- :mod:`~cam_workbench.review.pemat`: PEMAT-P scores from a checklist file.
- :mod:`~cam_workbench.review.report`: one self-contained HTML review packet.

Only :mod:`~cam_workbench.review.tables` imports pandas (inside its function).
"""
