"""What the moments share: typed params and paths, the data contract, tables, the model file,
the lock file, tracking, scoring, the gates and reports. It imports only your modeling/ hooks."""
