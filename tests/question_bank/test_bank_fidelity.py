"""Fidelity on constructs real files use: feedback never in the stem, explanations only from general feedback or
a scorer's solution, conditional feedback reported as dropped."""

import shutil
from hashlib import sha256
from pathlib import Path

from question_bank.formats import ReadOptions, read_bank, read_bytes
from tests.recordings import mp3

DATA = Path(__file__).resolve().parent / "data" / "fidelity"


def _notices(parsed) -> list[str]:  # noqa: ANN001
    return [f"{w.location}: {w.message}" for w in parsed.warnings if "conditional feedback" in w.message]


def test_qti21_feedback_never_in_the_stem_and_scorer_rubric_is_the_explanation():
    parsed = read_bank(DATA / "qti21_feedback.xml", subtest="TWK")
    assert parsed.problems == []
    (d,) = parsed.items
    assert d.text == "Pilih satu jawaban.\nSiapa proklamator kemerdekaan Indonesia?"
    assert [o.text for o in d.options] == ["Soekarno dan Hatta", "Sutan Syahrir"]
    assert d.explanation == "Soekarno dan Hatta membacakan proklamasi pada 17 Agustus 1945."
    notices = _notices(parsed)
    assert len(notices) == 4  # feedbackInline, two feedbackBlocks, modalFeedback
    assert any("feedbackBlock B" in n and "Bukan, salah!" in n for n in notices)
    assert any("modalFeedback A" in n and "Betul!" in n for n in notices)
    assert all("qti21_feedback.xml" in n and "[FB-21]" in n for n in notices)


def test_qti30_modal_feedback_is_not_an_explanation():
    parsed = read_bank(DATA / "qti30_feedback.xml", subtest="TIU")
    (d,) = parsed.items
    assert d.text == "2 + 2 = ..." and d.explanation is None
    assert len(_notices(parsed)) == 2


def test_moodle_answer_and_combined_feedback_dropped_general_feedback_kept():
    parsed = read_bank(DATA / "moodle_feedback.xml")
    (d,) = parsed.items
    assert d.explanation == "Setiap suku dikali 2." and "Betul" not in d.text
    notices = _notices(parsed)
    assert len(notices) == 2 and all("TIU-FB-1" in n for n in notices)
    assert any("Jawaban Anda benar." in n for n in notices)


def test_gift_answer_feedback_dropped_general_feedback_kept():
    parsed = read_bank(DATA / "feedback.gift")
    (d,) = parsed.items
    assert d.explanation == "Pancasila adalah dasar negara."
    assert [o.text for o in d.options] == ["Pancasila", "UUD 1945"]
    assert len(_notices(parsed)) == 2


def test_qti_mapping_bounds_and_default_value_are_read():
    parsed = read_bank(DATA / "qti21_mapping_bounds.xml", subtest="TIU")
    assert parsed.problems == []
    (d,) = parsed.items
    assert d.kind == "multiple" and [o.points for o in d.options] == [2, 1.5, 1.5, -1, -1]
    assert (d.score_lower, d.score_upper) == (0, 4)
    (d3,) = read_bank(DATA / "qti30_mapping_bounds.xml", subtest="TIU").items
    assert [o.points for o in d3.options] == [2.5, -2.5, 2.5] and (d3.score_lower, d3.score_upper) == (0, None)


def test_qti_bounds_survive_store_export_and_reimport(tmp_path: Path, session):  # noqa: ANN001
    import zipfile

    from question_bank.formats import json_format, qti
    from question_bank.store import current_drafts, import_items, load_pool, score_bounds

    drafts = [
        *read_bank(DATA / "qti21_mapping_bounds.xml", subtest="TIU").items,
        *read_bank(DATA / "qti30_mapping_bounds.xml", subtest="TIU").items,
    ]
    import_items(session, drafts)
    session.commit()
    bounds = score_bounds(session, [p.version_id for p in load_pool(session)])
    assert sorted(bounds.values(), key=str) == [(0.0, 4.0), (0.0, None)]
    stored = current_drafts(session)
    out = tmp_path / "bank_qti.zip"
    qti.write_package(stored, out, {})
    xml = zipfile.ZipFile(out).read("items/TIU-MAP-1.xml").decode()
    assert 'lowerBound="0"' in xml and 'upperBound="4"' in xml
    assert "upperBound" not in zipfile.ZipFile(out).read("items/TIU-MAP-3.xml").decode()

    def key(d):  # noqa: ANN001, ANN202
        return (d.uid, d.kind, d.text, [(o.text, o.points) for o in d.options], d.score_lower, d.score_upper)

    again = read_bank(out).items
    assert sorted(map(key, again)) == sorted(map(key, stored))
    report = import_items(session, again)
    assert (report.imported, report.updated, report.unchanged) == (0, 0, 2)
    json_format.write_json(stored, tmp_path / "bank.json")
    assert sorted(map(key, read_bank(tmp_path / "bank.json").items)) == sorted(map(key, stored))


