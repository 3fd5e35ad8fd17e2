"""The layout rules of docs/DESIGN.md, checked by import-linter (.importlinter): the cores
import no Django, and apps import only the apps upstream of them."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("dser", "corpus", "emotion", "rendering", "annotator", "training")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.pure


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True)


def copy_of_the_packages(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package,
                        ignore=shutil.ignore_patterns("checkpoints", "data", "__pycache__"))
    shutil.copy(ROOT / ".importlinter", target)
    return target


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize("module, line, broken", [
    ("rendering/face/avatar.py", "import django.conf", "rendering.face is not allowed to import django"),
    ("emotion/model.py", "import celery", "emotion is not allowed to import celery"),
    ("dser/timeline.py", "from corpus import models", "dser.timeline is not allowed to import corpus.models"),
    ("corpus/models.py", "import rendering.apps", "corpus is not allowed to import rendering"),
    ("emotion/dpo.py", "import training.services", "emotion is not allowed to import training"),
    ("emotion/inference.py", "import corpus.sources.meld", "emotion is not allowed to import corpus"),
])
def test_breaking_a_rule_breaks_the_lint(tmp_path, module, line, broken):
    """What was tried: one forbidden import added to a copy of the tree. What must hold: the
    lint fails and names the rule, so `make test` fails."""
    root = copy_of_the_packages(tmp_path)
    with (root / module).open("a") as handle:
        handle.write(f"\n{line}  # an import that breaks a contract\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert broken in result.stdout
