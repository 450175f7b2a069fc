"""The offline plan: the program run under mocks (runner, mocks), the policy pack over what it registered
(analyzer, packlaunch), and the plan command's report (plan, report)."""
