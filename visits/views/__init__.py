"""Visit pages: `desk` for dispatchers and supervisors, `field` for the engineer's phone."""
