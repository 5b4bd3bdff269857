"""Pages for people: Jinja2 templates (autoescaped), their assets, safe markdown, SVG charts.

Everything a page needs is served by the package itself (no CDN: hospital networks are often
offline), and every value reaches HTML through the template engine's escaping.
"""
