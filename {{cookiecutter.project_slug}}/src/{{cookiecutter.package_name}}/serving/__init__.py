"""The BentoML prediction service, its request model (from the data contract) and a smoke test."""
