"""`make bench`: the API at the zone's scale, measured against the floor of its own stack.

Every figure is a ratio against a baseline measured in the same run (see `bench.__main__`).
"""
