"""Bad ruby roles: each must give a typed warning, not a traceback."""

extensions = ["myst_parser", "sangokushi.ruby"]
project = "ruby"
language = "ja"
exclude_patterns = ["_build"]
