"""okrsync: OKR key results kept current from Jira, GitHub and Google Sheets."""

__version__ = "0.1.0"
