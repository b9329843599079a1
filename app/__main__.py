from __future__ import annotations

import sys

from app.cli import run

sys.exit(run())
