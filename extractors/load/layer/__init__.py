"""Judging a PDF page's text layer: what of it is visibly drawn, and if it reads as language."""
