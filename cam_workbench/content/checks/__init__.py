"""The content checks the schema cannot express, one module per family.

Each check returns (or yields) catalogue problems with their lines; loading runs them all and
reports every problem together.

- :mod:`~cam_workbench.content.checks.file`: unique ids and source references in one file.
- :mod:`~cam_workbench.content.checks.placeholders`: no ``TODO`` text where patients read.
- :mod:`~cam_workbench.content.checks.screening`: rules name real items and outcomes; tiers,
  way on (gate, stop, clearance); every answer decided and every outcome reached.
- :mod:`~cam_workbench.content.checks.across`: across files: file ids, the files each
  language needs, one sign-off record, PEMAT checklists naming real guides.
- :mod:`~cam_workbench.content.checks.translations`: a translation has the same logic as its
  source (errors), and is complete and up to date (reviewer warnings).
"""
