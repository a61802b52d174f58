"""How people name an official document: the spoken variants of its number, and a label.

Official numbers carry a kind ("CT", "NĐ-CP", "TT-BCA", ...); people say the kind's name:
"48-CT/TW" is "chỉ thị 48" or "directive 48". The search index matches these variants, the
content checker uses them to spot where a document is cited, and the lesson view labels a
successor that has no explainer ("44-NQ/TW" → "Nghị quyết 44-NQ/TW").
"""

from __future__ import annotations

from bot.domain.text import tokens

# Folded kind → (Vietnamese name folded, English name).
KIND_NAMES: dict[str, tuple[str, ...]] = {
    "ct": ("chi thi", "directive"),
    "nq": ("nghi quyet", "resolution"),
    "nd": ("nghi dinh", "decree"),
    "tt": ("thong tu", "circular"),
    "qd": ("quyet dinh", "decision"),
    "kl": ("ket luan", "conclusion"),
    "qh": ("luat", "law"),
}
KIND_LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "ct": "Chỉ thị",
        "nq": "Nghị quyết",
        "nd": "Nghị định",
        "tt": "Thông tư",
        "qd": "Quyết định",
        "kl": "Kết luận",
        "qh": "Luật",
    },
    "en": {
        "ct": "Directive",
        "nq": "Resolution",
        "nd": "Decree",
        "tt": "Circular",
        "qd": "Decision",
        "kl": "Conclusion",
        "qh": "Law",
    },
}


def _kind(parts: list[str]) -> str | None:
    return next((part for part in parts if part in KIND_NAMES), None)


def document_variants(number: str) -> list[str]:
    """Ways people write or say an official number: "48-CT/TW" → "48 ct tw", "ct 48",
    "chi thi 48", "chi thi so 48", "directive 48"; with the year when the number has one."""
    parts = tokens(number)
    variants = [" ".join(parts)]
    numbers = [part for part in parts if part.isdigit()]
    kind = _kind(parts)
    if not numbers or kind is None:
        return variants
    main = numbers[0]
    years = [part for part in numbers[1:] if len(part) == 4]
    variants.append(f"{kind} {main}")
    for name in KIND_NAMES[kind]:
        variants += [f"{name} {main}", f"{name} so {main}", f"{name} {' '.join(parts)}"]
        variants += [f"{name} {main} {year}" for year in years]
    return variants


def document_label(number: str, lang: str) -> str:
    """The number with its kind's name in front: "44-NQ/TW" → "Nghị quyết 44-NQ/TW"."""
    kind = _kind(tokens(number))
    labels = KIND_LABELS.get(lang, KIND_LABELS["vi"])
    return f"{labels[kind]} {number}" if kind is not None else number
