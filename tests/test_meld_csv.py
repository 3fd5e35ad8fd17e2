"""Reading MELD annotation CSVs: the real files in corpus/data/meld and their quirks."""
import csv

import pytest

from corpus.sources.meld import MELD_DATA_DIR, MeldFormatError, decode_text, parse_time, read_rows, split_from_csv_name

pytestmark = pytest.mark.pure

MELD_LABELS = {"anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"}


@pytest.mark.parametrize("name, expected_rows", [("dev_sent_emo.csv", 1109), ("test_sent_emo.csv", 2610)])
def test_it_parses_every_row_of_the_real_csvs(name, expected_rows):
    path = MELD_DATA_DIR / name
    rows, cp1252_runs = read_rows(path)
    assert len(rows) == expected_rows
    assert cp1252_runs == 0  # these copies are clean UTF-8
    assert {row.emotion for row in rows} == MELD_LABELS
    # Same utterance text, speaker and ids as the csv module reads them, row by row.
    with path.open(encoding="utf-8", newline="") as handle:
        reference = list(csv.DictReader(handle))
    for row, ref in zip(rows, reference):
        assert (row.utterance, row.speaker, row.dialogue_id, row.utterance_id) == (
            ref["Utterance"].strip(), ref["Speaker"].strip(), int(ref["Dialogue_ID"]), int(ref["Utterance_ID"]))
    assert all(row.start_s >= 0 and row.end_s >= 0 for row in rows)


def test_it_reads_labels_and_times_of_known_rows():
    rows, _ = read_rows(MELD_DATA_DIR / "dev_sent_emo.csv")
    first = rows[0]
    assert first.utterance == "Oh my God, he’s lost it. He’s totally lost it."
    assert (first.speaker, first.emotion, first.sentiment) == ("Phoebe", "sadness", "negative")
    assert first.clip_name == "dia0_utt0"
    assert first.start_s == pytest.approx(20 * 60 + 57.256)
    assert first.end_s == pytest.approx(21 * 60 + 0.049)
    fourth = rows[3]
    assert (fourth.utterance, fourth.emotion, fourth.clip_name) == ("You’re a genius!", "joy", "dia1_utt1")


@pytest.mark.parametrize("text, seconds", [
    ("00:20:57,256", 1257.256), ("0:03:44,015", 224.015), ("1:00:00,5", 3600.5), ("00:00:01.250", 1.25),
])
def test_it_parses_meld_times(text, seconds):
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "12:30", "00:00:xx,000", "-1:00:00,000"])
def test_it_rejects_bad_times(text):
    with pytest.raises(MeldFormatError):
        parse_time(text)


def test_it_decodes_windows_1252_mixed_into_utf8():
    data = "Caf\u00e9 \u201cquoted\u201d".encode("cp1252") + " and \u2019utf8\u2019".encode("utf-8")
    text, runs = decode_text(data)
    assert text == "Caf\u00e9 \u201cquoted\u201d and \u2019utf8\u2019"
    assert runs == 3


def test_it_strips_a_utf8_bom():
    assert decode_text("\ufeffSr No.".encode("utf-8")) == ("Sr No.", 0)


def test_it_names_the_line_of_a_bad_row(tmp_path):
    source = (MELD_DATA_DIR / "dev_sent_emo.csv").read_text(encoding="utf-8").splitlines()
    source[3] = source[3].replace(",4,4,", ",four,4,")  # Season no longer a number
    path = tmp_path / "dev_sent_emo.csv"
    path.write_text("\n".join(source[:10]) + "\n", encoding="utf-8")
    with pytest.raises(MeldFormatError, match="line 4"):
        read_rows(path)


def test_it_rejects_a_csv_without_meld_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(MeldFormatError, match="missing columns"):
        read_rows(path)


def test_it_reads_the_split_from_the_file_name():
    assert split_from_csv_name("data/train_sent_emo.csv") == "train"
    assert split_from_csv_name("clips.csv") is None
