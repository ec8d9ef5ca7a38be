"""Jinja templates compiled once: kept between builds and between editions."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import CodeType
from typing import Any, ClassVar

from jinja2 import BytecodeCache, Environment, FileSystemBytecodeCache
from jinja2.bccache import Bucket
from sphinx.builders import Builder
from sphinx.jinja2glue import BuiltinTemplateLoader

# The folder of an edition's doctrees that holds its compiled templates.
FOLDER = "jinja"
# What the same source compiles to differently (LaTeX's templates use <% %> for {% %}).
SYNTAX = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
)


def kind(environment: Environment) -> str:
    """What the code ``environment`` compiles a source to depends on besides the source."""
    parts = [type(environment).__qualname__, sorted(environment.extensions)]
    parts += [environment.autoescape if isinstance(environment.autoescape, bool) else "?"]
    parts += [getattr(environment, name) for name in SYNTAX]
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


class TemplateCache(BytecodeCache):
    """Jinja's bytecode cache in this process and in a folder.

    A template is compiled again when its source changes (Jinja's bucket holds its checksum).
    Code compiled by another kind of environment (other extensions, another class) is kept
    apart: a bucket's key names the template only.
    """

    # Every edition a build makes in this process reads the same theme's templates.
    shared: ClassVar[dict[tuple[str, str], bytes]] = {}

    def __init__(self, environment: Environment, folder: Path) -> None:
        self.kind = kind(environment)
        folder = folder / self.kind
        folder.mkdir(parents=True, exist_ok=True)
        self.files = FileSystemBytecodeCache(str(folder))

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.shared.get((self.kind, bucket.key))) is not None:
            bucket.bytecode_from_string(code)
        if bucket.code is None:
            self.files.load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.shared[self.kind, bucket.key] = bucket.bytecode_to_string()
        self.files.dump_bytecode(bucket)


def keep_compiled(builder: Builder, environment: object | None = None) -> None:
    """Give a template environment of ``builder`` the cache, in a folder beside its doctrees:
    by default its theme's (``init_templates`` done)."""
    if environment is None:
        environment = getattr(builder.templates, "environment", None)
    if not isinstance(environment, Environment):
        return  # a project's own template_bridge
    environment.bytecode_cache = TemplateCache(environment, Path(builder.doctreedir) / FOLDER)


class CompiledOnceBridge(BuiltinTemplateLoader):
    """Sphinx's template bridge, whose ``render_string`` compiles a source once per process:
    the templates among the theme's static files (``basic.css.jinja``…), rendered by every
    HTML and EPUB build, are strings to Jinja, which no bytecode cache keeps."""

    compiled: ClassVar[dict[tuple[str, str], CodeType]] = {}

    def render_string(self, source: str, context: dict[str, Any]) -> str:
        environment = self.environment
        key = (kind(environment), source)
        if (code := self.compiled.get(key)) is None:
            code = self.compiled[key] = environment.compile(source)
        globals_ = environment.make_globals(None)
        return environment.template_class.from_code(environment, code, globals_).render(context)


class CompiledOnceTemplates(Builder):
    """A builder whose template bridge is a ``CompiledOnceBridge``, unless the project names
    its own (``template_bridge``): mixed in before Sphinx's builder class."""

    def create_template_bridge(self) -> None:
        if self.config.template_bridge:
            super().create_template_bridge()
        else:
            self.templates = CompiledOnceBridge()
