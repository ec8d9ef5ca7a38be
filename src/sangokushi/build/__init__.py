"""Building a book's editions: registry, Sphinx runner, stamps, lock, publishing, checks, CLI."""
