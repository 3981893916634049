"""The DVC stages, in order: validate the data, prepare the splits, train, evaluate.

Machinery: each stage calls your code in modeling/ and needs no edit of its own.
"""
