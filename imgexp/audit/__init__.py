"""Audit: any image, built by imgexp or not, measured and judged.

What could go and what removes it (`imgexp inspect`), what changed between two images
(`imgexp diff`), and a size budget for CI (`imgexp check`).
"""
