"""The ``analogy`` and ``analogy-table`` directives."""

from __future__ import annotations

import re
from typing import ClassVar, NamedTuple

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .nodes import analogy_box, analogy_table, analogy_title

logger = logging.getLogger(__name__)

ID_RE = re.compile(r"[A-Za-z0-9_-]+")
OPTIONS = ("modern", "historical", "figures")


class UnknownOption(NamedTuple):
    """Value of an option the directive does not know, kept to be reported."""

    value: str | None


def text_option(value: str | None) -> str:
    return (value or "").strip()


class OptionSpec(dict):
    """An option spec that lets unknown options through, so they are reported with a location.

    docutils and MyST otherwise reject them before the directive runs (docutils drops the
    whole directive).
    """

    def __missing__(self, key: str) -> type[UnknownOption]:
        return UnknownOption


def parse_figures(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Split ``modern = historical; …`` into pairs, and describe the malformed entries."""
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    if not text.strip():
        return pairs, ["empty :figures: option (write 'modern = historical; …' or leave it out)"]
    entries = [item.strip() for item in text.split(";")]
    for position, entry in enumerate(entries):
        if not entry:
            if position < len(entries) - 1 or len(entries) == 1:
                problems.append("empty figure between ';' separators")
            continue
        modern, sep, historical = (part.strip() for part in entry.partition("="))
        if not sep:
            problems.append(f"figure {entry!r} has no '=' (write 'modern = historical')")
        elif "=" in historical:
            problems.append(f"figure {entry!r} has more than one '='")
        elif not modern or not historical:
            problems.append(f"figure {entry!r} has an empty side")
        else:
            pairs.append((modern, historical))
    return pairs, list(dict.fromkeys(problems))


class AnalogyDirective(SphinxDirective):
    """A numbered box explaining one modern ≒ historical analogy."""

    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict] = OptionSpec(  # type: ignore[misc]
        {name: text_option for name in OPTIONS}
    )

    def warn(self, message: str, subtype: str) -> None:
        logger.warning(message, location=self.get_location(), type="analogy", subtype=subtype)

    def run(self) -> list[nodes.Node]:
        analogy_id = self.arguments[0].strip() if self.arguments else ""
        if not analogy_id:
            self.warn("analogy box without an id", "id")
        elif not ID_RE.fullmatch(analogy_id):
            self.warn(f"invalid analogy id {analogy_id!r} (use letters, digits, '-' and '_')", "id")
            analogy_id = ""
        analogy_id = analogy_id.lower()
        name = repr(analogy_id) if analogy_id else "box"

        for option, value in sorted(self.options.items()):
            if isinstance(value, UnknownOption):
                known = ", ".join(f":{known}:" for known in OPTIONS)
                self.warn(f"analogy {name}: unknown option :{option}: (known: {known})", "option")
        values = {
            option: self.options[option]
            for option in OPTIONS
            if isinstance(self.options.get(option), str)
        }
        for option in ("modern", "historical"):
            if not values.get(option):
                self.warn(f"analogy {name} needs a non-empty :{option}: option", "option")
        figures: list[tuple[str, str]] = []
        if "figures" in values:
            figures, problems = parse_figures(values["figures"])
            for problem in problems:
                self.warn(f"analogy {name}: {problem}", "figures")

        box = analogy_box(
            "",
            classes=["analogy"],
            analogy_id=analogy_id,
            modern=values.get("modern", ""),
            historical=values.get("historical", ""),
            figures=figures,
            docname=self.env.docname,
        )
        self.set_source_info(box)
        anchor = f"analogy-{analogy_id}"
        # A second box with the same id in this document gets no anchor: the domain reports it.
        if analogy_id and anchor not in self.state.document.ids:
            box["ids"].append(anchor)
            self.state.document.set_id(box)

        # Numbered, titled and given its figures table and back-references after reading.
        box += analogy_title("", "", classes=["analogy-title"])
        box += self.parse_content_to_nodes()
        return [box]


class AnalogyTableDirective(SphinxDirective):
    """The correspondence table of all analogy boxes of the project."""

    required_arguments = 0
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True

    def run(self) -> list[nodes.Node]:
        location = self.get_location()
        if self.arguments:
            logger.warning(
                f"analogy-table takes no argument, got {self.arguments[0]!r}",
                location=location,
                type="analogy",
                subtype="table",
            )
        if self.content:
            logger.warning(
                "analogy-table takes no content",
                location=location,
                type="analogy",
                subtype="table",
            )
        node = analogy_table("", classes=["analogy-table"], docname=self.env.docname)
        self.set_source_info(node)
        return [node]
