"""The Google service account the sandbox trusts: its RSA key pair, the JSON key file clients load,
and the OAuth token endpoint's checks (RS256 assertion signed with that key -> access token)."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

TOKEN_LIFETIME = 3599


class GrantError(ValueError):
    """A refused token request: OAuth's `error` code and Google's `error_description`."""

    def __init__(self, error: str, description: str):
        super().__init__(description)
        self.error, self.description = error, description


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    client_id: str
    project_id: str
    private_key_id: str
    private_key: str  # PEM (PKCS#8), as in Google's key files

    @classmethod
    def create(cls, raw: dict[str, Any] | None = None) -> ServiceAccount:
        """From the data file's `sheets.service_account` (its PEM key kept), else with a new key."""
        raw = raw or {}
        pem = raw.get("private_key")
        if not pem:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        project = str(raw.get("project_id", "okrsync-sandbox"))
        email = str(raw.get("client_email", f"okrsync@{project}.iam.gserviceaccount.com"))
        digest = hashlib.sha256(pem.encode()).hexdigest()
        return cls(email, str(raw.get("client_id", int(digest[:20], 16))), project, str(raw.get("private_key_id", digest[:40])), pem)

    def public_key(self) -> Any:
        return serialization.load_pem_private_key(self.private_key.encode(), password=None).public_key()

    def write_file(self, path: Path, token_uri: str) -> Path:
        """The service-account JSON file, with `token_uri` pointing at the sandbox."""
        content = {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": self.private_key,
            "client_email": self.client_email,
            "client_id": self.client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": f"https://www.googleapis.com/robot/v1/metadata/x509/{self.client_email.replace('@', '%40')}",
            "universe_domain": "googleapis.com",
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2) + "\n")
        path.chmod(0o600)
        return path


class TokenIssuer:
    """Exchanges signed assertions for access tokens and checks the bearer tokens API calls carry."""

    def __init__(self, account: ServiceAccount):
        self.account = account
        self._public_key = account.public_key()
        self._tokens: dict[str, float] = {}  # token -> expiry (epoch seconds)
        self._lock = threading.Lock()

    def exchange(self, grant_type: str, assertion: str) -> dict[str, Any]:
        """Google's token endpoint for the JWT-bearer grant (google-auth's service-account flow)."""
        if grant_type != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            raise GrantError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        claims = self._verify(assertion)
        if claims.get("iss") != self.account.client_email:
            raise GrantError("invalid_grant", "Invalid grant: account not found")
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.time() + TOKEN_LIFETIME
        return {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"}

    def accepts(self, bearer: str) -> bool:
        """An unexpired token issued here, or a self-signed JWT of the service account."""
        with self._lock:
            expiry = self._tokens.get(bearer)
        if expiry is not None:
            return expiry > time.time()
        try:
            return self._verify(bearer).get("iss") == self.account.client_email
        except GrantError:
            return False

    def _verify(self, assertion: str) -> dict[str, Any]:
        try:
            # google-auth always sets aud to Google's own token URL, whatever token_uri says
            return jwt.decode(assertion, self._public_key, algorithms=["RS256"], options={"verify_aud": False, "require": ["iss", "exp", "iat"]}, leeway=300)
        except jwt.InvalidSignatureError:
            raise GrantError("invalid_grant", "Invalid JWT Signature.") from None
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError, jwt.MissingRequiredClaimError):
            raise GrantError(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                "Check your iat and exp values in the JWT claim.",
            ) from None
        except jwt.InvalidTokenError:
            raise GrantError("invalid_grant", "Invalid JWT Signature.") from None
