"""The HTML and MarkdownV2 parse modes accept what Telegram accepts and reject the rest."""

from __future__ import annotations

import pytest

from bot.emulator.errors import ApiError
from bot.emulator.formatting import parse
from bot.emulator.html import parse_html
from bot.emulator.markdown import parse_markdown, parse_markdown_v2


def test_html_nested_tags_give_entities_in_utf16_units() -> None:
    result = parse_html("👋 <b>Chào <i>bạn</i></b> &amp; <u>hẹn</u>")
    assert result.text == "👋 Chào bạn & hẹn"
    assert result.entities == [
        {"type": "bold", "offset": 3, "length": 8},
        {"type": "italic", "offset": 8, "length": 3},
        {"type": "underline", "offset": 14, "length": 3},
    ]


@pytest.mark.parametrize(
    ("source", "entity"),
    [
        (
            '<a href="https://example.org/?a=1&amp;b=2">x</a>',
            {"type": "text_link", "url": "https://example.org/?a=1&b=2"},
        ),
        ('<span class="tg-spoiler">x</span>', {"type": "spoiler"}),
        ("<tg-spoiler>x</tg-spoiler>", {"type": "spoiler"}),
        ("<strong>x</strong>", {"type": "bold"}),
        ("<em>x</em>", {"type": "italic"}),
        ("<ins>x</ins>", {"type": "underline"}),
        ("<del>x</del>", {"type": "strikethrough"}),
        ("<strike>x</strike>", {"type": "strikethrough"}),
        ("<code>x</code>", {"type": "code"}),
        (
            '<pre><code class="language-python">x</code></pre>',
            {"type": "pre", "language": "python"},
        ),
        ("<blockquote>x</blockquote>", {"type": "blockquote"}),
        ("<blockquote expandable>x</blockquote>", {"type": "expandable_blockquote"}),
        (
            '<tg-emoji emoji-id="5368324170671202286">x</tg-emoji>',
            {"type": "custom_emoji", "custom_emoji_id": "5368324170671202286"},
        ),
        (
            '<tg-time unix="1700000000" format="wDT">x</tg-time>',
            {"type": "date_time", "unix_time": 1700000000},
        ),
        ("<B>x</B>", {"type": "bold"}),
    ],
)
def test_html_accepts_every_allowed_tag(source: str, entity: dict[str, object]) -> None:
    result = parse_html(source)
    assert result.text == "x"
    assert len(result.entities) == 1
    assert entity.items() <= result.entities[0].items()


def test_html_decodes_named_and_numeric_entities() -> None:
    assert parse_html("&lt;tag&gt; &quot;q&quot; &#39; &#x1F600;").text == '<tag> "q" \' 😀'
    assert parse_html("a > b").text == "a > b"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("line<br>", 'Unsupported start tag "br" at byte offset 4'),
        ("<div>x</div>", 'Unsupported start tag "div"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("Tom & Jerry", 'Character "&" must be written as "&amp;"'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ('<a href="x>y</a>', "Unclosed attribute value"),
        ("<b", "Unclosed start tag"),
        ("ở <b", "Unclosed start tag at byte offset 4"),
    ],
)
def test_html_rejects_malformed_markup(source: str, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(source)
    assert caught.value.status == 400
    assert caught.value.violation
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert message in caught.value.description


def test_markdown_v2_entities_and_escapes() -> None:
    result = parse_markdown_v2(
        r"*đậm* _nghiêng_ __gạch__ ~xoá~ ||ẩn|| `mã.` [liên kết](https://a.vn/x\)) 1\.5"
    )
    assert result.text == "đậm nghiêng gạch xoá ẩn mã. liên kết 1.5"
    kinds = [e["type"] for e in result.entities]
    assert kinds == ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "text_link"]
    assert result.entities[-1]["url"] == "https://a.vn/x)"


def test_markdown_v2_blockquote_and_pre() -> None:
    result = parse_markdown_v2(">trích\n>dẫn\nhết\n```python\nprint(1)\n```")
    assert result.text == "trích\ndẫn\nhết\nprint(1)\n"
    assert result.entities[0] == {"type": "blockquote", "offset": 0, "length": 9}
    assert result.entities[1]["type"] == "pre"
    assert result.entities[1]["language"] == "python"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Xong.", "Character '.' is reserved"),
        ("a-b", "Character '-' is reserved"),
        ("*đậm", "Can't find end of Bold entity at byte offset 0"),
        ("_a *b_ c*", "Can't find end"),
    ],
)
def test_markdown_v2_rejects_unescaped_and_unclosed(source: str, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_markdown_v2(source)
    assert message in caught.value.description


def test_legacy_markdown() -> None:
    result = parse_markdown("*a* _b_ `c` [d](https://e.vn) 1.5-2")
    assert result.text == "a b c d 1.5-2"
    assert [e["type"] for e in result.entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(ApiError):
        parse_markdown("*open")


def test_parse_mode_names_and_explicit_entities() -> None:
    assert parse("<b>x</b>", "html", None).entities[0]["type"] == "bold"
    given = [{"type": "bold", "offset": 0, "length": 1}]
    assert parse("<b>x</b>", "HTML", given).text == "<b>x</b>"
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        parse("x", "BBCode", None)
