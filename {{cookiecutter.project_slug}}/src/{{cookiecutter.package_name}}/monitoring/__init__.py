"""After release: is the data still like the training data, and does the model still score?
Whole or absent (the template's `monitoring` option), with core/inference_log.py."""
