"""FastAPI dependencies: the app state and the verified user, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.api.errors import ApiError
from app.auth import AuthError
from app.pipeline.types import User
from app.state import AppState

_bearer = HTTPBearer(auto_error=False, description="An API key (development) or an OIDC token")


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.docent
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def current_user(
    state: StateDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise AuthError("Sign in: send 'Authorization: Bearer <your key or token>'.")
    return state.auth.authenticate(creds.credentials)


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(state: StateDep, user: CurrentUser) -> User:
    if state.settings.admin_group not in user.groups:
        raise ApiError(403, "forbidden", f"This needs the '{state.settings.admin_group}' group.")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
