"""An extension with its own epub handlers: Sphinx then ignores the html ones for epub."""

from docutils import nodes

extensions = ["myst_parser", "sangokushi.ruby"]
project = "ruby"
copyright = "2023, test"
author = "test"
version = "1"
language = "ja"
exclude_patterns = ["_build"]
epub_use_index = False


class other(nodes.inline):
    pass


def setup(app):
    app.add_node(other, epub=(lambda self, node: None, lambda self, node: None))
