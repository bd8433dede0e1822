"""Benchmarks behind ``make bench``: ratios measured side by side in one process.

May import: any part of chainrule, scikit-learn (the reference the core is measured against), MLflow.
"""
