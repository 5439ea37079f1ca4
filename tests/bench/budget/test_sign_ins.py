"""The sign-in row's reading of login answers."""

from __future__ import annotations

from bench.budget.sign_ins import login_outcome


def test_login_answers() -> None:
    assert login_outcome({"data": {"login": {"token": "t", "errors": []}}}) == "token"
    throttled = {"token": None, "errors": [{"code": "RATE_LIMITED", "message": "later"}]}
    assert login_outcome({"data": {"login": throttled}}) == "RATE_LIMITED"
    assert login_outcome({"data": None}) == "no token"
