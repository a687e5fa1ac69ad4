"""Release and deployment recipes: build the distributions, run the nginx topology."""
