"""okrsync benchmarks, not part of the test suite: `python -m bench` (what a sync costs against the
sandbox, and the naive script; docs/benchmark.md) and `python -m bench.report_scale` (the report at scale)."""
