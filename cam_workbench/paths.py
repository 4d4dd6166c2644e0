"""Where things live: the content folder, the notebooks, the generated schema."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
CONTENT_ENV: Final = "CAM_WORKBENCH_CONTENT"


def default_content_dir() -> Path:
    """The content folder: ``$CAM_WORKBENCH_CONTENT``, else the repository's ``content/``."""
    from_env = os.environ.get(CONTENT_ENV)
    return Path(from_env) if from_env else REPO_ROOT / "content"


def notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder."""
    return REPO_ROOT / "notebooks"


def schema_path(content_dir: Path) -> Path:
    """Where the generated JSON Schema for content files is kept."""
    return content_dir / "schema" / "content.schema.json"
