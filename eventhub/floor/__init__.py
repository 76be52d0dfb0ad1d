"""The floor: list of speakers, speaking timers, delegations, raised hands and interpretation channels."""
