"""The versioned online edition: every release and main, each with its EPUBs and PDF."""
