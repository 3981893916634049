"""A merge to main: prove the commit holds the reviewed model, stage it, register it."""
