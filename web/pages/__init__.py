"""Server-rendered pages (Jinja2), in Vietnamese and English."""
