"""Report: the results as notebooks, figures, tables and published HTML pages.

The notebooks call ``pages``, ``figures`` and ``tables``; ``publish`` runs them with
papermill and writes the pages and their index (needs the ``notebooks`` extra).
"""
