"""The configuration file: schema, loading with FILE:LINE errors, checks and rule evaluation. Pure."""
