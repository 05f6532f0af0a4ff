"""Command-line tools that work on Værn's outputs without the bot running (e.g. verifying a case package)."""
