from __future__ import annotations

from fieldkit.hub.tokens import TOKEN_PREFIX, new_token


def test_tokens_are_prefixed_and_never_look_like_an_option() -> None:
    tokens = {new_token() for _ in range(500)}
    assert len(tokens) == 500
    assert all(t.startswith(TOKEN_PREFIX) and len(t) > 40 for t in tokens)
