"""The usage console: each tenant's credits, processes, storage and controls, as a page and a JSON API."""

from console.app import create_app

__all__ = ["create_app"]
