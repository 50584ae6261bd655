"""The folder tree is the architecture: imports run down the layers, never up or sideways.

docs/architecture.md draws the layers; this test reads every module's imports with `ast` and
fails when one crosses a layer the wrong way, imports another module's private name, or when a
module outgrows one job (500 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "healthcheck"
DOC = PACKAGE.parent / "docs" / "architecture.md"

# layer -> the layers it may import (itself always allowed). Kept in step with docs/architecture.md.
ALLOWED = {
    "core": set(),
    "store": {"core"},
    "present": {"core"},
    "services": {"core", "store", "present"},
    "cli": {"core", "store", "present", "services"},
    "ui": {"core", "store", "present", "services"},
}
# Third-party packages that mark a layer: the core is plain Python, data and rules only.
FORBIDDEN_THIRD_PARTY = {
    "core": {"streamlit", "sqlalchemy", "alembic", "psycopg", "altair", "reportlab", "vl_convert", "segno"},
    "store": {"streamlit", "altair"},
    "present": {"streamlit", "sqlalchemy", "alembic"},
    "services": {"streamlit"},
    "cli": {"streamlit"},
}
# Inside a layer: the store keeps data and never judges it; a page never imports another page
# (what two pages share lives in ui/common.py or ui/widgets/).
FORBIDDEN_INTERNAL = {
    "store": ("healthcheck.core.rules", "healthcheck.core.assess"),
}
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _layer(path: Path, package: Path = PACKAGE) -> str | None:
    rel = path.relative_to(package).parts
    return rel[0] if len(rel) > 1 and rel[0] in ALLOWED else None


def _module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, package_dir: Path = PACKAGE) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, names) of every import in a file, function-level ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module_name(path, package_dir).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, []) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.append((node.lineno, module, [a.name for a in node.names]))
    return out


def _target_layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "healthcheck" and len(parts) > 1 and parts[1] in ALLOWED else None


def _crossings(path: Path, package: Path = PACKAGE) -> list[str]:
    layer = _layer(path, package)
    wrong = []
    for line, module, names in _imports(path, package):
        if layer is not None:
            target = _target_layer(module)
            if target is not None and target != layer and target not in ALLOWED[layer]:
                wrong.append(f"{path.name}:{line}: {layer} imports {module} ({target})")
            if module.split(".")[0] in FORBIDDEN_THIRD_PARTY.get(layer, set()):
                wrong.append(f"{path.name}:{line}: {layer} imports {module}")
            if module.startswith(FORBIDDEN_INTERNAL.get(layer, ("-",))):
                wrong.append(f"{path.name}:{line}: {layer} imports {module}")
        if "pages" in path.parts and module.startswith("healthcheck.ui.pages."):
            wrong.append(f"{path.name}:{line}: a page imports the page {module}")
        if module.startswith("healthcheck") or module.startswith("."):
            wrong.extend(f"{path.name}:{line}: imports the private name {n} from {module}"
                         for n in names if n.startswith("_") and not n.startswith("__"))
    return wrong


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_down_the_layers(path: Path) -> None:
    wrong = _crossings(path)
    assert not wrong, "\n".join(wrong)


def test_modules_hold_one_job() -> None:
    big = {str(p.relative_to(PACKAGE)): n for p in _modules()
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, big


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    """The walker itself: upward, private and forbidden imports are all reported."""
    package = tmp_path / "healthcheck"
    (package / "core").mkdir(parents=True)
    fake = package / "core" / "probe.py"
    fake.write_text("from ..store import Store\nfrom healthcheck.core.scoring import _r\n"
                    "def f():\n    import streamlit\n")
    wrong = "\n".join(_crossings(fake, package))
    assert "core imports healthcheck.store" in wrong
    assert "private name _r" in wrong
    assert "core imports streamlit" in wrong
    present = package / "present"
    present.mkdir()
    (present / "ok.py").write_text("from healthcheck.core import scoring\n")
    assert _crossings(present / "ok.py", package) == []


def test_the_document_names_every_layer_and_rule() -> None:
    text = DOC.read_text(encoding="utf-8")
    for layer, allowed in ALLOWED.items():
        assert f"`{layer}/`" in text, layer
        line = next((ln for ln in text.splitlines() if ln.startswith(f"| `{layer}/`")), "")
        for other in allowed:
            assert f"`{other}`" in line, (layer, other)
