"""Load benchmarks: Værn against a stock botbuilder echo bot and a plain aiohttp echo (see README.md here)."""
