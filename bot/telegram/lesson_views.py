"""How explainers look in chat: category lists, pages of an explainer, search results."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.content import Library, SearchHit, doc_deep_link
from bot.domain.content_model import CATEGORIES, Explainer
from bot.telegram.callbacks import LessonCb
from bot.telegram.i18n import N_

MESSAGE_LIMIT = 4096
LIST_PAGE_SIZE = 6
CATEGORY_NAMES = {
    "chi-thi": N_("Directive 07/CT-BCA-V28"),
    "van-ban": N_("Documents the Directive cites"),
    "tieu-chuan": N_('The "Safe in security and order" standard'),
    "chu-de": N_("Vigilance topics"),
}
STATUS_ICON = {"in_force": "📘", "amended": "📙", "replaced": "📕"}


def pages_of(explainer: Explainer) -> list[tuple[int, int]]:
    """Every (section, chunk) of an explainer, in reading order."""
    return [
        (section.index, chunk)
        for section in explainer.sections
        for chunk in range(len(section.messages))
    ]


def categories_view() -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for key in CATEGORIES:
        builder.button(text=_(CATEGORY_NAMES[key]), callback_data=LessonCb(action="cat", ref=key))
    builder.adjust(1)
    return _("<b>Lessons</b>\nChoose a topic:"), builder.as_markup()


def category_view(
    library: Library, category: str, lang: str, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    explainers = library.in_category(category, lang)
    pages = max(1, -(-len(explainers) // LIST_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for explainer in explainers[page * LIST_PAGE_SIZE : (page + 1) * LIST_PAGE_SIZE]:
        icon = STATUS_ICON.get(explainer.status, "📘")
        builder.button(
            text=f"{icon} {explainer.title}"[:64],
            callback_data=LessonCb(action="open", ref=explainer.id),
        )
    sizes = [1] * min(LIST_PAGE_SIZE, len(explainers) - page * LIST_PAGE_SIZE)
    nav = 0
    if page > 0:
        builder.button(text="◀", callback_data=LessonCb(action="cat", ref=category, page=page - 1))
        nav += 1
    if page < pages - 1:
        builder.button(text="▶", callback_data=LessonCb(action="cat", ref=category, page=page + 1))
        nav += 1
    builder.button(text=_("⬅ Topics"), callback_data=LessonCb(action="cats"))
    builder.adjust(*sizes, *([nav] if nav else []), 1)
    title = escape(_(CATEGORY_NAMES.get(category, category)))
    counter = f" ({page + 1}/{pages})" if pages > 1 else ""
    return f"<b>{title}</b>{counter}\n" + _("Choose an explainer:"), builder.as_markup()


def status_notice(library: Library, explainer: Explainer, *, bot_username: str) -> str:
    """The banner over a replaced document (naming and linking its successor), or the note
    over an amended one; empty for a document in force."""
    successor = library.successor(explainer, explainer.lang)
    if successor is not None:
        name = escape(successor.label)
        if successor.explainer_id is not None:
            href = escape(doc_deep_link(bot_username, successor.explainer_id), quote=True)
            name = f'<a href="{href}">{name}</a>'
        return _("⚠️ This document has been replaced by {successor}.").format(successor=name)
    if explainer.status == "amended":
        return _("ℹ️ Amended since it was issued: check the latest text.")
    return ""


def page_view(
    library: Library, explainer: Explainer, page: int, *, bot_username: str
) -> tuple[str, InlineKeyboardMarkup]:
    pages = pages_of(explainer)
    page = min(max(page, 0), len(pages) - 1)
    section_index, chunk = pages[page]
    section = explainer.sections[section_index]
    body = section.messages_for(bot_username)[chunk]
    header = [f"{STATUS_ICON.get(explainer.status, '📘')} <b>{escape(explainer.title)}</b>"]
    notice = status_notice(library, explainer, bot_username=bot_username)
    # A replaced document carries its banner on every page: a search hit or a link may open
    # any of them.
    if notice and (page == 0 or explainer.status == "replaced"):
        header.append(notice)
    if chunk == 0 and section.title:
        header.append(f"\n<b>{section_index + 1}. {escape(section.title)}</b>")
    text = "\n".join(header) + "\n" + body
    if len(text) > MESSAGE_LIMIT:
        text = body  # the chunk alone always fits; the header is a courtesy
    return text, _page_keyboard(explainer, page, len(pages))


def _page_keyboard(explainer: Explainer, page: int, total: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    nav = 0
    if page > 0:
        builder.button(
            text=_("◀ Back"), callback_data=LessonCb(action="page", ref=explainer.id, page=page - 1)
        )
        nav += 1
    builder.button(
        text=f"{page + 1}/{total}", callback_data=LessonCb(action="toc", ref=explainer.id)
    )
    nav += 1
    if page < total - 1:
        builder.button(
            text=_("Next ▶"), callback_data=LessonCb(action="page", ref=explainer.id, page=page + 1)
        )
        nav += 1
    rows = [nav]
    if page == total - 1:
        builder.button(
            text=_("✅ I have read it"), callback_data=LessonCb(action="read", ref=explainer.id)
        )
        rows.append(1)
    builder.button(text=_("☰ Sections"), callback_data=LessonCb(action="toc", ref=explainer.id))
    builder.button(text=_("⬅ List"), callback_data=LessonCb(action="cat", ref=explainer.category))
    rows.append(2)
    builder.adjust(*rows)
    return builder.as_markup()


def toc_view(explainer: Explainer) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    first_page = {}
    for page, (section_index, chunk) in enumerate(pages_of(explainer)):
        if chunk == 0:
            first_page[section_index] = page
    for section in explainer.sections:
        builder.button(
            text=f"{section.index + 1}. {section.title}"[:64],
            callback_data=LessonCb(action="page", ref=explainer.id, page=first_page[section.index]),
        )
    builder.button(text=_("⬅ List"), callback_data=LessonCb(action="cat", ref=explainer.category))
    builder.adjust(1)
    text = f"<b>{escape(explainer.title)}</b>\n" + _("Sections:")
    return text, builder.as_markup()


def greeting_reply() -> str:
    return _(
        "Hello! I explain Directive 07 and the laws it cites, and I can quiz you on them. "
        "Send /trogiup to see what you can do here, or type a few words (or a question) "
        "to find a lesson."
    )


def search_view(query: str, hits: list[SearchHit]) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    if not hits:
        builder.button(text=_("📚 Browse the lessons"), callback_data=LessonCb(action="cats"))
        text = _(
            'I found nothing for "{query}". Try fewer or other words, for example: '
            "chỉ thị 07, lừa đảo, bí mật nhà nước, 114, ngày hội 19/8."
        ).format(query=escape(query[:100]))
        return text, builder.as_markup()
    lines = [_('Results for "{query}":').format(query=escape(query[:100]))]
    for number, hit in enumerate(hits, start=1):
        document = f" ({escape(hit.explainer.document)})" if hit.explainer.document else ""
        lines.append(
            f"\n{number}. <b>{escape(hit.explainer.title)}</b>{document}\n{escape(hit.snippet)}"
        )
        page = 0
        if hit.section_index is not None:
            page = next(
                (
                    i
                    for i, (s, c) in enumerate(pages_of(hit.explainer))
                    if s == hit.section_index and c == 0
                ),
                0,
            )
        builder.button(
            text=f"{number}. {hit.explainer.title}"[:64],
            callback_data=LessonCb(action="page", ref=hit.explainer.id, page=page),
        )
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()
