"""tunelab: hyperparameter tuning lab."""
