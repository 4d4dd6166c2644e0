"""Widget views built from the content model (the only layer that imports ipywidgets)."""

from cam_workbench.views.patient import PatientDashboard, build_dashboard

__all__ = ["PatientDashboard", "build_dashboard"]
