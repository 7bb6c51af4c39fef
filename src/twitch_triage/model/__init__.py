"""The model: estimators, the numpy forward pass, its files, training, evaluation and its card."""
