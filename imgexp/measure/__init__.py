"""Measure: what an image costs, read from its layers once.

Layer tars come from the engine's overlay2 store or one streamed `docker save`; each is
gzip-counted (pull size) and replayed for wasted bytes and per-package bytes.
"""
