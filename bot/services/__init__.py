"""Use cases: each function takes a session and plain arguments, returns plain results."""
