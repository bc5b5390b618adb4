"""Typed dependencies for the routes: the console's wiring and the viewer behind the request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from app.root import Root
from console.auth import Keys, Viewer, from_request
from quotas.ledger import Ledger


def get_console(request: Request) -> Root:
    console: Root = request.app.state.console
    return console


def get_keys(request: Request) -> Keys:
    keys: Keys = request.app.state.keys
    return keys


ConsoleDep = Annotated[Root, Depends(get_console)]
KeysDep = Annotated[Keys, Depends(get_keys)]


def optional_viewer(request: Request, console: ConsoleDep, keys: KeysDep) -> Viewer | None:
    with console.sessions() as session:
        return from_request(session, keys, request)


def required_viewer(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    if viewer is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid token is needed: Authorization: Bearer <token> (see `erp-sync console token SLUG`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return viewer


ViewerDep = Annotated[Viewer, Depends(required_viewer)]
MaybeViewerDep = Annotated[Viewer | None, Depends(optional_viewer)]


def ledger_of(console: Root) -> Ledger:
    return console.ledger
