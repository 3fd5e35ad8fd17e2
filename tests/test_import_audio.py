"""`manage.py import_audio` on a folder of mixed formats."""
import shutil
import subprocess
from io import StringIO

import pytest
import soundfile
from django.core.management import CommandError, call_command

from corpus.models import Clip
from tests.support import write_tone_mp4

pytestmark = pytest.mark.django_db


def test_it_imports_wav_flac_mp3_and_mp4_recursively(demo_corpus, tmp_path, media_root):
    folder = tmp_path / "voices"
    (folder / "nested").mkdir(parents=True)
    wavs = sorted(demo_corpus.crema_d.glob("*.wav"))[:2]
    shutil.copy(wavs[0], folder / wavs[0].name)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wavs[1]), str(folder / "nested" / "b.flac")], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wavs[1]), str(folder / "c.mp3")], check=True)
    write_tone_mp4(folder / "nested" / "d.mp4", seconds=1.5)
    (folder / "notes.txt").write_text("not audio")

    out = StringIO()
    call_command("import_audio", str(folder), "--dataset", "mixed", stdout=out, verbosity=0)

    assert "imported" in out.getvalue()
    clips = {c.key: c for c in Clip.objects.filter(dataset="mixed")}
    assert set(clips) == {wavs[0].name, "nested/b.flac", "c.mp3", "nested/d.mp4"}
    assert all(c.status == Clip.Status.READY for c in clips.values())
    assert clips["nested/d.mp4"].duration_s == pytest.approx(1.5, abs=0.05)
    assert clips[wavs[0].name].duration_s == pytest.approx(soundfile.info(str(wavs[0])).duration, abs=0.01)
    assert soundfile.info(str(media_root / clips["c.mp3"].audio.name)).samplerate == 16000

    call_command("import_audio", str(folder), "--dataset", "mixed", stdout=StringIO(), verbosity=0)
    assert Clip.objects.filter(dataset="mixed").count() == 4


def test_files_named_as_crema_d_ravdess_or_jl_carry_their_emotion_and_speaker(demo_corpus, tmp_path):
    """The importer reads names through the same parser as the stage-1 trainer."""
    folder = tmp_path / "acted"
    folder.mkdir()
    wav = sorted(demo_corpus.crema_d.glob("*.wav"))[0]
    names = {"1001_DFA_ANG_XX.wav": ("anger", "crema-d/1001"), "03-01-04-01-01-01-12.wav": ("sadness", "ravdess/12"),
             "female1_happy_1a_1.wav": ("joy", "jl/female1"), "03-01-02-01-01-01-12.wav": ("", ""),  # calm: dropped
             "interview.wav": ("", "")}
    for name in names:
        shutil.copy(wav, folder / name)
    call_command("import_audio", str(folder), stdout=StringIO(), verbosity=0)
    clips = {c.key: (c.label, c.speaker) for c in Clip.objects.filter(dataset="acted")}
    assert clips == names


def test_it_names_the_dataset_after_the_folder_and_records_corrupt_files(tmp_path):
    folder = tmp_path / "field_recordings"
    folder.mkdir()
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    write_tone_mp4(folder / "ok.mp4", seconds=0.5)
    call_command("import_audio", str(folder), stdout=StringIO(), verbosity=0)
    broken = Clip.objects.get(dataset="field_recordings", key="broken.wav")
    assert broken.status == Clip.Status.FAILED and broken.failure_kind == "corrupt"
    assert Clip.objects.get(dataset="field_recordings", key="ok.mp4").status == Clip.Status.READY


def test_it_refuses_an_empty_or_missing_folder(tmp_path):
    with pytest.raises(CommandError, match="no audio"):
        call_command("import_audio", str(tmp_path))
    with pytest.raises(CommandError, match="not found"):
        call_command("import_audio", str(tmp_path / "missing"))
