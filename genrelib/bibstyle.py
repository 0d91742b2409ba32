"""Bibliography labels in author-year form, matching the book's author-year citations.

``sphinxcontrib-bibtex`` cites as "Sturm, 2013" (``bibtex_reference_style: author_year``)
but its built-in styles label the reference list with numbers or short keys. This Sphinx
extension registers a pybtex style ``authoryear`` whose labels read like the citations;
``_config.yml`` loads it (``extra_extensions``) and selects it (``bibtex_default_style``).

Notebook: the rendered book (every chapter's references).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from pybtex.database import Entry
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle

STYLE_NAME = "authoryear"


def _surname(person) -> str:
    return " ".join(part.render_as("text") for part in person.rich_last_names)


def author_year(entry: Entry) -> str:
    """Label of one entry: "Sturm, 2013", "Tzanetakis and Cook, 2002", "He et al., 2016".

    Notebook: the rendered book.
    """
    names = [_surname(person) for person in entry.persons.get("author", [])]
    if not names:
        who = entry.fields.get("title", entry.key)
    elif len(names) <= 2:
        who = " and ".join(names)
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    """pybtex label style: author-year labels, with a/b/... appended to repeated ones."""

    def format_labels(self, sorted_entries: Iterable[Entry]) -> Iterator[str]:
        labels = [author_year(entry) for entry in sorted_entries]
        repeated = {label for label, count in Counter(labels).items() if count > 1}
        seen: Counter[str] = Counter()
        for label in labels:
            if label in repeated:
                seen[label] += 1
                yield f"{label}{chr(ord('a') + seen[label] - 1)}"
            else:
                yield label


class AuthorYearStyle(PlainStyle):
    """pybtex formatting style: the plain style, sorted and labelled by author and year."""

    default_label_style = STYLE_NAME
    default_sorting_style = "author_year_title"


def setup(app) -> dict:
    """Sphinx entry point: register the ``authoryear`` label and formatting styles."""
    register_plugin("pybtex.style.labels", STYLE_NAME, AuthorYearLabels)
    register_plugin("pybtex.style.formatting", STYLE_NAME, AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
