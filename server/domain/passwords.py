"""The password rules: what a new password must be, with a message that says what to fix.

A password has at least `MIN_PASSWORD_LENGTH` characters (and at most the hashing limit), is not
the username, is not one character repeated, and is not one of the passwords people choose most
often (`COMMON_PASSWORDS`, compared without case). Only new passwords are checked: the ones
people set (`createUser`, `changePassword`); a temporary password the service makes is long and
random.
"""

from __future__ import annotations

import secrets

from server.domain.errors import FieldPath, Refused

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
"""Longer passwords are refused without being hashed (hashing work grows with the length)."""

TEMPORARY_PASSWORD_LENGTH = 14
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Letters and digits but the ones read alike (0/O, 1/l/I): read aloud over the phone."""

COMMON_PASSWORDS: frozenset[str] = frozenset(
    {
        "0000000000",
        "0123456789",
        "0987654321",
        "1111111111",
        "1122334455",
        "1234512345",
        "1234554321",
        "1234567890",
        "12345678910",
        "123456789a",
        "123456789q",
        "1234567890a",
        "123123123123",
        "1234qwer1234",
        "1234qwerasdf",
        "1314520520",
        "147258369a",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "1qazxsw23edc",
        "2222222222",
        "5201314520",
        "5211314520",
        "6666666666",
        "8888888888",
        "9876543210",
        "9999999999",
        "a123456789",
        "a1234567890",
        "a1b2c3d4e5",
        "aa12345678",
        "aaaaaaaaaa",
        "abc1234567",
        "abc12345678",
        "abcd123456",
        "abcd1234abcd",
        "abcdefghij",
        "admin12345",
        "admin123456",
        "administrator",
        "asdfghjkl1",
        "asdfghjkl;",
        "asdf123456",
        "baseball123",
        "changeme123",
        "dragon1234",
        "football123",
        "iloveyou12",
        "iloveyou123",
        "letmein123",
        "letmein1234",
        "michael123",
        "monkey1234",
        "p@ssw0rd12",
        "p@ssword123",
        "pass123456",
        "passw0rd123",
        "password01",
        "password1!",
        "password11",
        "password12",
        "password123",
        "password1234",
        "password2020",
        "password2021",
        "password2022",
        "password2023",
        "password2024",
        "password2025",
        "password2026",
        "q1w2e3r4t5",
        "q1w2e3r4t5y6",
        "qazwsx1234",
        "qazwsxedc123",
        "qazwsxedcrfv",
        "qwe1234567",
        "qwer123456",
        "qwerty1234",
        "qwerty12345",
        "qwerty123456",
        "qwertyuiop",
        "qwertyuiop123",
        "shanghai123",
        "starwars123",
        "sunshine123",
        "superman123",
        "test123456",
        "welcome123",
        "welcome1234",
        "woaini1314",
        "woaini520520",
        "woaini123456",
        "wallchart123",
        "zaq12wsxcde",
        "zxcvbnm123",
        "zxcvbnm1234",
        "zxcvbnmasdf",
    }
)
"""Often-chosen passwords of at least MIN_PASSWORD_LENGTH characters (shorter ones are refused
by length already), lower case."""


def check_new_password(password: str, username: str, field: FieldPath) -> None:
    """Refuse INVALID at `field` a password that breaks a rule, saying what to change."""
    problem = _problem(password, username)
    if problem is not None:
        raise Refused("INVALID", problem, field)


def _problem(password: str, username: str) -> str | None:
    """What is wrong with `password` for `username`, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters (this one has {len(password)})."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if "\x00" in password:
        return "A password may not contain the NUL character."
    if password.lower() == username.lower():
        return "Do not use your username as your password."
    if len(set(password)) == 1:
        return "Do not repeat one character: mix letters, digits and signs."
    if password.lower() in COMMON_PASSWORDS:
        return "This password is among the most common ones: choose one nobody would guess."
    return None


def temporary_password() -> str:
    """A random password an administrator hands over once (about 79 bits)."""
    return "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))
