"""Packaging and layering: the wheel must hold every sub-package, the core no layer above.

A folder missing from ``[tool.setuptools] packages`` silently drops out of the wheel
while an editable install still works, so this compares the list with the folders.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
MAPPING = PYPROJECT["tool"]["setuptools"]["package-dir"]
PACKAGES = set(PYPROJECT["tool"]["setuptools"]["packages"])
LAYERS = ("magics", "widgets", "ingest")


def _package_folders() -> set[str]:
    found = set()
    for pkg, folder in MAPPING.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            if "__pycache__" in rel.parts:
                continue
            found.add(".".join([pkg, *rel.parts]) if rel.parts else pkg)
    return found


def test_every_package_folder_is_listed_and_every_listed_package_exists() -> None:
    folders = _package_folders()
    assert folders - PACKAGES == set(), f"folders missing from packages: {sorted(folders - PACKAGES)}"
    assert PACKAGES - folders == set(), f"listed packages with no folder: {sorted(PACKAGES - folders)}"


def test_layers_install_under_logpilot_kernel() -> None:
    for layer in LAYERS:
        assert MAPPING[f"logpilot_kernel.{layer}"] == layer
    assert not any(not p.startswith("logpilot_kernel") for p in PACKAGES), "generic top-level names"


def test_top_level_layout_matches_the_design_card() -> None:
    for name in ("logpilot_kernel", "magics", "widgets", "ingest", "notebooks", "tests", "docs",
                 "infrastructure", "pyproject.toml", "Makefile", "README.md", ".ci/run"):
        assert (ROOT / name).exists(), name


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 1:
                mod = "logpilot_kernel." + mod
            out.append((mod, node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
    return out


def test_core_never_imports_the_layers_above() -> None:
    # Entry points compose the layers (lazily, inside functions): the extension hook in
    # __init__.py and the CLI. Everything else in the core must stand alone.
    entry_points = {"__init__.py", "cli.py"}
    offenders = []
    for path in (ROOT / "logpilot_kernel").rglob("*.py"):
        if path.name in entry_points and path.parent.name == "logpilot_kernel":
            continue
        for mod, line in _imports(path):
            if any(mod == f"logpilot_kernel.{l}" or mod.startswith(f"logpilot_kernel.{l}.")
                   for l in LAYERS):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    assert offenders == []


def test_ingest_never_imports_magics_or_widgets() -> None:
    offenders = []
    for path in (ROOT / "ingest").rglob("*.py"):
        for mod, line in _imports(path):
            if "magics" in mod.split(".") or "widgets" in mod.split("."):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {mod}")
    assert offenders == []


def test_installed_subpackages_resolve_to_the_mapped_folders() -> None:
    import logpilot_kernel.ingest
    import logpilot_kernel.magics
    import logpilot_kernel.widgets

    for mod, folder in ((logpilot_kernel.magics, "magics"), (logpilot_kernel.widgets, "widgets"),
                        (logpilot_kernel.ingest, "ingest")):
        assert Path(mod.__file__).resolve().parent == (ROOT / folder).resolve()


def test_notebooks_travel_as_package_data() -> None:
    from logpilot_kernel.reports import available

    names = available()
    assert "bootstrap" in names and "investigate_incident" in names
    assert PYPROJECT["tool"]["setuptools"]["package-data"]["logpilot_kernel.notebooks"] == ["*.ipynb"]
