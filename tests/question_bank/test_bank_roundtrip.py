"""Round trips: export → import gives the same items (QTI 2.1 package, JSON, YAML, CSV, XLSX)."""

import copy
import zipfile
from pathlib import Path

import pytest

from ground.crypto import b64e
from question_bank.formats import read_bank
from question_bank.formats.common import ImageSink
from question_bank.formats.json_format import write_json, write_yaml
from question_bank.formats.qti import write_package
from question_bank.formats.tabular import write_csv, write_xlsx
from question_bank.items import ItemDraft, OptionDraft

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = Path(__file__).resolve().parents[2] / "question_bank" / "samples" / "skd_demo.json"


def bank_with_extras() -> tuple[list[ItemDraft], dict[str, bytes]]:
    """The demo bank plus a multiple-response item, a true/false item and an item with pictures."""
    items = read_bank(SAMPLE).items
    png = (DATA / "peta.png").read_bytes()
    from question_bank.formats import ParseResult, ReadOptions

    holder = ParseResult(items=[])
    media = ImageSink(holder, ReadOptions()).add(png, "peta merah")
    items += [
        ItemDraft("X-MULTI", "TIU", "Pilih bilangan prima.", [OptionDraft("2", 2.5), OptionDraft("4", -2.5),
                  OptionDraft("5", 2.5)], "multiple", "bilangan", ["x", "y"], "sulit", "2 dan 5 prima."),
        ItemDraft("X-TF", "TWK", "Pancasila adalah dasar negara.", [OptionDraft("Benar", 5), OptionDraft("Salah", 0)],
                  "truefalse"),
        ItemDraft("X-IMG/1 spasi", "TWK", "Lihat peta.\nBaris kedua & <tanda>.", [OptionDraft("A", 5, [media]),
                  OptionDraft("B", 0)], media=[media]),
    ]  # fmt: skip
    return items, {media["sha256"]: png}


def key(d: ItemDraft):
    return (d.uid, d.subtest, d.kind, d.text, d.category, d.tags, d.difficulty, d.explanation,
            [m.get("sha256") for m in d.media],
            [(o.text, float(o.points), [m.get("sha256") for m in o.media]) for o in d.options])  # fmt: skip


def test_qti21_export_then_import_gives_the_same_items(tmp_path: Path):
    items, images = bank_with_extras()
    out = tmp_path / "bank_qti.zip"
    write_package(items, out, images)
    names = zipfile.ZipFile(out).namelist()
    assert "imsmanifest.xml" in names and sum(n.startswith("items/") for n in names) == len(items)
    assert any(n.startswith("images/") for n in names)
    back = read_bank(out)
    assert back.problems == []
    assert sorted(map(key, back.items)) == sorted(map(key, items))
    assert set(back.images) == set(images)


def test_qti_export_refuses_when_an_image_is_missing(tmp_path: Path):
    items, _images = bank_with_extras()
    with pytest.raises(ValueError, match="missing from the image store"):
        write_package(items, tmp_path / "x.zip", {})


@pytest.mark.parametrize("writer", ["json", "yaml"])
def test_json_and_yaml_round_trip(tmp_path: Path, writer: str):
    items, images = bank_with_extras()
    # exported media refer to bank:<sha256>; for a file-only round trip, embed them as data: URIs
    embedded = copy.deepcopy(items)
    for d in embedded:
        for m in d.media + [m for o in d.options for m in o.media]:
            if m["src"].startswith("bank:"):  # the same dict can be shared by an item and its option
                m["src"] = "data:image/png;base64," + b64e(images[m.pop("sha256")])
    out = tmp_path / f"bank.{writer}"
    (write_json if writer == "json" else write_yaml)(embedded, out)
    back = read_bank(out)
    assert back.fmt == writer and back.problems == []
    assert sorted(map(key, back.items)) == sorted(map(key, items))


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_table_round_trip(tmp_path: Path, suffix: str):
    items, _images = bank_with_extras()
    items = [d for d in items if not d.media]  # images in tables are file names; covered by the CLI test
    out = tmp_path / f"bank.{suffix}"
    write_csv(items, out) if suffix == "csv" else write_xlsx(items, out)
    back = read_bank(out)
    assert back.problems == []
    assert sorted(map(key, back.items)) == sorted(map(key, items))
