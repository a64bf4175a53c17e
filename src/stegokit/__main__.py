"""``python -m stegokit``."""

from .cli import main

main()
