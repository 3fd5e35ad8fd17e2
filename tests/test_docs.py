"""The operator's manual and the design notes stay true to the tree: every relative link and
every path into the repository they name exists, and the README stays a manual (under 300
lines; experiments live in docs/experiments.md). Scripts run with the interpreter that calls
them, so the study works from any environment."""
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP_LEVEL = ("dser", "corpus", "emotion", "rendering", "annotator", "training", "benchmarks", "tests", "scripts",
             "docs", "templates", "static", "deploy")
CODE_PATH = re.compile(rf"(?<![\w/.-])((?:{'|'.join(TOP_LEVEL)})/[\w./*-]*[\w*/])")
LINK = re.compile(r"\]\(([^)#\s]+)\)")


def repository_paths(text: str) -> set[str]:
    return {match.rstrip("/") for match in CODE_PATH.findall(text)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_relative_link_and_repository_path_exists(doc):
    text = doc.read_text()
    missing = [link for link in LINK.findall(text) if "://" not in link and not (doc.parent / link).exists()]
    missing += [path for path in repository_paths(text) if not list(ROOT.glob(path))]
    assert not missing, f"{doc.name} names paths that do not exist: {sorted(set(missing))}"


def test_the_path_check_catches_a_stale_path():
    """What was tried: a text naming an old path. What must hold: the check finds it."""
    assert repository_paths("see `training/ml/windows.py` and emotion/inference.py.") == {
        "training/ml/windows.py", "emotion/inference.py"}
    assert not list(ROOT.glob("training/ml/windows.py"))


def test_the_readme_is_an_operators_manual():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) < 300
    assert sum(line.startswith("make ") for line in lines) >= 2  # the two commands a newcomer runs


def test_scripts_run_the_interpreter_that_calls_them():
    """A hard-coded .venv/bin/python broke the study outside the venv: scripts may only
    default to it when the caller names no PYTHON, and Python code starts processes with
    sys.executable."""
    for script in (ROOT / "scripts").glob("*.sh"):
        for line in script.read_text().splitlines():
            if ".venv/bin/" in line:
                assert "${PYTHON:-.venv/bin/python}" in line, f"{script.name}: {line}"
    for module in (ROOT / "benchmarks").rglob("*.py"):
        code = "\n".join(line for line in module.read_text().splitlines() if not line.lstrip().startswith(
            (".venv/bin/python", "#")))
        assert '".venv/bin' not in code and "'.venv/bin" not in code, module
