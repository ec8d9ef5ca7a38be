extensions = ["sangokushi.latexwriter"]
latex_documents = [("index", "tables.tex", "Tables", "", "manual")]
