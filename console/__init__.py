"""The usage console: each tenant's credits, processes, storage and controls, as a page and a JSON API.

The app is ``console.app.create_app``; this package imports nothing, so a command that only
issues a token does not load FastAPI.
"""
