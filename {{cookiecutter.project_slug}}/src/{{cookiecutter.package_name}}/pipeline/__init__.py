"""The DVC stages, in order: validate, prepare, train, evaluate; they call your modeling/."""
