"""The one atomic-write helper: a path holds the complete file or nothing."""
import pytest

from dser.files import atomic_path, is_partial, write_text_atomic

pytestmark = pytest.mark.pure


def test_the_file_appears_under_its_name_only_when_complete(tmp_path):
    target = tmp_path / "deep" / "out.jsonl"
    with atomic_path(target) as partial:
        partial.write_text("one\n")
        assert not target.exists() and is_partial(partial) and partial.suffix == ".jsonl"
    assert target.read_text() == "one\n"
    assert [p.name for p in target.parent.iterdir()] == ["out.jsonl"]


def test_an_error_while_writing_keeps_the_old_file_and_leaves_no_partial(tmp_path):
    target = tmp_path / "timeline.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as partial:
            partial.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["timeline.json"]
