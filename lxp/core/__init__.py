"""What the features share, each module with a plain name."""
