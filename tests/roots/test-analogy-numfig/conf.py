extensions = ["myst_parser", "sangokushi.analogy"]
myst_enable_extensions = ["colon_fence"]
project = "比喩テスト"
language = "ja"
exclude_patterns = ["_build"]
numfig = True
numfig_secnum_depth = 0
analogy_label = "比喩"
analogy_modern_label = "現代"
analogy_historical_label = "三国志"
analogy_backref_label = "参照元"
analogy_table_number_label = "番号"
analogy_table_figures_label = "人物"
analogy_table_defined_label = "定義"
analogy_table_referenced_label = "参照"
version = release = "1.0"
copyright = "2023, test"
