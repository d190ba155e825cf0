"""The local model runtime: finding model directories, loading them, their forward passes.

The ``local/`` provider (:mod:`autovec.embeddings.providers.local`) declares what a local
model column takes; this package runs the model.
"""
