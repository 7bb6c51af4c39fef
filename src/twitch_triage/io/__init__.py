"""Files in and out: atomic output files, Arrow helpers, and case files."""

# Its modules are imported by name: each is small, and scoring needs only some of them.
__all__ = ["arrow", "casefiles", "digest", "files"]
