"""The one canonical form of an email address: the login name, the stored value, the rate-limit key.

`canonical_email(" Ｖictim@Example.ORG ")` → `"victim@example.org"`: surrounding space stripped,
Unicode NFKC (compatibility forms: full-width letters, ligatures such as `ﬁ`, the long `ſ`), then
`str.casefold()` (full Unicode case folding, locale-independent). The user row stores this form
under a plain unique index and is looked up by equality, so the database's collation or its
`UPPER()` never decides which account an address means (PostgreSQL under C.UTF-8 maps the dotless
`ı` to `I`, which made `vıctim@…` log into `victim@…` past the lockout).
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 254


def canonical_email(value: str | None) -> str:
    """NFKC + casefold of the stripped address ("" for None); idempotent."""
    text = unicodedata.normalize("NFKC", (value or "").strip())
    # casefold may produce new compatibility sequences (rare); normalise again so the form is stable.
    return unicodedata.normalize("NFKC", text.casefold())
