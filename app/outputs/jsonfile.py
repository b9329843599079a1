"""Numbers as JSON files (``--stats-json``, ``bench --json``), written atomically."""

from __future__ import annotations

import json
from pathlib import Path

from app.common.files import write_file


def write_json(path: Path | str, data: dict) -> Path:
    return write_file(path, (json.dumps(data, indent=2) + "\n").encode(), overwrite=True)