def test_moodle_19_picture_source_line_breaks_links_and_players():
    parsed = read_bank(DATA / "moodle_rich.xml")
    d, heard = parsed.items
    assert d.uid == "TIU-RICH-1" and d.text == "Perhatikan gambar di bawah ini (lihat peta).\nArah mata angin?"
    assert [m["mime"] for m in d.media] == ["image/png"] and len(parsed.images) == 2
    assert any("https://example.org/peta" in w.message for w in parsed.warnings)
    assert heard.uid == "TIU-RICH-2" and [m["mime"] for m in heard.media] == ["audio/mpeg"]
    (p,) = parsed.problems
    assert p.location.endswith("moodle_rich.xml:24: question 4 [TIU-RICH-3]") and "klip.mp4" in p.message


def _media_key(d):  # noqa: ANN001, ANN202
    def strip(media):  # noqa: ANN001, ANN202
        return [(m["sha256"], m["mime"], m.get("alt")) for m in media]

    return (d.uid, d.kind, d.text, strip(d.media), [(o.text, o.points, strip(o.media)) for o in d.options])


def _qti_round_trip(parsed, tmp_path: Path):  # noqa: ANN001, ANN202
    """Export the parsed items with their media to a QTI package and read it back."""
    from question_bank.formats import qti

    qti.write_package(parsed.items, tmp_path / "media.zip", {sha: data for sha, (_m, data) in parsed.images.items()})
    return read_bank(tmp_path / "media.zip")


def test_moodle_recordings_in_question_and_answer_are_kept_and_survive_qti(tmp_path: Path):
    parsed = read_bank(DATA / "moodle_media.xml")
    d, linked = parsed.items
    assert d.uid == "TWK-DENGAR-1" and d.text == "Dengarkan rekaman berikut.\nSalam apa yang diucapkan?"
    (m,) = d.media
    assert (m["mime"], m["sha256"], m["alt"]) == ("audio/mpeg", sha256(mp3(1)).hexdigest(), "salam pagi")
    assert [o.text for o in d.options] == ["Selamat pagi", "Yang ini:", "Selamat siang"]
    (a,) = d.options[1].media
    assert (a["mime"], a["sha256"], a["alt"]) == ("audio/mpeg", sha256(mp3(2)).hexdigest(), "salam malam")
    assert parsed.images[a["sha256"]] == ("audio/mpeg", mp3(2))
    problems = {p.location.rsplit(" ", 1)[1]: p.message for p in parsed.problems}
    assert problems == {
        "[TWK-DENGAR-2]": "file '@@PLUGINFILE@@/hilang.mp3' not found",
        "[TWK-DENGAR-3]": "'@@PLUGINFILE@@/bukan.mp4': not an MP3, WAV, Ogg, MP4/M4A or WebM file",
    }
    assert all("moodle_media.xml:" in p.location for p in parsed.problems)  # file:line
    assert [_media_key(x) for x in _qti_round_trip(parsed, tmp_path).items] == [_media_key(d), _media_key(linked)]


def test_a_link_to_a_recording_keeps_the_recording_and_its_text_in_every_html_format(tmp_path: Path):
    linked = read_bank(DATA / "moodle_media.xml").items[1]
    assert (linked.uid, linked.text) == ("TWK-DENGAR-4", "Dengarkan pesan ini, lalu jawab.")
    assert [(m["mime"], m["sha256"], m["alt"]) for m in linked.media] == [
        ("audio/mpeg", sha256(mp3(3)).hexdigest(), "pesan ini")
    ]
    item = (DATA / "qti21_audio.xml").read_text(encoding="utf-8")
    start, end = item.index("<object"), item.index("</object>") + len("</object>")
    (tmp_path / "link.xml").write_text(item[:start] + '<p><a href="pesan.mp3">pesan ini</a></p>' + item[end:])
    (tmp_path / "pesan.mp3").write_bytes(mp3(3))
    (q,) = read_bank(tmp_path / "link.xml", subtest="TWK").items
    assert [(m["mime"], m["alt"]) for m in q.media] == [("audio/mpeg", "pesan ini")] and "pesan ini" in q.text
    (tmp_path / "pesan.mp3").unlink()
    (p,) = read_bank(tmp_path / "link.xml", subtest="TWK").problems
    assert p.location.endswith("link.xml [AUDIO-1]") and p.message == "media: file 'pesan.mp3' not found"


