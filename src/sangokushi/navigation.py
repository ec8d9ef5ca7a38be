"""The theme's whole-book sidebar rendered once per build; each page only marks itself in it.

sphinx-book-theme's sidebar calls pydata-sphinx-theme's ``generate_toctree_html`` on every
page, which resolves, renders, parses (BeautifulSoup) and rewrites the whole book's toctree:
the HTML build grows with the square of the book. Here the theme's own function renders the
navigation once, for a page that is in no toctree; each page then gets that text with its own
links made relative and its branch marked as the theme marks it.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag
from markupsafe import Markup
from sphinx.application import Sphinx
from sphinx.builders import Builder
from sphinx.config import Config
from sphinx.environment.adapters.toctree import global_toctree_for_doc

# A page name no toctree can contain: the navigation rendered "for" it marks no entry current,
# and its links are relative to the output root.
NEUTRAL = "\x00navigation"
# Overrides sphinx-book-theme's sbt-sidebar-nav.html: the theme's own template, its
# generate_toctree_html() replaced by sangokushi_toctree_html().
TEMPLATES = Path(__file__).parent / "templates" / "navigation"
# Pages a toctree may list that are no documents (Sphinx's generated toctree entries).
GENERATED = ("genindex", "modindex", "py-modindex", "search")
HREF = "\ue000"  # stands for a link's target until the page's folder is known
SLOT = "data-sangokushi-navslot-"
SLOT_RE = re.compile(rf' {SLOT}(\d+)=""')


def _attrs(name: str, attrs: dict[str, Any]) -> str:
    """``attrs`` serialised exactly as BeautifulSoup writes them on a ``name`` tag."""
    html = Tag(name=name, attrs=attrs).decode()
    return html[len(name) + 1 : html.index(">")]


@dataclass(frozen=True)
class Slot:
    """A tag of the navigation whose attributes depend on the page it is written into."""

    off: str
    on: str
    doc: str | None = None  # a link to this document: ``off`` holds HREF as its href


@dataclass
class Navigation:
    """The sidebar navigation as static text and slots, the slots each page switches on."""

    parts: list[str | int]
    slots: list[Slot]
    marks: dict[str, frozenset[int]]
    builder: Builder
    hrefs: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_soup(cls, soup: BeautifulSoup, builder: Builder) -> Navigation:
        """Cut the theme's navigation for NEUTRAL into text and slots."""
        names = {*builder.env.all_docs, *GENERATED}
        docs = {builder.get_relative_uri(NEUTRAL, name): name for name in names}
        slot_of: dict[int, int] = {}
        slots: list[Slot] = []
        marks: dict[str, set[int]] = {}

        def slot(tag: Tag, on: dict[str, Any], doc: str | None = None) -> int:
            if id(tag) not in slot_of:
                off = dict(tag.attrs)
                if doc is not None:
                    off["href"] = HREF
                slot_of[id(tag)] = len(slots)
                slots.append(Slot(_attrs(tag.name, off), _attrs(tag.name, on), doc))
            return slot_of[id(tag)]

        links = [(a, docs.get(a["href"])) for a in soup.find_all("a", href=True)]
        for a, doc in links:
            if doc is None:
                continue
            # What Sphinx's toctree resolver and the theme do to the current page's branch:
            # "current" on every ancestor, "active" after it on <li>, <details> opened.
            chain = {slot(a, {"class": ["current", *a.get("class", [])], "href": "#"}, doc)}
            for parent in a.parents:
                if parent.name == "li":
                    classes = parent.get("class", [])
                    on = {
                        **parent.attrs,
                        "class": [*classes[:1], "current", "active", *classes[1:]],
                    }
                    chain.add(slot(parent, on))
                    details = parent.find("details", recursive=False)
                    if details is not None:
                        chain.add(slot(details, {**details.attrs, "open": "open"}))
                elif parent.name == "ul":
                    on = {"class": ["current", *parent.get("class", [])]}
                    on.update((k, v) for k, v in parent.attrs.items() if k != "class")
                    chain.add(slot(parent, on))
            marks.setdefault(doc, set()).update(chain)
        for tag in soup.find_all(True):
            if id(tag) in slot_of:
                tag.attrs = {f"{SLOT}{slot_of[id(tag)]}": ""}
        pieces = SLOT_RE.split(str(soup))
        parts: list[str | int] = [
            int(piece) if i % 2 else piece for i, piece in enumerate(pieces) if piece or i % 2
        ]
        return cls(parts, slots, {doc: frozenset(s) for doc, s in marks.items()}, builder)

    def _href_for(self, pagename: str) -> Callable[[str], str]:
        # A relative link depends only on the folder of the page it is written into.
        folder = posixpath.dirname(self.builder.get_target_uri(pagename))
        hrefs = self.hrefs.setdefault(folder, {})

        def href(doc: str) -> str:
            if doc not in hrefs:
                hrefs[doc] = _attrs("a", {"href": self.builder.get_relative_uri(pagename, doc)})
            return hrefs[doc]

        return href

    def render(self, pagename: str) -> str:
        """The navigation as the theme would write it into ``pagename``."""
        on = self.marks.get(pagename, frozenset())
        href = self._href_for(pagename)
        neutral = _attrs("a", {"href": HREF})
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif part in on:
                out.append(self.slots[part].on)
            else:
                slot = self.slots[part]
                out.append(
                    slot.off if slot.doc is None else slot.off.replace(neutral, href(slot.doc))
                )
        return "".join(out)


#: The builder's attribute holding its navigation, rendered once per set of arguments.
CACHE = "sangokushi_navigation"


def cache(builder: Builder) -> dict[tuple, Navigation]:
    """The navigation ``builder`` rendered so far (emptied whenever the environment changes)."""
    found: dict[tuple, Navigation] | None = getattr(builder, CACHE, None)
    if found is None:
        found = {}
        setattr(builder, CACHE, found)
    return found


