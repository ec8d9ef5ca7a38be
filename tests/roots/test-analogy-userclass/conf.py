extensions = ["myst_parser", "sangokushi.analogy"]
myst_enable_extensions = ["colon_fence", "deflist", "attrs_block"]
project = "Analogy user classes"
exclude_patterns = ["_build"]
version = release = "1.0"
copyright = "2023, test"