def test_an_oversized_moodle_recording_is_a_problem_naming_file_and_item():
    path = DATA / "moodle_media.xml"
    small = ReadOptions(max_media_bytes=500)
    parsed = read_bytes(path.read_bytes(), path.name, options=small)
    assert parsed.items == []
    p = parsed.problems[0]
    assert p.location == "moodle_media.xml:7: question 2 [TWK-DENGAR-1]"
    assert p.message == f"'@@PLUGINFILE@@/malam.mp3': audio or video is {len(mp3(2))} bytes, over the limit of 500"


def test_gift_html_keeps_a_data_uri_recording_and_names_what_it_cannot_read(tmp_path: Path):
    gift = read_bank(DATA / "media.gift")
    sapa, biasa = gift.items
    assert (sapa.uid, sapa.text, biasa.uid) == ("Sapa", "Dengarkan sapaan ini.", "Biasa")
    (m,) = sapa.media
    assert (m["mime"], m["sha256"], m["alt"]) == ("audio/mpeg", sha256(mp3(1)).hexdigest(), "sapaan")
    assert sapa.explanation == "Sapaan yang lazim."
    assert any(w.location.endswith("media.gift:10 [Sapa]") and "penjelasan.png" in w.message for w in gift.warnings)
    problems = {p.location.rsplit("/", 1)[1]: p.message for p in gift.problems}
    assert problems == {
        "media.gift:5 [Salam]": "media: file 'salam.mp3' not found",
        "media.gift:16 [Polos]": "media: 'salam.mp3': images, audio and video are read only from [html] text",
    }
    assert [_media_key(x) for x in _qti_round_trip(gift, tmp_path).items] == [_media_key(sapa), _media_key(biasa)]


def test_a_gift_recording_is_read_next_to_the_file_only_when_its_folder_is_given(tmp_path: Path):
    shutil.copy(DATA / "media.gift", tmp_path / "media.gift")
    (tmp_path / "salam.mp3").write_bytes(mp3(2))
    salam = next(d for d in read_bank(tmp_path / "media.gift").items if d.uid == "Salam")
    assert [(m["mime"], m["sha256"], m["alt"]) for m in salam.media] == [
        ("audio/mpeg", sha256(mp3(2)).hexdigest(), "salam")
    ]
    loose = read_bytes((tmp_path / "media.gift").read_bytes(), "media.gift")  # no folder: nothing is read from disk
    assert any(p.location == "media.gift:5 [Salam]" and "'salam.mp3' not found" in p.message for p in loose.problems)


def test_a_missing_qti_recording_is_a_problem_at_its_place():
    qti = read_bank(DATA / "qti21_audio.xml", subtest="TWK")  # the recording does not travel with this file
    (p,) = qti.problems
    assert qti.items == [] and p.location.endswith("qti21_audio.xml [AUDIO-1]")
    assert p.message == "media: file 'salam.mp3' not found"


def test_tables_and_mathml_are_kept_as_sanitized_html_with_a_plain_form():
    parsed = read_bank(DATA / "moodle_table_math.xml")
    (d,) = parsed.items
    assert d.html is not None
    assert [o.text for o in d.options] == ["a ≠ 0", "a²<0", "a = 0"] and d.explanation == "Penyebut 2a tidak boleh nol."
    plain = sorted(w.message.split(":")[0] for w in parsed.warnings if "plain text only" in w.message)
    assert plain == ["explanation", "option 2"]
    assert "<table>" in d.html and '<td colspan="2">Total: 12</td>' in d.html
    assert "<math><mi>x</mi><mo>=</mo><mfrac>" in d.html and "<msqrt>" in d.html
    for bad in ("script", "alert", "onclick", "style", "border", "xmlns"):
        assert bad not in d.html
    assert d.text.splitlines() == [
        "Perhatikan tabel penjualan berikut.",
        "Bulan Unit",
        "Januari 12",
        "Total: 12",
        "Akar persamaan x=(-b±√(b²-4ac))/(2a) berlaku bila ...",
    ]
    (q,) = read_bank(DATA / "qti21_table_math.xml", subtest="TIU").items
    assert q.html == (
        "<p>Nilai <math><msup><mn>2</mn><mn>10</mn></msup></math> adalah ...</p><table><tbody><tr><td>n</td>"
        "<td>1</td><td>2</td></tr><tr><td>2<sup>n</sup></td><td>2</td><td>4</td></tr></tbody></table>"
        "<p>Pilih satu.</p>"
    )
    assert q.text == "Nilai 2¹⁰ adalah ...\nn 1 2\n2ⁿ 2 4\nPilih satu."


