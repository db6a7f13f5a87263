"""API tokens of endpoints: 256-bit random strings, stored as SHA-256 hashes (a fast hash is
enough for a secret that cannot be guessed), compared in constant time and shown once."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from ...models import HttpEndpoint, utcnow
from ..errors import ValidationError
from ..scripts import get_script

TOKEN_PREFIX = "jss_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(presented: str | None, stored_hash: str | None) -> bool:
    """Constant-time comparison of a presented token with the stored hash."""
    if not presented or not stored_hash:
        return False
    return hmac.compare_digest(hash_token(presented), stored_hash)


def _endpoint_of(session: Session, script_id: str) -> HttpEndpoint:
    script = get_script(session, script_id)
    if script.type != "http" or not script.endpoints:
        raise ValidationError({"type": ["this script is not an HTTP endpoint"]})
    return script.endpoints[0]


def issue_token(session: Session, script_id: str) -> str:
    """A new API token for the script's endpoint, replacing any previous one (rotation).
    Only its hash is stored: the returned token is the one chance to show it."""
    endpoint = _endpoint_of(session, script_id)
    if endpoint.auth_mode != "token":
        raise ValidationError({"http_auth": ["switch the endpoint's access to token first"]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    endpoint.token_hash = hash_token(token)
    endpoint.updated_at = utcnow()
    session.commit()
    return token


def revoke_token(session: Session, script_id: str) -> bool:
    """Forget the endpoint's token (calls with it fail from now on); False if it had none."""
    endpoint = _endpoint_of(session, script_id)
    had = endpoint.token_hash is not None
    endpoint.token_hash = None
    endpoint.updated_at = utcnow()
    session.commit()
    return had
