"""`python -m okrsync`."""

from okrsync.cli import main

main()
