"""The eval suite: hand-written cases with expected facts, scorers with reasons, baselines."""
