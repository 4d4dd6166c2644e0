"""One module per ``cam-workbench`` command: each registers its own arguments and runs it.

Each module has ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int`` (an
exit code from :mod:`cam_workbench.cli.common`). Heavy imports stay inside ``run``, so
``cam-workbench --help`` stays fast.
"""