def test_rich_items_survive_store_paper_qti_and_json(tmp_path: Path, session):  # noqa: ANN001
    from question_bank.formats import json_format, qti
    from question_bank.labels import PaperLabels, PaperMap
    from question_bank.packages import paper_document
    from question_bank.store import current_drafts, import_items, load_pool, version_contents

    drafts = [
        *read_bank(DATA / "moodle_table_math.xml").items,
        *read_bank(DATA / "qti21_table_math.xml", subtest="TIU").items,
    ]
    import_items(session, drafts)
    session.commit()
    contents = version_contents(session, [p.version_id for p in load_pool(session)])
    assert sorted(c.html[:12] for c in contents.values()) == ["<p>Nilai <ma", "<p>Perhatika"]
    vid = next(iter(contents))
    layout = {"subtests": [{"code": "TIU", "title": "TIU", "questions": [
        {"v": vid, "o": [o[0] for o in contents[vid].options]}]}]}  # fmt: skip
    pmap = PaperMap(PaperLabels(b"k" * 32, 1), layout)
    assert paper_document(layout, contents, pmap)["subtests"][0]["questions"][0]["html"] == contents[vid].html
    stored = current_drafts(session)

    def key(d):  # noqa: ANN001, ANN202
        return (d.uid, d.text, d.html, [(o.text, o.points) for o in d.options])

    qti.write_package(stored, tmp_path / "rich.zip", {})
    assert sorted(map(key, read_bank(tmp_path / "rich.zip").items)) == sorted(map(key, stored))
    json_format.write_json(stored, tmp_path / "rich.json")
    assert sorted(map(key, read_bank(tmp_path / "rich.json").items)) == sorted(map(key, stored))
    again = import_items(session, read_bank(tmp_path / "rich.zip").items)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 2)


def test_latex_in_a_template_csv_is_rendered_to_mathml_and_survives_exports(tmp_path: Path):
    from question_bank.formats import json_format, qti, tabular

    parsed = read_bank(DATA / "latex_template.csv")
    first, second = parsed.items
    assert first.text == r"Nilai dari $\sum_{k=1}^{10} k$ adalah ..."  # the plain form keeps the TeX as written
    assert first.html.startswith('<p>Nilai dari <math display="inline"><semantics><mrow><msubsup><mo>∑</mo>')
    assert r'<annotation encoding="application/x-tex">\sum_{k=1}^{10} k</annotation>' in first.html
    assert second.html is None  # braces without a formula are text
    assert any("explanation" in w.message and "plain text only" in w.message for w in parsed.warnings)

    def key(d):  # noqa: ANN001, ANN202
        return (d.uid, d.text, d.html, [(o.text, o.points) for o in d.options])

    qti.write_package(parsed.items, tmp_path / "latex.zip", {})
    assert sorted(map(key, read_bank(tmp_path / "latex.zip").items)) == sorted(map(key, parsed.items))
    tabular.write_csv(parsed.items, tmp_path / "latex.csv")
    assert sorted(map(key, read_bank(tmp_path / "latex.csv").items)) == sorted(map(key, parsed.items))
    json_format.write_json(parsed.items, tmp_path / "latex.json")
    assert sorted(map(key, read_bank(tmp_path / "latex.json").items)) == sorted(map(key, parsed.items))


def test_broken_or_unknown_latex_stays_text_and_is_named(tmp_path: Path):
    bank = tmp_path / "bank.csv"
    bank.write_text(
        "uid,subtest,question,option_a,option_b,key\n"
        'X-1,TIU,"Harga $5 dan $10, berapa selisihnya?",5,10,A\n'
        'X-2,TIU,"Rusak $\\frac{1}{$ dan aneh $\\foo{x}$",a,b,A\n',
        encoding="utf-8",
    )
    parsed = read_bank(bank)
    assert [d.html for d in parsed.items] == [None, None]
    named = [w.message for w in parsed.warnings if "kept as text" in w.message]
    assert len(named) == 2 and "\\foo{x}" in named[1]


def test_latex_beside_a_table_in_moodle_html_is_rendered_too(tmp_path: Path):
    from question_bank.formats import qti

    (d,) = read_bank(DATA / "moodle_table_latex.xml").items
    assert d.html.count('<annotation encoding="application/x-tex">n^2</annotation>') == 2 and "<table>" in d.html
    assert "\\(" not in d.html and "Harga $5 tidak berubah." in d.html
    assert d.text == "Tabel nilai $n^2$ berikut:\nn 3\n$n^2$ 9\nHarga $5 tidak berubah."
    qti.write_package([d], tmp_path / "t.zip", {})
    (again,) = read_bank(tmp_path / "t.zip").items
    assert (again.text, again.html) == (d.text, d.html)
