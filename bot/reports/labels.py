"""Vietnamese wording of report files: column headers, unit kinds, notes.

Files go to Vietnamese authorities whatever the language of the person who asked for them, so
these are plain Vietnamese strings rather than gettext messages.
"""

from __future__ import annotations

from bot.domain.periods import Bucket, Period

KINDS = {
    "province": "Tỉnh/Thành phố",
    "agency": "Cơ quan",
    "enterprise": "Doanh nghiệp",
    "school": "Cơ sở giáo dục",
    "department": "Phòng/Ban",
    "class": "Lớp",
}

UNIT = "Mã đơn vị"
UNIT_NAME = "Tên đơn vị"
KIND = "Loại"
MEMBERS = "Thành viên"
ACTIVE = "Thành viên hoạt động"
READS = "Lượt đọc bài"
QUIZ_STARTED = "Lượt bắt đầu kiểm tra"
QUIZ_FINISHED = "Lượt hoàn thành kiểm tra"
QUIZ_PASSED = "Lượt đạt"
PASS_RATE = "Tỉ lệ đạt (%)"
AVERAGE = "Điểm trung bình (%)"
REMINDERS = "Xác nhận nhắc nhở"
BROADCASTS = "Xác nhận thông báo"
ENROLLED_SHARE = "Đã đồng ý tham gia (%)"
READ_SHARE = "Đã đọc tài liệu cốt lõi (%)"
PASSED_SHARE = "Đạt bài kiểm tra cốt lõi (%)"
ACKNOWLEDGED_SHARE = "Có xác nhận nhắc nhở (%)"
SCORE = "Điểm tham gia"
TIER = "Hạng tham gia"
WHOLE_PERIOD = "Cả kỳ"

PERSON = "Họ và tên"
USERNAME = "Tài khoản Telegram"
UNITS = "Đơn vị"
ROLES = "Vai trò"
ACTIVE_DAYS = "Số ngày hoạt động"
WITHDRAWN = "(chưa đồng ý hoặc đã rút đồng ý)"

ROLES_VI = {"learner": "học viên", "trainer": "giảng viên", "officer": "cán bộ"}

SUMMARY_SHEET = "Tổng hợp"
NOTES_SHEET = "Ghi chú"
OWN_MEMBERS = "Trực thuộc"

SCORECARD_NOTE = (
    "Hạng tham gia là chỉ số về mức độ tham gia tuyên truyền, hỗ trợ và không thay thế việc "
    "xét công nhận “đạt / chưa đạt” tiêu chuẩn “An toàn về an ninh, trật tự” theo Thông tư "
    "124/2021/TT-BCA."
)
SCORE_NOTE = (
    "Điểm tham gia = trung bình của bốn tỉ lệ trên số thành viên: đã đồng ý tham gia; đã đọc "
    "tài liệu cốt lõi; đạt bài kiểm tra cốt lõi trong kỳ; có xác nhận nhắc nhở trong kỳ."
)
PEOPLE_NOTE = "Danh sách cá nhân chỉ có trong báo cáo do cán bộ của đơn vị (hoặc quản trị) lập."


def people_omitted_note(count: int) -> str:
    return (
        f"Đơn vị có {count} thành viên nên báo cáo này không kèm danh sách cá nhân; hãy xuất "
        "báo cáo của từng đơn vị trực thuộc để xem danh sách thành viên."
    )


def tiers_note(thresholds: tuple[int, ...]) -> str:
    letters = "ABCDEFGHIJ"
    parts = [f"{letters[i]}: từ {limit} điểm" for i, limit in enumerate(thresholds)]
    parts.append(f"{letters[len(thresholds)]}: dưới {thresholds[-1]} điểm")
    return "Hạng: " + "; ".join(parts) + "."


def period_text(period: Period) -> str:
    return f"Từ {period.start:%d/%m/%Y} đến {period.end:%d/%m/%Y}"


def bucket_text(bucket: Bucket) -> str:
    if bucket.start.day == 1 and (bucket.end - bucket.start).days >= 27:
        return f"Tháng {bucket.start:%m/%Y}"
    return f"{bucket.start:%d/%m}–{bucket.end:%d/%m}"
