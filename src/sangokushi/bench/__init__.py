"""Build-cost benchmark: synthetic books of the real chapters, each edition timed, pandoc beside."""
