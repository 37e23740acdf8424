"""Every import format, from files written to each format's specification, including the ugly cases."""

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from question_bank.formats import FormatError, read_bank, read_bytes
from question_bank.formats.registry import detect

DATA = Path(__file__).resolve().parent / "data"


def zip_dir(folder: Path, target: Path) -> Path:
    """Pack a content package folder as QTI tools ship it."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                zf.write(f, f.relative_to(folder).as_posix())
    return target


def by_uid(result):
    return {d.uid: d for d in result.items}


def pts(d):
    return [o.points for o in d.options]


# ------------------------------------------------------------------ GIFT


def test_gift_ugly_file():
    r = read_bank(DATA / "ugly.gift")
    assert r.fmt == "gift"
    items = by_uid(r)
    assert set(items) == {
        "TWK-P-001 : sila",
        "TWK-P-002",
        "TIU-H-001",
        "TIU-H-002",
        "TIU-H-003",
        "TIU-M-001",
        "TKP-P-001",
    }
    first = items["TWK-P-001 : sila"]
    assert (first.subtest, first.category) == ("TWK", "Pancasila")
    assert pts(first) == [5, 0, 0, 0] and first.explanation == "Sila ketiga: Persatuan Indonesia."
    assert [o.text for o in first.options][:2] == ["Persatuan Indonesia", "Ketuhanan Yang Maha Esa"]  # feedback cut
    esc = items["TWK-P-002"]
    assert esc.text.startswith("Dalam rumus a = b ~ c, tanda {kurung} dan #pagar")
    assert esc.options[0].text == "Tanda sama dengan ditulis =" and esc.options[1].text == "Tanda gelombang ditulis ~"
    blank = items["TIU-H-001"]
    assert blank.text == "Hasil dari 7 x 8 adalah _____ dalam bilangan bulat." and pts(blank) == [0, 5, 0, 0]
    tf = items["TIU-H-002"]
    assert tf.kind == "truefalse" and [(o.text, o.points) for o in tf.options] == [("Benar", 0), ("Salah", 5)]
    html = items["TIU-H-003"]
    assert html.text == "Nilai dari 2⁵ & 2 adalah ..." and html.options[0].text == "32 dan 2"
    tkp = items["TKP-P-001"]
    assert (tkp.subtest, tkp.kind, pts(tkp)) == ("TKP", "single", [5, 4, 3, 2, 1])
    multi = items["TIU-M-001"]
    assert (multi.subtest, multi.kind, pts(multi)) == ("TIU", "multiple", [2.5, 2.5, -5])
    problems = {p.location.split(":", 1)[1]: (p.kind, p.message) for p in r.problems}
    assert problems["56 [ESSAY-1]"][0] == "unsupported" and "essay" in problems["56 [ESSAY-1]"][1]
    assert "short-answer" in problems["58 [SHORT-1]"][1]
    assert "matching" in problems["60 [MATCH-1]"][1]
    assert "numerical" in problems["62 [NUM-1]"][1]
    assert "description" in problems["64"][1]
    assert problems["67 [BROKEN-1]"] == ("invalid", "answer block opened with { is never closed")
    assert r.rejected == 6


def test_gift_crlf_and_blank_line_inside_answers(tmp_path: Path):
    path = tmp_path / "win.gift"
    path.write_bytes(b"::A1::Soal?{\r\n=Ya\r\n\r\n~Tidak\r\n}\r\n\r\n::A2::Lagi?{T}\r\n")
    r = read_bank(path, subtest="TWK")
    assert [d.uid for d in r.items] == ["A1", "A2"] and r.problems == []
    assert [o.text for o in r.items[0].options] == ["Ya", "Tidak"]


def test_gift_partial_weights_make_a_multiple_response_item_scored_within_0_and_the_mark(tmp_path: Path):
    path = tmp_path / "multi.gift"
    path.write_text("::M1::Kota di Indonesia?{~%50%Jakarta ~%50%Surabaya ~%-100%Singapura}\n\n"
                    "::S1::Ibu kota?{=Jakarta ~Bandung}\n", encoding="utf-8")
    multi, single = read_bank(path, subtest="TIU").items
    assert multi.kind == "multiple" and pts(multi) == [2.5, 2.5, -5]
    assert (multi.score_lower, multi.score_upper) == (0, 5), "as Moodle grades it: never below 0 nor above the mark"
    assert single.kind == "single" and (single.score_lower, single.score_upper) == (None, None)


def test_gift_without_category_needs_subtest(tmp_path: Path):
    path = tmp_path / "nocat.gift"
    path.write_text("::Q::Soal {=a ~b}\n", encoding="utf-8")
    r = read_bank(path)
    assert r.items == [] and r.problems[0].message.startswith("subtest is empty")
    assert read_bank(path, subtest="TIU").items[0].subtest == "TIU"


# ------------------------------------------------------------------ Aiken


def test_aiken_file():
    r = read_bank(DATA / "basic_aiken.txt", subtest="TWK")
    assert r.fmt == "aiken"
    assert [(d.text[:20], pts(d)) for d in r.items] == [
        ("Ibu kota Provinsi Ja", [5, 0, 0, 0]),
        ("Lembaga yang mengesa", [5, 0, 0, 0]),
        ("Lambang sila kedua P", [0, 5, 0]),
    ]
    assert [(p.location, p.message) for p in r.problems] == [
        (f"{DATA / 'basic_aiken.txt'}:15", "ANSWER E is not one of the options A, B"),
        (f"{DATA / 'basic_aiken.txt'}:20", "question has no ANSWER line"),
    ]
    again = read_bank(DATA / "basic_aiken.txt", subtest="TWK")
    assert [d.uid for d in again.items] == [d.uid for d in r.items]  # ids derived from the text: stable


# ------------------------------------------------------------------ Moodle XML


def test_moodle_xml_file():
    r = read_bank(DATA / "quiz_moodle.xml")
    assert r.fmt == "moodle"
    items = by_uid(r)
    q = items["TWK-S-010"]
    assert (q.subtest, q.category, q.difficulty, q.tags) == ("TWK", "Sejarah", "mudah", ["sejarah"])
    assert q.text == "Perhatikan peta berikut.\nProklamasi kemerdekaan dibacakan di kota ..."
    assert q.options[3].text == "Surabaya & sekitarnya" and pts(q) == [5, 0, 0, 0]
    assert q.explanation == "Di Jakarta, 17 Agustus 1945."
    sha = q.media[0]["sha256"]
    assert q.media[0]["alt"] == "peta" and r.images[sha][0] == "image/png"
    tf = items["Sumpah Pemuda 1928"]
    assert tf.kind == "truefalse" and [(o.text, o.points) for o in tf.options] == [("Benar", 5), ("Salah", 0)]
    multi = items["TIU-P-001"]
    assert (multi.subtest, multi.category, multi.kind, pts(multi)) == ("TIU", None, "multiple", [2.5, 2.5, -5])
    assert (multi.score_lower, multi.score_upper) == (0, 5), "Moodle keeps a multiple-response grade in 0..100 %"
    assert (q.score_lower, q.score_upper) == (None, None), "a single answer keeps its option's points"
    got = [(p.kind, p.message) for p in r.problems]
    assert got == [
        ("unsupported", "essay questions (essay) cannot be delivered"),
        ("unsupported", "short answer questions (shortanswer) cannot be delivered"),
        ("unsupported", "matching questions (matching) cannot be delivered"),
        ("invalid", "answer fraction 'seratus' is not a number in -100..100"),
    ]
    assert "question 9 [Pecahan rusak]" in r.problems[-1].location


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_unsafe_xml_is_refused(name: str):
    with pytest.raises(FormatError, match="refused unsafe XML"):
        read_bank(DATA / name)


# ------------------------------------------------------------------ QTI


def test_qti21_item_with_namespace_prefix():
    r = read_bank(DATA / "item_qti21_prefixed.xml", subtest="TWK")
    assert r.fmt == "qti" and r.problems == []
    (d,) = r.items
    assert d.uid == "TWK-QTI-001"
    assert d.text == "Lembaga yang berwenang menguji undang-undang terhadap UUD adalah ...\nPilih satu jawaban."
    assert [o.text for o in d.options][2] == "Mahkamah Konstitusi" and pts(d) == [0, 0, 5, 0]


def test_qti30_item_with_mapping():
    r = read_bank(DATA / "item_qti30_tkp.xml", subtest="TKP")
    (d,) = r.items
    assert (d.uid, d.kind, pts(d)) == ("TKP-QTI-001", "single", [5, 3, 2, 4, 1])
    assert read_bank(DATA / "item_qti30_tkp.xml").problems[0].message.startswith("subtest is empty")


def test_qti21_content_package(tmp_path: Path):
    pkg = zip_dir(DATA / "qti21_package", tmp_path / "paket.zip")
    r = read_bank(pkg)
    assert r.fmt == "qti"
    items = by_uid(r)
    g = items["TIU-QTI-010"]
    assert (g.subtest, g.category, g.difficulty, g.explanation) == (
        "TIU",
        "figural",
        "sulit",
        "Batang kedua paling tinggi.",
    )
    assert g.media[0]["alt"] == "grafik batang" and g.media[0]["sha256"] in r.images
    m = items["TIU-QTI-011"]
    assert (m.kind, pts(m), m.tags) == ("multiple", [2.5, -2.5, 2.5], ["latihan"])
    msgs = sorted((p.kind, p.message) for p in r.problems)
    assert msgs == [
        ("invalid", "file 'items/hilang.xml' named in the manifest is missing from the package"),
        ("unsupported", "short answer (textEntryInteraction) questions cannot be delivered"),
    ]


def test_qti_zip_bomb_and_missing_manifest_are_refused(tmp_path: Path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("imsmanifest.xml", "<manifest/>")
        zf.writestr("big.bin", b"\0" * (301 * 1024 * 1024))
    with pytest.raises(FormatError, match="over the limit"):
        read_bytes(buf.getvalue(), "bomb.zip")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(FormatError, match="neither a QTI content package"):
        read_bytes(buf.getvalue(), "other.zip")


# ------------------------------------------------------------------ CSV / XLSX


def test_csv_semicolon_indonesian_headers():
    r = read_bank(DATA / "bank_semicolon.csv")
    assert r.fmt == "csv"
    items = by_uid(r)
    assert set(items) == {"TIU-C-001", "TIU-C-002", "TKP-C-001", "TWK-C-001", "TIU-C-003"}
    a = items["TIU-C-001"]
    assert (a.tags, pts(a), a.explanation) == (["demo", "latihan"], [0, 5, 0, 0], "12 x 12 = 144")
    assert items["TIU-C-002"].text == "Hasil dari 1,5 + 2,25 adalah ...\n(tulis dalam desimal)"
    assert pts(items["TKP-C-001"]) == [5, 2, 1, 4, 3]
    tf = items["TWK-C-001"]
    assert tf.kind == "truefalse" and [(o.text, o.points) for o in tf.options] == [("Benar", 5), ("Salah", 0)]
    assert (items["TIU-C-003"].kind, pts(items["TIU-C-003"])) == ("multiple", [2.5, 0, 2.5, 0])
    loc = {p.location.rsplit(":", 1)[1]: p.message for p in r.problems}
    assert loc == {
        "9 [TIU-C-004]": "key 'F' is not one of the options A, B",
        "10 [TIU-C-005]": "option B is empty but a later option is filled",
        "11 [TWK-C-002]": "essay questions cannot be delivered",
        "12 [TKP-C-002]": "weight B 'x' is not a number",
    }


def test_csv_windows_1252_is_read_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "ansi.csv"
    path.write_bytes("uid,subtest,question,option_a,option_b,key\nX1,TWK,Café?,oui,non,A\n".encode("cp1252"))
    r = read_bank(path)
    assert r.items[0].text == "Café?" and "Windows-1252" in r.warnings[0].message
    monkeypatch.setenv("EXAM_LOCALE", "id")
    assert read_bank(path).warnings[0].message.startswith("berkas bukan UTF-8")


def make_ugly_xlsx(path: Path) -> Path:
    """A committee workbook: instructions sheet first, merged subtest cells, empty rows and cells, numbers."""
    wb = Workbook()
    info = wb.active
    info.title = "Petunjuk"
    info.append(["Isi lembar Soal"])
    ws = wb.create_sheet("Soal")
    ws.append(
        ["Kode", "Subtes", "Kategori", "Soal", "Opsi A", "Opsi B", "Opsi C", "Kunci", "Bobot A", "Bobot B", "Bobot C"]
    )
    ws.append(["X-1", "TIU", "hitung", "2 + 2 = ?", 3, 4, 5, "B", None, None, None])
    ws.append(["X-2", None, "hitung", "10 / 4 = ?", 2.5, 3, 4, "A", None, None, None])
    ws.append([None] * 11)
    ws.append(["X-3", "TKP", None, "Sikap Anda?", "Baik", "Cukup", "Kurang", None, 5, 3, 1])
    ws.append(["X-4", None, None, None, "a", "b", None, "A", None, None, None])
    ws.merge_cells("B2:B3")  # the subtest is merged over two rows, as committees do
    ws.merge_cells("B5:B6")
    wb.save(path)
    return path


def test_xlsx_with_merged_and_empty_cells(tmp_path: Path):
    r = read_bank(make_ugly_xlsx(tmp_path / "bank.xlsx"))
    assert r.fmt == "xlsx"
    items = by_uid(r)
    assert [(d.uid, d.subtest, [o.text for o in d.options], pts(d)) for d in r.items] == [
        ("X-1", "TIU", ["3", "4", "5"], [0, 5, 0]),
        ("X-2", "TIU", ["2.5", "3", "4"], [5, 0, 0]),
        ("X-3", "TKP", ["Baik", "Cukup", "Kurang"], [5, 3, 1]),
    ]
    assert items["X-1"].category == "hitung"
    (p,) = r.problems
    assert "row 6" in p.location and "X-4" in p.location and p.message == "question text is empty"


def test_xlsx_zip_bomb_is_refused_before_parsing(tmp_path: Path):
    make_ugly_xlsx(tmp_path / "bank.xlsx")
    buf = io.BytesIO()
    with zipfile.ZipFile(tmp_path / "bank.xlsx") as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info, src.read(info))
        zf.writestr("xl/padding.bin", b"\0" * 80_000_000)  # 80 MB of zeros packs to ~80 KB
    with pytest.raises(FormatError, match="bank.xlsx: unpacks to .* possible zip bomb"):
        read_bytes(buf.getvalue(), "bank.xlsx")


# ------------------------------------------------------------------ detection and whole-file errors


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("ugly.gift", "gift"),
        ("basic_aiken.txt", "aiken"),
        ("quiz_moodle.xml", "moodle"),
        ("item_qti21_prefixed.xml", "qti"),
        ("item_qti30_tkp.xml", "qti"),
        ("bank_semicolon.csv", "csv"),
    ],
)
def test_detection_by_content_ignores_the_file_name(name: str, fmt: str):
    assert detect((DATA / name).read_bytes(), "renamed.dat") == fmt


def test_detection_of_zips_and_unknown_content(tmp_path: Path):
    assert detect(make_ugly_xlsx(tmp_path / "x.bin").read_bytes()) == "xlsx"
    assert detect(zip_dir(DATA / "qti21_package", tmp_path / "p.bin").read_bytes()) == "qti"
    assert detect(b'{"format": "exam-engine-bank"}') == "json"
    assert detect(b"format: exam-engine-bank\nitems: []\n") == "yaml"
    with pytest.raises(FormatError, match="not recognised"):
        detect(b"just some prose\nwithout structure\n", "notes.txt")
    with pytest.raises(FormatError, match="old binary Excel"):
        detect(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    with pytest.raises(FormatError, match="bare imsmanifest"):
        detect((DATA / "qti21_package" / "imsmanifest.xml").read_bytes())


def test_problems_are_translated_for_indonesian_staff(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("EXAM_LOCALE", "id")
    r = read_bank(DATA / "basic_aiken.txt", subtest="TWK")
    assert [p.message for p in r.problems] == [
        "ANSWER E bukan salah satu opsi A, B",
        "soal tidak memiliki baris ANSWER",
    ]
    gift = read_bank(DATA / "ugly.gift")
    assert "soal menjodohkan tidak dapat disajikan" in [p.message for p in gift.problems]


def test_images_next_to_the_file_and_never_outside_it(tmp_path: Path):
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "gambar.png").write_bytes((DATA / "peta.png").read_bytes())
    (tmp_path / "rahasia.png").write_bytes((DATA / "peta.png").read_bytes())
    (bank / "palsu.png").write_bytes(b"<svg onload='alert(1)'/>")
    rows = [
        "uid,subtest,question,option_a,option_b,key,image",
        "G-1,TIU,Lihat gambar,a,b,A,gambar.png",
        "G-2,TIU,Di luar folder,a,b,A,../rahasia.png",
        "G-3,TIU,Bukan gambar,a,b,A,palsu.png",
        "G-4,TIU,Dari internet,a,b,A,https://example.com/x.png",
    ]
    path = bank / "soal.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = read_bank(path)
    assert [d.uid for d in r.items] == ["G-1"] and r.items[0].media[0]["mime"] == "image/png"
    assert len(r.images) == 1
    msgs = {p.location.rsplit("[", 1)[1].rstrip("]"): p.message for p in r.problems}
    assert msgs["G-2"] == "image: file '../rahasia.png' not found"
    assert msgs["G-3"] == (
        "image: 'palsu.png': an SVG image is refused (it can carry scripts); use PNG, JPEG, GIF or WebP"
    )
    assert "is not fetched" in msgs["G-4"]


def test_csv_carries_score_bounds_both_ways(tmp_path: Path):
    from question_bank.formats.tabular import write_csv

    csv = ("uid,subtest,kind,question,option_a,option_b,option_c,key,points,score_lower,score_upper\n"
           "MR-1,TIU,multiple,Pilih dua,A,B,C,\"A,B\",6,0,5\n"
           "MR-2,TIU,multiple,Pilih dua,A,B,C,\"A,B\",6,nol,5\n")
    got = read_bytes(csv.encode(), "b.csv")
    assert [(d.uid, d.score_lower, d.score_upper) for d in got.items] == [("MR-1", 0.0, 5.0)]
    assert len(got.problems) == 1 and "score_lower 'nol' is not a number" in got.problems[0].message
    out = tmp_path / "again.csv"
    write_csv(got.items, out)
    back = read_bank(out).items
    assert [(d.uid, d.score_lower, d.score_upper) for d in back] == [("MR-1", 0.0, 5.0)]
