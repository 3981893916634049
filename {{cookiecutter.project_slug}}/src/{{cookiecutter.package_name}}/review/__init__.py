"""Every pull request: the PR's metrics against main's, one report, and the regression gate."""
