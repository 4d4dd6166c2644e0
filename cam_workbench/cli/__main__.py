"""``python -m cam_workbench.cli``: the same as the ``cam-workbench`` command."""

import sys

from cam_workbench.cli import main

sys.exit(main())