def saved(builder: Builder) -> list[list[Any]]:
    """The navigation ``builder`` rendered, as JSON values (``restore`` reads them back)."""
    return [
        [
            key,
            nav.parts,
            [astuple(s) for s in nav.slots],
            {d: sorted(on) for d, on in nav.marks.items()},
        ]
        for key, nav in cache(builder).items()
    ]


def _tuples(value: Any) -> Any:
    """``value`` read back from JSON with its lists made tuples again (a cache key)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def restore(builder: Builder, data: Any) -> None:
    """Give ``builder`` the navigation ``saved`` left; nothing if ``data`` is not as ``saved``
    writes it (an older version's): the theme renders it again."""
    try:
        found = {
            _tuples(key): Navigation(
                parts,
                [Slot(*slot) for slot in slots],
                {doc: frozenset(on) for doc, on in marks.items()},
                builder,
            )
            for key, parts, slots, marks in data
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        return
    cache(builder).update(found)


def _neutral_toctree(builder: Builder) -> Callable[..., str]:
    """The ``toctree()`` template function of a page that is in no toctree (as Sphinx's)."""

    def toctree(collapse: bool = True, **kwargs: Any) -> str:
        kwargs.setdefault("includehidden", False)
        if kwargs.get("maxdepth") == "":
            kwargs.pop("maxdepth")
        tree = global_toctree_for_doc(
            builder.env, NEUTRAL, builder, tags=builder.tags, collapse=collapse, **kwargs
        )
        return builder.render_partial(tree)["fragment"]

    return toctree


def install(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Give the page ``sangokushi_toctree_html``: the cached navigation, else the theme's."""
    rendered: dict[tuple, Any] = {}
    sphinx_toctree = context.get("toctree")  # Sphinx's own: this handler runs first

    def toctree_html(kind: str, startdepth: int = 1, show_nav_level: int = 1, **kwargs: Any) -> Any:
        stock = context["generate_toctree_html"]  # the theme's, set later in this same event
        # Only the whole-book, never-collapsed sidebar is page-independent but for the marks.
        if (
            not app.config.navigation_cache
            # An extension gave this page its own toctree() (sphinx-notfound-page's 404 page).
            or context.get("toctree") is not sphinx_toctree
            or kind != "sidebar"
            or startdepth != 0
            or int(show_nav_level) < 1
            or kwargs.get("collapse", True)
        ):
            return stock(kind, startdepth, show_nav_level, **kwargs)
        key = (kind, startdepth, int(show_nav_level), tuple(sorted(kwargs.items())))
        if key not in rendered:  # the theme renders the sidebar twice per page
            built = cache(app.builder)
            if key not in built:
                from pydata_sphinx_theme.toctree import add_toctree_functions

                neutral: dict[str, Any] = {"toctree": _neutral_toctree(app.builder)}
                add_toctree_functions(app, NEUTRAL, templatename, neutral, None)
                soup = neutral["generate_toctree_html"](kind, startdepth, show_nav_level, **kwargs)
                built[key] = Navigation.from_soup(soup, app.builder)
            rendered[key] = Markup(built[key].render(pagename))
        return rendered[key]

    context["sangokushi_toctree_html"] = toctree_html


def add_templates(app: Sphinx, config: Config) -> None:
    """Put the sidebar template override after the project's templates, before the theme's.

    sphinx-book-theme appends its components folder to ``templates_path`` when it is set up,
    which may be before or after this extension.
    """
    paths = [str(p) for p in config.templates_path if str(p) != str(TEMPLATES)]
    try:
        from sphinx_book_theme import get_html_theme_path

        theme = os.path.normpath(os.path.join(get_html_theme_path(), "components"))
    except ImportError:
        theme = None
    where = [os.path.normpath(os.path.join(app.confdir, p)) for p in paths]
    at = where.index(theme) if theme in where else len(paths)
    config.templates_path = [*paths[:at], str(TEMPLATES), *paths[at:]]


# Templates pydata-sphinx-theme renders on every page only to drop them if they come out
# empty, and which never do: sphinx-book-theme's article-header-buttons.html always writes its
# <div> (25 ms a page here). With ``navigation_cache``, such a section is kept from the theme's
# check and given back as the check would leave it.
NEVER_EMPTY = {"theme_article_header_end": frozenset({"article-header-buttons.html"})}
HELD = "sangokushi_held_templates"


def hold_templates(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Before the theme's check: take out the sections made only of never-empty templates."""
    held: dict[str, list[str]] = {}
    for section, never_empty in NEVER_EMPTY.items():
        value = context.get(section) if app.config.navigation_cache else None
        names = [n.strip() for n in value.split(",")] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            continue
        suffixed = [n if os.path.splitext(n)[1] else f"{n}.html" for n in names]
        if all(n in never_empty for n in suffixed):
            held[section] = suffixed
            context[section] = []
    context[HELD] = held


def release_templates(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """After the theme's check: the sections held, as it would have left them."""
    context.update(context.pop(HELD, {}))


def _reset(app: Sphinx, env: Any) -> None:
    cache(app.builder).clear()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("navigation_cache", True, "html", types=(bool,))
    app.connect("config-inited", add_templates)
    # Before every other handler: pydata-sphinx-theme renders the sidebar in its own
    # (to drop empty templates), and others may replace the page's toctree().
    app.connect("html-page-context", install, priority=100)
    # Around pydata-sphinx-theme's update_and_remove_templates (priority 500).
    app.connect("html-page-context", hold_templates, priority=499)
    app.connect("html-page-context", release_templates, priority=600)
    app.connect("env-updated", _reset)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
