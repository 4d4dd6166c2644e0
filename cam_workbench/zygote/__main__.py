"""``python -m cam_workbench.zygote``: run the zygote (see :mod:`cam_workbench.zygote.parent`)."""

import sys

from cam_workbench.zygote.parent import main

if __name__ == "__main__":
    sys.exit(main())
