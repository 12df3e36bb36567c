"""Records that read every domain: minutes, reports and the archive."""
