"""schemathesis hooks of the contract run (api/contract/run): how the run signs in.

Every request carries `Authorization: Token …` of a user this hook registers. A settings change that sets a new
password retires every token issued before it (README: API), so the token can go stale in the middle of the run:
schemathesis then gets a 401, asks `get` again (its default `retry_on`), and this hook registers a fresh user.
"""

import os
import secrets

import requests
import schemathesis


@schemathesis.auth()
class ConduitSession:
    """A newly registered user's token for every request; a new user whenever the token stops working."""

    def get(self, case, context):
        api = os.environ["CONDUIT_API"]
        name = f"contract{secrets.token_hex(6)}"
        user = {"username": name, "email": f"{name}@example.com", "password": f"password-{secrets.token_hex(8)}"}
        response = requests.post(f"{api}/users", json={"user": user}, timeout=30)
        response.raise_for_status()
        return response.json()["user"]["token"]

    def set(self, case, token, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Token {token}"
