"""The password rules called directly: each rule refuses with a message that says what to fix."""

from __future__ import annotations

import pytest

from server.domain import passwords
from server.domain.errors import Refused
from server.domain.passwords import (
    COMMON_PASSWORDS,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    TEMPORARY_PASSWORD_LENGTH,
    check_new_password,
    temporary_password,
)

FIELD = ("input", "newPassword")
GOOD = "Tall-Crane-7-Rises"


def refusal(password: str, username: str = "zhang.wei") -> Refused:
    """The refusal of `password` as a new password of `username`."""
    with pytest.raises(Refused) as refused:
        check_new_password(password, username, FIELD)
    return refused.value


def test_a_good_password_passes() -> None:
    check_new_password(GOOD, "zhang.wei", FIELD)


def test_the_minimum_length_is_ten() -> None:
    assert MIN_PASSWORD_LENGTH == 10
    short = refusal("Kx7#mP2qZ")
    assert (short.code, short.field) == ("INVALID", FIELD)
    assert len(short.problems) == 1
    assert "at least 10 characters" in short.message
    assert "this one has 9" in short.message
    check_new_password("Kx7#mP2qZw", "zhang.wei", FIELD)


@pytest.mark.parametrize("password", ["", "a", "Kx7#"])
def test_short_and_empty_passwords_are_refused_with_their_length(password: str) -> None:
    refused = refusal(password)
    assert refused.code == "INVALID"
    assert f"this one has {len(password)}" in refused.message


def test_the_maximum_length_is_the_hashing_limit() -> None:
    longest = ("Kx7#mP2qZw" * (MAX_PASSWORD_LENGTH // 10 + 1))[:MAX_PASSWORD_LENGTH]
    check_new_password(longest, "zhang.wei", FIELD)
    refused = refusal(longest + "x")
    assert (refused.code, refused.field) == ("INVALID", FIELD)
    assert f"at most {MAX_PASSWORD_LENGTH} characters" in refused.message


def test_a_huge_password_is_refused() -> None:
    assert "at most" in refusal("x" * 1_000_000 + "y").message


def test_nul_is_refused() -> None:
    refused = refusal("Kx7#mP2q\x00Zw")
    assert refused.code == "INVALID"
    assert "NUL" in refused.message


@pytest.mark.parametrize("password", ["zhang.wei.site", "ZHANG.WEI.SITE", "Zhang.Wei.Site"])
def test_the_username_is_refused_whatever_its_case(password: str) -> None:
    refused = refusal(password, username="zhang.wei.site")
    assert refused.code == "INVALID"
    assert "username" in refused.message


def test_a_password_merely_containing_the_username_passes() -> None:
    check_new_password("zhang.wei.site!", "zhang.wei.site", FIELD)


@pytest.mark.parametrize("password", ["zzzzzzzzzz", "9" * 40, "!!!!!!!!!!!!"])
def test_one_repeated_character_is_refused(password: str) -> None:
    refused = refusal(password)
    assert refused.code == "INVALID"
    assert "repeat" in refused.message


def test_two_alternating_characters_are_not_one_repeated() -> None:
    check_new_password("zyzyzyzyzyzy", "zhang.wei", FIELD)


@pytest.mark.parametrize("password", ["password123", "PASSWORD123", "PassWord123", "QwertyUIOP"])
def test_a_common_password_is_refused_in_any_case(password: str) -> None:
    refused = refusal(password)
    assert (refused.code, refused.field) == ("INVALID", FIELD)
    assert "most common" in refused.message


def test_every_common_password_is_refused_and_long_enough_to_need_the_list() -> None:
    for common in COMMON_PASSWORDS:
        assert common == common.lower()
        assert len(common) >= MIN_PASSWORD_LENGTH
        assert refusal(common).code == "INVALID"


def test_a_common_password_with_one_more_character_passes() -> None:
    check_new_password("password123%", "zhang.wei", FIELD)


def test_the_field_given_is_the_field_reported() -> None:
    with pytest.raises(Refused) as refused:
        check_new_password("short", "zhang.wei", ("input", "password"))
    assert refused.value.field == ("input", "password")


def test_a_temporary_password_has_the_length_and_alphabet() -> None:
    alphabet = set(passwords._TEMPORARY_ALPHABET)
    assert not alphabet & set("0O1lI")
    for _ in range(50):
        made = temporary_password()
        assert len(made) == TEMPORARY_PASSWORD_LENGTH == 14
        assert set(made) <= alphabet


def test_a_temporary_password_passes_the_rules_and_differs_each_time() -> None:
    made = [temporary_password() for _ in range(100)]
    for one in made:
        check_new_password(one, "zhang.wei", FIELD)
    assert len(set(made)) == len(made)
