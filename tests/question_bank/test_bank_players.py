"""Audio and video kept like images: stored by hash, named in the item's media with their type, exported, capped."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from question_bank.formats import ReadOptions, read_bank, read_bytes
from question_bank.formats.common import sniff_player
from question_bank.formats.qti import write_package
from question_bank.store import current_drafts, get_image, images_of, import_items
from tests.recordings import mp3, wav

DATA = Path(__file__).resolve().parent / "data" / "fidelity"
VIDEO_ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="VIDEO-1" title="Video"
    adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse>
  </responseDeclaration>
  <itemBody>
    <p>Tonton video berikut.</p>
    <video controls="controls" title="upacara bendera"><source src="klip.webm" type="video/webm"/></video>
    <choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">
      <simpleChoice identifier="A">Upacara</simpleChoice>
      <simpleChoice identifier="B">Pasar</simpleChoice>
      <simpleChoice identifier="C"><object type="audio/wav" data="nada.wav">nada</object>Nada</simpleChoice>
    </choiceInteraction>
  </itemBody>
</assessmentItem>
"""
WEBM = b"\x1a\x45\xdf\xa3" + bytes(60)


def _listening(tmp_path: Path) -> Path:
    shutil.copy(DATA / "qti21_audio.xml", tmp_path / "audio.xml")
    (tmp_path / "salam.mp3").write_bytes(mp3())
    return tmp_path / "audio.xml"


def test_recordings_are_recognised_by_their_bytes() -> None:
    assert sniff_player(mp3(), False) == "audio/mpeg" and sniff_player(wav(), False) == "audio/wav"
    assert sniff_player(WEBM, True) == "video/webm" and sniff_player(WEBM, False) == "audio/webm"
    assert sniff_player(b"OggS" + bytes(20), False) == "audio/ogg"
    assert sniff_player(bytes(4) + b"ftypM4A " + bytes(8), True) == "audio/mp4"
    assert sniff_player(bytes(4) + b"ftypisom" + bytes(8), True) == "video/mp4"
    assert sniff_player(b"\xff\xd8\xff\xe0JFIF", False) is None, "a JPEG is no MP3"
    assert sniff_player(b"<html>not audio</html>", False) is None


def test_a_qti_recording_is_kept_with_its_type_and_description(tmp_path: Path) -> None:
    parsed = read_bank(_listening(tmp_path), subtest="TWK")
    assert parsed.problems == []
    (d,) = parsed.items
    (m,) = d.media
    assert m["mime"] == "audio/mpeg" and m["alt"] == "rekaman salam" and m["src"] == f"bank:{m['sha256']}"
    assert parsed.images[m["sha256"]] == ("audio/mpeg", mp3())
    assert d.text == "Dengarkan rekaman berikut.", "the fallback text describes the recording; it is not the question"


def test_video_and_an_option_recording(tmp_path: Path) -> None:
    (tmp_path / "video.xml").write_text(VIDEO_ITEM, encoding="utf-8")
    (tmp_path / "klip.webm").write_bytes(WEBM)
    (tmp_path / "nada.wav").write_bytes(wav(0.1))
    parsed = read_bank(tmp_path / "video.xml", subtest="TWK")
    assert parsed.problems == []
    (d,) = parsed.items
    assert [(m["mime"], m.get("alt")) for m in d.media] == [("video/webm", "upacara bendera")]
    assert [o.text for o in d.options] == ["Upacara", "Pasar", "Nada"]
    assert [m["mime"] for m in d.options[2].media] == ["audio/wav"]


def test_what_cannot_be_kept_is_a_problem_naming_the_file_and_item(tmp_path: Path) -> None:
    path = _listening(tmp_path)
    small = ReadOptions(subtest="TWK", base_dir=tmp_path, max_media_bytes=100)
    (p,) = read_bytes(path.read_bytes(), str(path), options=small).problems
    assert p.location == f"{path} [AUDIO-1]"
    assert p.message == f"media: 'salam.mp3': audio or video is {len(mp3())} bytes, over the limit of 100"
    (tmp_path / "salam.mp3").write_bytes(b"<html>bukan rekaman</html>")
    (p,) = read_bank(path, subtest="TWK").problems
    assert p.location == f"{path} [AUDIO-1]"
    assert p.message == "media: 'salam.mp3': not an MP3, WAV, Ogg, MP4/M4A or WebM file"


def test_stored_sealed_served_by_hash_exported_and_read_back(tmp_path: Path, session) -> None:  # noqa: ANN001
    parsed = read_bank(_listening(tmp_path), subtest="TWK")
    report = import_items(session, parsed.items, images=parsed.images)
    session.commit()
    assert report.images == 1
    (stored,) = current_drafts(session)
    sha = stored.media[0]["sha256"]
    assert get_image(session, sha) == ("audio/mpeg", mp3())
    out = tmp_path / "export" / "bank_qti.zip"
    out.parent.mkdir()
    write_package([stored], out, images_of(session, [stored]))
    with zipfile.ZipFile(out) as zf:
        assert zf.read(f"media/{sha}.mp3") == mp3()
        item = zf.read("items/AUDIO-1.xml").decode()
        assert f'<object type="audio/mpeg" data="../media/{sha}.mp3">rekaman salam</object>' in item
        assert f'href="media/{sha}.mp3"' in zf.read("imsmanifest.xml").decode()
    again = read_bank(out, subtest="TWK")
    assert again.problems == []
    (d,) = again.items
    assert d.media == stored.media and d.text == stored.text
