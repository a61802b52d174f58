"""Check the whole content folder: each file alone, then the rules across files.

Across files: ids unique per language; every English explainer has a Vietnamese original
with the same document, category, status, successor, date and sources; the explainers learners may
read in English have an English version; `doc:` links and `replaced_by` ids point at
explainers that exist.

Warnings are editorial: the bot still serves the files, but `content check` fails on them.
A section (or a title, a summary) citing a replaced document must name its successor
(`replaced_check`); "ANTQ" and "ANTT" must be spelled out before their first use
(`abbreviations`); every Vietnamese explainer should have an English version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.domain.abbreviations import explanation_hint, unexplained
from bot.domain.content_file import ExplainerFile, read_explainer
from bot.domain.content_model import (
    BASE_LANGUAGE,
    LANGUAGES,
    REQUIRED_IN_ENGLISH,
    Explainer,
    Problem,
)
from bot.domain.content_schema import looks_like_document_number
from bot.domain.replaced_check import ReplacedDocument, replaced_documents, unnamed_successors
from bot.domain.synonyms import SYNONYMS_FILE, read_synonyms

_SHARED_FIELDS = ("document", "category", "status", "replaced_by", "issued", "sources")


@dataclass(frozen=True)
class Scan:
    """Every explainer that could be read, every problem found, and the editorial warnings."""

    explainers: list[Explainer]
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)


def _declared_id(file: ExplainerFile) -> str | None:
    if file.front is None:
        return None
    value = file.front.data.get("id")
    return value.strip() if isinstance(value, str) else None


def _id_line(file: ExplainerFile) -> int:
    return file.front.line_of("id") if file.front is not None else 1


def read_folder(content_dir: Path) -> tuple[list[ExplainerFile], list[Problem]]:
    """Read `content/<lang>/*.md` for every known language."""
    if not content_dir.is_dir():
        return [], [Problem(content_dir, 0, "no content folder here")]
    files: list[ExplainerFile] = []
    problems: list[Problem] = []
    for folder in sorted(path for path in content_dir.iterdir() if path.is_dir()):
        markdown = sorted(folder.glob("*.md"))
        if folder.name not in LANGUAGES:
            problems += [
                Problem(
                    path,
                    0,
                    f"unknown language folder '{folder.name}' (known: {', '.join(LANGUAGES)})",
                )
                for path in markdown
            ]
            continue
        files += [read_explainer(path, folder.name) for path in markdown]
    if not any(file.lang == BASE_LANGUAGE for file in files):
        problems.append(Problem(content_dir / BASE_LANGUAGE, 0, "no Vietnamese explainers"))
    return files, problems


def _cross_file(files: list[ExplainerFile]) -> list[Problem]:
    problems: list[Problem] = []
    by_lang: dict[str, dict[str, ExplainerFile]] = {lang: {} for lang in LANGUAGES}
    # A file named after its id owns that id; others claiming it are the duplicates.
    for file in sorted(files, key=lambda file: _declared_id(file) != file.path.stem):
        declared = _declared_id(file)
        if declared is None:
            continue
        first = by_lang[file.lang].get(declared)
        if first is not None:
            problems.append(
                Problem(
                    file.path, _id_line(file), f"id '{declared}' is already used by {first.path}"
                )
            )
        else:
            by_lang[file.lang][declared] = file
    base = by_lang[BASE_LANGUAGE]
    known = set().union(*(set(ids) for ids in by_lang.values()))
    for lang, ids in by_lang.items():
        if lang == BASE_LANGUAGE:
            continue
        for explainer_id, file in ids.items():
            original = base.get(explainer_id)
            if original is None:
                problems.append(
                    Problem(
                        file.path,
                        _id_line(file),
                        f"'{explainer_id}' has no "
                        f"Vietnamese version ({BASE_LANGUAGE}/{explainer_id}.md)",
                    )
                )
            else:
                problems += _compare(file, original)
    for explainer_id in REQUIRED_IN_ENGLISH:
        vietnamese = base.get(explainer_id)
        if vietnamese is not None and explainer_id not in by_lang["en"]:
            problems.append(
                Problem(
                    vietnamese.path,
                    _id_line(vietnamese),
                    f"'{explainer_id}' needs an English version (en/{explainer_id}.md)",
                )
            )
    for file in files:
        problems += _links(file, known)
    return problems


def _compare(file: ExplainerFile, original: ExplainerFile) -> list[Problem]:
    if file.front is None or original.front is None:
        return []
    problems = []
    for key in _SHARED_FIELDS:
        mine, theirs = file.front.data.get(key), original.front.data.get(key)
        if key in file.front.data and mine != theirs:
            problems.append(
                Problem(
                    file.path,
                    file.front.line_of(key),
                    f"'{key}' is {mine!r} here but {theirs!r} in the Vietnamese version",
                )
            )
    return problems


def _links(file: ExplainerFile, known: set[str]) -> list[Problem]:
    problems = [
        Problem(file.path, link.line, f"link to unknown explainer 'doc:{link.target}'")
        for link in file.doc_links
        if link.target not in known
    ]
    front = file.front
    successor = front.data.get("replaced_by") if front is not None else None
    if (
        front is not None
        and isinstance(successor, str)
        and successor.strip() not in known
        and not looks_like_document_number(successor.strip())
    ):
        problems.append(
            Problem(
                file.path,
                front.line_of("replaced_by"),
                f"replaced_by '{successor}' is neither an explainer id nor an official number",
            )
        )
    return problems


def _successor_message(document: ReplacedDocument, where: str) -> str:
    return (
        f"cites {document.document}, which was replaced, without naming its successor "
        f"{document.successor} in {where}"
    )


def _editorial(file: ExplainerFile, documents: list[ReplacedDocument]) -> list[Problem]:
    explainer, front = file.explainer, file.front
    if explainer is None or front is None:
        return []
    warnings: list[Problem] = []
    reported: set[str] = set(unexplained(explainer.title, explainer.lang))
    for key, text in (("title", explainer.title), ("summary", explainer.summary)):
        for document in unnamed_successors(text, text, documents, own_id=explainer.id):
            warnings.append(
                Problem(file.path, front.line_of(key), _successor_message(document, f"'{key}'"))
            )
        for short in unexplained(text, explainer.lang):
            hint = explanation_hint(short, explainer.lang)
            message = f"'{short}' in '{key}' is not spelled out: write '{hint}'"
            warnings.append(Problem(file.path, front.line_of(key), message))
    read_so_far = explainer.title
    for section in explainer.sections:
        whole = f"{section.title}\n{section.text}"
        for document in unnamed_successors(
            whole, whole, documents, links=section.related, own_id=explainer.id
        ):
            where = f"section '{section.title}'"
            warnings.append(Problem(file.path, section.line, _successor_message(document, where)))
        read_so_far += "\n" + whole
        for short in unexplained(read_so_far, explainer.lang):
            if short not in reported:
                reported.add(short)
                hint = explanation_hint(short, explainer.lang)
                message = f"'{short}' is used before it is spelled out: write '{hint}' first"
                warnings.append(Problem(file.path, section.line, message))
    return warnings


def _untranslated(files: list[ExplainerFile]) -> list[Problem]:
    english = {_declared_id(file) for file in files if file.lang == "en"}
    return [
        Problem(file.path, _id_line(file), f"no English version yet (en/{declared}.md)")
        for file in files
        if file.lang == BASE_LANGUAGE
        and file.explainer is not None
        and (declared := _declared_id(file)) is not None
        and declared not in english
        and declared not in REQUIRED_IN_ENGLISH
    ]


def scan_content(content_dir: Path) -> Scan:
    """Read and check every explainer under `content_dir`."""
    files, problems = read_folder(content_dir)
    for file in files:
        problems += file.problems
    problems += _cross_file(files)
    if content_dir.is_dir():
        problems += read_synonyms(content_dir / SYNONYMS_FILE).problems
    problems.sort(key=lambda problem: (str(problem.path), problem.line))
    explainers = [file.explainer for file in files if file.explainer is not None]
    documents = replaced_documents(explainers)
    warnings = [warning for file in files for warning in _editorial(file, documents)]
    warnings += _untranslated(files)
    warnings.sort(key=lambda problem: (str(problem.path), problem.line))
    return Scan(explainers, problems, warnings)


def check_content(content_dir: Path) -> list[Problem]:
    """Every problem in the content folder, sorted by file and line; empty when all is well."""
    return scan_content(content_dir).problems
