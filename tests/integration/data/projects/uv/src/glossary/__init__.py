"""A glossary service: the page is rendered from terms.md at build time, then served as it is."""
