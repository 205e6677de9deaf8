"""`make bench`: a reproducible benchmark against PostgreSQL (issue 8). Not collected by pytest
(testpaths = tests); run with `python -m bench [--reload]`."""
