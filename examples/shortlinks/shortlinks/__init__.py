"""shortlinks: a tiny URL shortener, imgexp's example project."""

__version__ = "0.1.0"
