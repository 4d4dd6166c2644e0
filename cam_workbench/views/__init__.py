"""Widget views built from the content model (ipywidgets; the logic below never imports them).

- :mod:`~cam_workbench.views.patient`: the patient dashboard (:class:`PatientDashboard`).
- :mod:`~cam_workbench.views.screens`: its screens: question, outcome, guide.
- :mod:`~cam_workbench.views.looks`: shared layout and style models (fewer widget models).
- :mod:`~cam_workbench.views.tracker`: "Track your sessions" (imported when it opens).
- :mod:`~cam_workbench.views.query`: the page's ``?lang=`` inside a preheated kernel.
"""

from cam_workbench.views.patient import PatientDashboard, build_dashboard

__all__ = ["PatientDashboard", "build_dashboard"]
