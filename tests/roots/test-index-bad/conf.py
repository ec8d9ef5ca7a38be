"""Index entries the sangokushi.yomi extension must warn about, with file and line."""

extensions = ["myst_parser", "sangokushi.ruby", "sangokushi.yomi"]
project = "bad"
language = "ja"
exclude_patterns = ["_build"]
