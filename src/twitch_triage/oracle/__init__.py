"""The generator of synthetic cases and its exact posterior (the Bayes oracle)."""
