"""FHIR: the screening as a Questionnaire, a patient's answers as a QuestionnaireResponse.

Pure functions over plain JSON-ready dicts (``fhir.resources`` is used by the tests only):

- :mod:`~cam_workbench.fhir.constants`: URLs, linkIds, language codes, the translation
  extension reader: one source of truth for all of them.
- :mod:`~cam_workbench.fhir.questionnaire`: ``cam-workbench export fhir``.
- :mod:`~cam_workbench.fhir.sdc`: the rules as SDC FHIRPath, so any SDC form filler
  reaches the same outcome; :mod:`~cam_workbench.fhir.rules_read` reads them back.
- :mod:`~cam_workbench.fhir.response`: a patient's answers (the dashboard's download).
- :mod:`~cam_workbench.fhir.review_dates`: approval and last review dates from the sign-off.
- :mod:`~cam_workbench.fhir.importer`: ``cam-workbench import fhir``.
"""
