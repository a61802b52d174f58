"""Splitting sections into Telegram messages: validity, limits, no lost text, cut points."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.content_links import MAX_BOT_USERNAME, doc_link_href, worst_case_length
from bot.domain.content_render import Segment, Tags, closing, to_html
from bot.domain.content_split import MESSAGE_LIMIT, SplitError, split_html, split_segments
from bot.domain.text import utf16_len

DOC_LINK = f'<a href="{doc_link_href("tt-124-2021")}">'
WEB_LINK = '<a href="https://example.org/a?b=1&amp;c=&quot;2&quot;">'
STACKS: list[Tags] = [
    (),
    ("<b>",),
    ("<i>",),
    ("<b>", "<i>"),
    ("<i>", "<b>"),
    (DOC_LINK,),
    (WEB_LINK,),
    ("<b>", DOC_LINK),
    (DOC_LINK, "<i>"),
    ("<b>", WEB_LINK, "<i>"),
]
_TOKEN = re.compile(r'<(/?)(b|i|a)((?: href="[^"<>]*")?)>|&(amp|lt|gt|quot);|([^<&]+)|(.)', re.S)
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"'}


def parse_telegram_html(html: str) -> list[tuple[str, Tags]]:
    """Strictly read our HTML subset: every visible character with the tags around it.
    Fails on anything Telegram would reject or we never produce."""
    stack: list[str] = []
    out: list[tuple[str, Tags]] = []
    for match in _TOKEN.finditer(html):
        slash, name, attributes, entity, text, stray = match.groups()
        assert stray is None, f"stray {stray!r} in {html!r}"
        if name:
            if slash:
                assert not attributes
                assert stack, f"closing </{name}> with nothing open"
                assert closing(stack[-1]) == f"</{name}>", f"</{name}> closes {stack[-1]}"
                stack.pop()
            else:
                assert (name == "a") == bool(attributes), f"bad attributes on <{name}>"
                assert not (name == "a" and any(t.startswith("<a") for t in stack)), "nested <a>"
                stack.append(match.group(0))
        else:
            piece = _ENTITIES[entity] if entity else text
            out.extend((char, tuple(stack)) for char in piece)
    assert not stack, f"unclosed {stack} in {html!r}"
    return out


def flatten(segments: list[Segment]) -> list[tuple[str, Tags]]:
    return [(char, tags) for text, tags in segments for char in text]


def assert_valid_split(segments: list[Segment], limit: int) -> list[str]:
    messages = split_html(segments, limit)
    original = flatten(segments)
    position = 0
    for html in messages:
        chars = parse_telegram_html(html)
        visible = "".join(char for char, _ in chars)
        assert visible.strip() == visible != "", f"blank or untrimmed chunk {html!r}"
        assert utf16_len(visible) <= limit
        assert utf16_len(html) <= limit
        assert worst_case_length(html) + (utf16_len(html) - len(html)) <= limit
        # The chunk is the next run of the original, formatting included; only the
        # whitespace between chunks may be dropped.
        while original[position][0].isspace():
            position += 1
        assert original[position : position + len(chars)] == chars
        position += len(chars)
    assert all(char.isspace() for char, _ in original[position:])
    return list(messages)


text_alphabet = st.sampled_from(
    [*"abcdđếữọ AB.!?;,:", " ", " ", "\n", "\n", "&", "<", ">", '"', "😀", "\u0301", "”"]
)
segment_strategy = st.tuples(st.text(alphabet=text_alphabet, max_size=120), st.sampled_from(STACKS))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(segment_strategy, max_size=40), st.integers(min_value=130, max_value=600))
def test_every_chunk_is_valid_and_no_text_is_lost(segments: list[Segment], limit: int) -> None:
    assert_valid_split(segments, limit)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=text_alphabet, min_size=200, max_size=900), st.sampled_from(STACKS)
        ),
        min_size=5,
        max_size=25,
    )
)
def test_real_limit_with_long_sections(segments: list[Segment]) -> None:
    assert_valid_split(segments, MESSAGE_LIMIT)


def test_short_text_is_one_message() -> None:
    segments: list[Segment] = [("Tiêu đề", ("<b>",)), ("\n\nMột đoạn & <thẻ>.", ())]
    assert split_html(segments) == ("<b>Tiêu đề</b>\n\nMột đoạn &amp; &lt;thẻ&gt;.",)


def test_cuts_at_paragraphs_first() -> None:
    first, second = "a" * 50 + " b.", "c" * 40 + " d."
    segments: list[Segment] = [(f"{first}\n\n{second}", ())]
    assert split_html(segments, 80) == (first, second)


def test_then_at_lines_then_sentences_then_words() -> None:
    lines: list[Segment] = [("• " + "x" * 40 + "\n• " + "y" * 40, ())]
    assert split_html(lines, 60) == ("• " + "x" * 40, "• " + "y" * 40)
    sentences: list[Segment] = [("Câu một khá dài. Câu hai cũng dài nhé", ())]
    assert split_html(sentences, 30) == ("Câu một khá dài.", "Câu hai cũng dài nhé")
    words: list[Segment] = [("một hai ba bốn năm sáu bảy tám chín mười", ())]
    chunks = split_html(words, 16)
    assert all(len(chunk) <= 16 for chunk in chunks)
    assert " ".join(chunks) == words[0][0]


def test_formatting_is_closed_and_reopened_across_chunks() -> None:
    segments: list[Segment] = [("mở ", ()), ("đậm rất dài " * 10, ("<b>", DOC_LINK))]
    chunks = assert_valid_split(segments, 150)
    assert len(chunks) > 1
    assert all(chunk.endswith("</a></b>") for chunk in chunks)
    assert all(chunk.startswith("<b><a href=") for chunk in chunks[1:])


def test_a_word_longer_than_a_message_is_cut_hard() -> None:
    segments: list[Segment] = [("x" * 10_000, ("<i>",))]
    chunks = assert_valid_split(segments, MESSAGE_LIMIT)
    assert len(chunks) == 3
    assert chunks[0] == "<i>" + "x" * (MESSAGE_LIMIT - 7) + "</i>"


def test_escaped_characters_count_in_the_raw_length() -> None:
    segments: list[Segment] = [("&" * 3000, ())]
    chunks = assert_valid_split(segments, MESSAGE_LIMIT)
    assert [len(chunk) for chunk in chunks] == [4095, 4095, 4095, 5 * (3000 - 3 * 819)]


def test_emoji_count_as_two_units() -> None:
    chunks = assert_valid_split([("😀" * 3000, ())], MESSAGE_LIMIT)
    assert [len(chunk) for chunk in chunks] == [2048, 952]


def test_no_chunk_for_blank_text() -> None:
    assert split_segments([(" \n\n ", ("<b>",))]) == []


def test_impossible_fit_is_an_error() -> None:
    huge = '<a href="https://example.org/' + "p" * 5000 + '">'
    with pytest.raises(SplitError):
        split_html([("x", (huge,))])


def test_render_reuses_open_tags() -> None:
    segments: list[Segment] = [("a", ("<b>",)), ("b", ("<b>", "<i>")), ("c", ("<b>",))]
    assert to_html(segments) == "<b>a<i>b</i>c</b>"


def test_every_real_message_is_valid_telegram_html() -> None:
    """The shipped explainers, links filled in with the longest allowed username, checked by
    the strict reader above and by the emulator's Telegram HTML parser."""
    from pathlib import Path

    from bot.domain.content import load_library
    from bot.emulator.html import parse_html

    library = load_library(Path(__file__).resolve().parents[2] / "content")
    longest = "B" * MAX_BOT_USERNAME
    count = 0
    for lang in ("vi", "en"):
        for explainer in library.explainers(lang):
            for section in explainer.sections:
                for raw, html in zip(section.messages, section.messages_for(longest), strict=True):
                    chars = parse_telegram_html(raw)
                    assert chars and utf16_len(html) <= MESSAGE_LIMIT
                    parsed = parse_html(html)
                    assert parsed.text == "".join(char for char, _ in chars)
                    assert utf16_len(parsed.text) <= MESSAGE_LIMIT
                    count += 1
    assert count >= 60
