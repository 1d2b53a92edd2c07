"""X webhook signatures: `sha256=` + base64(HMAC-SHA256(consumer secret, message)).

The same formula answers the CRC challenge (message = crc_token) and signs every POST
(message = the raw body bytes, exactly as sent: re-serialised JSON does not verify).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_PREFIX = "sha256="


def sign(consumer_secret: str, message: bytes) -> str:
    """Return the header value X would send for `message`.

    >>> sign("test", b"test=1&other_test=2")
    'sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc='
    """
    digest = hmac.new(consumer_secret.encode("utf-8"), message, hashlib.sha256).digest()
    return _PREFIX + base64.b64encode(digest).decode("ascii")


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    """The `response_token` that proves to X we hold the consumer secret."""
    return sign(consumer_secret, crc_token.encode("utf-8"))


def verify_signature(consumer_secret: str, message: bytes, header: str | None) -> bool:
    """True when `header` is X's signature of `message`; compared in constant time."""
    if not header or not header.startswith(_PREFIX):
        return False
    expected = sign(consumer_secret, message)
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("ascii", "replace"))
