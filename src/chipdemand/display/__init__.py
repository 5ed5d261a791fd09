"""What people read: terminal tables, numbers, figures and the HTML report.

Nothing here computes a statistic: it formats and draws what the analysis layer gives it.
"""
