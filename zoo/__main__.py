"""`python -m zoo ...` is the `zoo` command (for machines where the package is on PYTHONPATH but not installed)."""

from zoo.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
