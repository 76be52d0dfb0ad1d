"""WSGI entry point: `flask --app wsgi …` for commands, or a WSGI server (see docs/deployment.md)."""

from eventhub import create_app

app = create_app()
