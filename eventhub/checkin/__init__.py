"""Door check-in: scanner page, one check-in service, offline sync, live counters."""
