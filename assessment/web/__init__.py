"""The assessment's candidate-facing endpoint (the practice review); the committee's pages live in committee/web."""
