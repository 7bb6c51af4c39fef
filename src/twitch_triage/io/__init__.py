"""Files in and out: atomic output files, Arrow helpers, and case files."""
