"""What the service tells its operators: logs, metrics, traces and SQL statement counts.

A floor like `server.settings`: it imports nothing of ours but the settings, so the domain
and the HTTP layer can both report through it.
"""
