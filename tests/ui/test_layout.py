"""`streamlit run ui/streamlit_app.py` puts ui/ first on sys.path: nothing there may shadow
the packages the page imports (a ui/app.py once hid the `app` package)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.unit
def test_the_page_imports_resolve_with_ui_first_on_the_path() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'ui')!r}); "
        "import core.lifeline, app.pipeline.output_safety, ui.client, ui.render; "
        "print(app.__file__)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("app/__init__.py")
