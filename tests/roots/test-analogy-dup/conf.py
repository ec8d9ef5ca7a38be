extensions = ["myst_parser", "sangokushi.analogy"]
myst_enable_extensions = ["colon_fence"]
project = "Analogy test"
exclude_patterns = ["_build"]
numfig = True
