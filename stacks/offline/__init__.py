"""The offline plan: the program run under mocks (runner; mocks, with placeholders, invokes and mock_hooks),
the policy pack over what it registered (analyzer, pack, results), and the plan command's report (plan, report)."""
