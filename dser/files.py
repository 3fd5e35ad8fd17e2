"""Writing a file so that its path holds either the complete file or nothing.

Every writer of media, checkpoints and JSONL goes through `atomic_path`: it writes under a
temporary name in the same folder (so the rename is atomic on one filesystem) and renames
on success. A crash, a kill or an exception leaves no half-written file under the real
name; a killed process may leave a `.partial` file, which the name marks as garbage.
"""
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PARTIAL_MARK = ".partial"


def partial_name(target: Path) -> Path:
    """The temporary name for `target`: hidden, unique per process, same suffix (so tools
    that pick a format by suffix, like ffmpeg, still do)."""
    return target.with_name(f".{target.stem}.{os.getpid()}{PARTIAL_MARK}{target.suffix}")


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target` to write to; rename it to `target` when the
    block ends without an exception, remove it otherwise. Creates the parent folder."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(target)
    try:
        yield partial
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def write_text_atomic(target: str | Path, text: str) -> None:
    with atomic_path(target) as partial:
        partial.write_text(text)


def is_partial(path: Path) -> bool:
    return PARTIAL_MARK in path.name and path.name.startswith(".")
