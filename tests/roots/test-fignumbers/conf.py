extensions = ["sangokushi.fignumbers", "myst_parser"]
myst_enable_extensions = ["colon_fence"]
project = "fignumbers"
exclude_patterns = ["_build"]
numfig = True
numfig_secnum_depth = 0
