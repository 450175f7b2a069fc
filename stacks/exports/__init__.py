"""What a plan exports besides its verdict: the monthly cost estimate (cost, cost_levers) and Terraform plan JSON
for scanners (tfplan)."""
