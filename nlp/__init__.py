"""regiescan language analysis: spaCy components, lexicon, classifier and aggregation."""
