"""The sandbox in script mode, as an evaluator uses it: several people with their roles, a group
chat with a quiz poll, the toasts and alerts of button presses, and the files the bot sends,
saved where the transcript says."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from openpyxl import load_workbook

from bot.emulator import Emulator
from bot.sandbox import run_sandbox
from bot.settings import Settings

TEXT = "Sáng thứ Hai diễn tập phòng cháy chữa cháy lúc 7 giờ 30."
FILE_LINE = re.compile(r"^[<~ ] \[(file|picture): (.+), (\d+) bytes\]$")


async def play(emulator: Emulator, files: Path, script: str) -> list[str]:
    out = io.StringIO()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    await run_sandbox(
        settings, script=script.strip().splitlines(), out=out, files=files, emulator=emulator
    )
    return out.getvalue().splitlines()


def after(lines: list[str], command: str, occurrence: int = 1) -> list[str]:
    """The lines printed for the `occurrence`-th `> command`, up to the next command."""
    starts = [i for i, line in enumerate(lines) if line == f"> {command}"]
    assert len(starts) >= occurrence, f"{command!r} not in the transcript"
    start = starts[occurrence - 1] + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("> ")), len(lines))
    return lines[start:end]


def saved_files(lines: list[str]) -> list[Path]:
    return [Path(match[2]) for line in lines if (match := FILE_LINE.match(line))]


async def test_a_trainer_broadcasts_and_a_learner_acknowledges(
    emulator: Emulator, tmp_path: Path
) -> None:
    lines = await play(
        emulator,
        tmp_path / "files",
        f"""
/start
1
2
/start GIANGVIEN
/phatbai
/press Đơn vị
/press Tiếp
{TEXT}
/press xác nhận
/press Xem trước
# the acknowledgment button of the preview only answers with a toast
/press ✅
/press Gửi
/wait 4
/as 7
1
/who
""",
    )
    assert lines[0] == "> /start"
    assert any(line.startswith("  [toast] ") for line in after(lines, "/press ✅"))
    arrived = after(lines, "/wait 4")
    for learner in ("7 Thu", "8 Hải", "9 Mai"):
        header = arrived.index(f"-- to {learner}, private chat --")
        assert arrived[header + 1] == f"< {TEXT}"
    thu = after(lines, "/as 7")
    assert thu[0] == "* You are now 7 Thu (learner in DEMO), in the private chat."
    assert thu[2] == f"< {TEXT}" and thu[3].startswith("  [1] ")
    acknowledged = after(lines, "1", occurrence=2)
    assert acknowledged[0].startswith("  [toast] ") and "  (buttons removed)" in acknowledged
    assert after(lines, "/who") == [
        "* You are 7 Thu, in the private chat. People:",
        "*   1 Bạn: trainer in DEMO",
        "* > 7 Thu: learner in DEMO",
        "*   8 Hải: learner in DEMO",
        "*   9 Mai: learner in DEMO",
    ]


async def test_two_people_a_group_an_alert_and_files(emulator: Emulator, tmp_path: Path) -> None:
    files = tmp_path / "files"
    lines = await play(
        emulator,
        files,
        """
/start
1
2
/start HOCVIEN
/baihoc
1
1
/press Mục lục
/press Chỉ thị còn hiệu lực
# read too fast: the bot answers with an alert
/press Đã đọc
/as 2 Minh
/start
1
2
/start CANBO
/thongke
/press Excel
/riengtu
/press Tải
/group
/kiemtra
1
1
/bangxephang
/as 1
/private
/who
""",
    )
    assert any(line.startswith("  [alert] ") for line in after(lines, "/press Đã đọc"))
    assert after(lines, "/as 2 Minh") == [
        "* You are now 2 Minh (a new person), in the private chat."
    ]

    workbook = saved_files(after(lines, "/press Excel"))
    export = saved_files(after(lines, "/press Tải"))
    assert len(workbook) == len(export) == 1
    assert workbook[0].parent == files.resolve() and workbook[0].suffix == ".xlsx"
    assert load_workbook(workbook[0]).sheetnames
    data = json.loads(export[0].read_text(encoding="utf-8"))
    assert "700000002" in json.dumps(data)  # Minh's own data, nobody else's
    assert "700000001" not in json.dumps(data)
    assert sorted(files.iterdir()) == sorted([workbook[0], export[0]])

    assert after(lines, "/group")[0] == "* 2 Minh is now in the group Nhóm dùng thử."
    round_ = after(lines, "1", occurrence=5)
    polls = [line for line in round_ if line.startswith("< [poll] ")]
    assert polls, round_
    vote = after(lines, "1", occurrence=6)
    assert vote[0].startswith("  (voted: ")
    board = after(lines, "/bangxephang")
    assert board[0].startswith("< ") and any("M." in line for line in board[1:])  # Minh's initial
    assert after(lines, "/private")[0] == "* 1 Bạn is now in the private chat."
    who = after(lines, "/who")
    assert "* > 1 Bạn: learner in DEMO" in who and "*   2 Minh: officer in DEMO" in who


def test_files_keep_their_names_and_repeated_names_are_numbered(tmp_path: Path) -> None:
    from bot.emulator import SentMessage
    from bot.sandbox_view import FileShelf

    shelf = FileShelf(tmp_path / "out")

    def sent(message_id: int, name: str | None, **media: bytes) -> SentMessage:
        return SentMessage(message_id, 1, "sendDocument", 0, filename=name, **media)

    first = shelf.save(sent(1, "bao-cao.xlsx", document=b"one"))
    again = shelf.save(sent(1, "bao-cao.xlsx", document=b"one"))
    second = shelf.save(sent(2, "bao-cao.xlsx", document=b"two"))
    hostile = shelf.save(sent(3, "../../etc/x y.csv", document=b"three"))
    picture = shelf.save(sent(4, None, photo=b"\x89PNG...."))
    assert shelf.save(sent(5, "nothing.txt")) is None
    names = [p.name for p in (first, again, second, hostile, picture) if p is not None]
    assert names == ["bao-cao.xlsx", "bao-cao.xlsx", "bao-cao-2.xlsx", "x-y.csv", "picture-4.png"]
    assert {p.parent for p in (first, second, hostile, picture) if p} == {tmp_path / "out"}
    assert (tmp_path / "out" / "bao-cao-2.xlsx").read_bytes() == b"two"
