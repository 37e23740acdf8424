"""Files a committee uploads in the console tests: an SKD-sized bank (CSV), a broken GIFT bank, a roster."""

from __future__ import annotations

from pathlib import Path

from question_bank.formats import tabular
from question_bank.items import ItemDraft, OptionDraft

SKD = {"TWK": 30, "TIU": 35, "TKP": 45}

BROKEN_GIFT = """// one good question and one without a correct answer
$CATEGORY: $course$/top/TWK/Pancasila

::TWK-G-001::Ibu kota negara Indonesia adalah ...{=Jakarta ~Bandung ~Surabaya ~Medan}

::TWK-G-002::Lambang negara Indonesia adalah ...{~Garuda ~Banteng ~Rajawali}
"""


FIXED_GIFT = BROKEN_GIFT.replace("{~Garuda ~Banteng", "{=Garuda ~Banteng")  # the correct answer marked


def skd_bank(path: Path, prefix: str = "") -> Path:
    """A CSV or XLSX bank (by the suffix) that fills an SKD paper (TWK 30, TIU 35, TKP 45): five options each."""
    drafts = []
    for subtest, n in SKD.items():
        for i in range(n):
            if subtest == "TKP":
                options = [OptionDraft(f"Sikap {k} nomor {i}", float(k + 1)) for k in range(5)]
            else:
                options = [OptionDraft(f"Pilihan {k} soal {i}", 5.0 if k == i % 5 else 0.0) for k in range(5)]
            drafts.append(ItemDraft(uid=f"{prefix}{subtest}-{i:03d}", subtest=subtest,
                                    text=f"Soal {subtest} nomor {i + 1}: pilih jawaban yang paling tepat.",
                                    options=options, category="umum", difficulty="sedang"))
    if path.suffix == ".xlsx":
        tabular.write_xlsx(drafts, path, [])
    else:
        tabular.write_csv(drafts, path)
    return path


def roster_csv(path: Path, rows: list[tuple[str, str, str, str]], bad_line: bool = False) -> Path:
    """A registration export: (participant number, name, room, session) per candidate."""
    lines = ["no_peserta,nama,tanggal_lahir,formasi,jalur,sesi,ruang"]
    lines += [f"{no},{name},2000-01-0{i % 9 + 1},Analis Kebijakan,general,{sesi},{room}"
              for i, (no, name, room, sesi) in enumerate(rows)]
    if bad_line:
        lines.append("12,Tanpa Tanggal,31-31-2000,Analis,general,1,R1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
