import shutil
from pathlib import Path

import pytest

from annotator.demo_corpus import DemoCorpus, make_demo_corpus


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory) -> DemoCorpus:
    """A small generated corpus (8 MELD-layout clips, 2 CREMA-D voices), made once per run.
    Tests that change files copy it first (`corpus_copy`)."""
    return make_demo_corpus(tmp_path_factory.mktemp("demo"), n_clips=8, n_voices=2, n_sentences=2, seed=7)


@pytest.fixture
def corpus_copy(demo_corpus, tmp_path) -> DemoCorpus:
    root = tmp_path / "corpus"
    shutil.copytree(demo_corpus.root, root)
    return DemoCorpus(root)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test writes media into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
