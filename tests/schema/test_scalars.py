"""Date, DateTime and Decimal: bad values are refused with a message, written in the document
(a validation error) or sent as a variable (an invalid variable), never INTERNAL."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, parse_value

from schema.scalars import Date, DateTime, Decimal
from server.domain.models import AuditEntry, Project
from tests.conftest import Account, GraphQL

REVIEWS = """
query Reviews($asOf: Date) {
  overdueMilestones(filter: {asOf: $asOf}) { totalCount }
}
"""


def _literal_query(as_of: str) -> str:
    return f'{{ overdueMilestones(filter: {{asOf: "{as_of}"}}) {{ totalCount }} }}'


def _assert_refused(body: dict[str, Any], *words: str) -> None:
    assert body.get("data") is None, body
    errors = body["errors"]
    assert errors and all(e.get("extensions", {}).get("code") != "INTERNAL" for e in errors)
    message = " ".join(e["message"] for e in errors)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    ("as_of", "words"),
    [
        ("0001-01-01", ("1900-01-01", "2999-12-31")),
        ("9999-12-31", ("1900-01-01",)),
        ("1899-12-31", ("1900-01-01",)),
        ("3000-01-01", ("2999-12-31",)),
        ("2020-02-30", ("not a date",)),
        ("yesterday", ("not a date",)),
        ("", ("not a date",)),
        ("\\u0000", ()),
        ("x" * 5000, ("not a date",)),
    ],
)
async def test_bad_dates_are_refused_in_the_document_and_as_variables(
    graphql: GraphQL, supervisor: Account, as_of: str, words: tuple[str, ...]
) -> None:
    literal = await graphql(_literal_query(as_of), account=supervisor, status=400)
    _assert_refused(literal, *words)
    value = as_of.replace("\\u0000", "\x00")
    variable = await graphql(REVIEWS, {"asOf": value}, account=supervisor, status=400)
    _assert_refused(variable, *words)


async def test_a_date_of_the_wrong_type_is_refused(graphql: GraphQL, supervisor: Account) -> None:
    body = await graphql(
        "{ overdueMilestones(filter: {asOf: 20200220}) { totalCount } }",
        account=supervisor,
        status=400,
    )
    _assert_refused(body, "Date")
    body = await graphql(REVIEWS, {"asOf": 20200220}, account=supervisor, status=400)
    _assert_refused(body, "string")


async def test_the_ends_of_the_calendar_are_accepted(graphql: GraphQL, supervisor: Account) -> None:
    for as_of in ("1900-01-01", "2999-12-31"):
        body = await graphql(_literal_query(as_of), account=supervisor)
        assert body["data"]["overdueMilestones"]["totalCount"] == 0


TASK_SHEET = """
mutation {
  saveTaskSheet(input: {projectId: "UHJvamVjdDox", year: 2020, %s}) { errors { code } }
}
"""


@pytest.mark.parametrize(
    ("argument", "words"),
    [
        ('annualInvestmentTarget: "1e400"', ("11 digits",)),
        ('annualInvestmentTarget: "-1e400"', ("11 digits",)),
        ('annualInvestmentTarget: "NaN"', ("finite",)),
        ('annualInvestmentTarget: "Infinity"', ("finite",)),
        ('annualInvestmentTarget: "123456789012"', ("11 digits",)),
        ("annualInvestmentTarget: 123456789012", ("11 digits",)),
        ('annualInvestmentTarget: "abc"', ("not a decimal",)),
        ("annualInvestmentTarget: true", ("Decimal",)),
        ('approvedAt: "0001-01-01T00:00:00+08:00"', ("1900-01-01",)),
        ('approvedAt: "2020-02-20T09:00:00"', ("offset",)),
        ('approvedAt: "soon"', ("ISO 8601",)),
    ],
)
async def test_bad_decimal_and_datetime_literals_are_validation_errors(
    graphql: GraphQL, office: Account, argument: str, words: tuple[str, ...]
) -> None:
    body = await graphql(TASK_SHEET % argument, account=office, status=400)
    _assert_refused(body, *words)


@pytest.mark.parametrize(
    "value",
    ["1e400", "NaN", "123456789012", 10**40, True, 1.5, [], None, "\x00", "\ud800"],
)
async def test_bad_decimal_variables_are_refused(
    client: httpx.AsyncClient, office: Account, value: Any
) -> None:
    query = (
        'mutation($v: Decimal!) { saveTaskSheet(input: {projectId: "UHJvamVjdDox", year: 2020,'
        " annualInvestmentTarget: $v}) { errors { code } } }"
    )
    # Serialised by hand: JSON may carry a lone surrogate escaped, which httpx will not send.
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": {"v": value}}),
        headers={**office.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    _assert_refused(response.json())


@pytest.mark.parametrize(
    ("scalar", "value", "expected"),
    [
        (Date, "1900-01-01", dt.date(1900, 1, 1)),
        (Date, "2999-12-31", dt.date(2999, 12, 31)),
        (
            DateTime,
            "2020-02-20T09:00:00+08:00",
            dt.datetime.fromisoformat("2020-02-20T09:00+08:00"),
        ),
        (Decimal, "99999999999.999", decimal.Decimal("99999999999.999")),
        (Decimal, "-1250.50", decimal.Decimal("-1250.50")),
        (Decimal, 12, decimal.Decimal(12)),
        (Decimal, "1.500", decimal.Decimal("1.5")),
    ],
)
def test_values_in_range_are_parsed(scalar: Any, value: Any, expected: Any) -> None:
    assert scalar.parse_value(value) == expected


@pytest.mark.parametrize(
    ("scalar", "literal"),
    [
        (Date, '"0001-01-01"'),
        (DateTime, '"9999-12-31T23:59:59+14:00"'),
        (Decimal, '"1e999999999"'),
        (Decimal, "-100000000000"),
    ],
)
def test_literals_out_of_range_raise_graphql_errors(scalar: Any, literal: str) -> None:
    with pytest.raises(GraphQLError) as refused:
        scalar.parse_literal(parse_value(literal))
    assert refused.value.extensions == {"code": "INVALID"}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0E+999999999", "11 digits before"),
        ("-0E+999999999", "11 digits before"),
        ("0E+11", "11 digits before"),
        ("1E+11", "11 digits before"),
        ("0E-999999999", "20 digits after"),
        ("1E-999999999", "20 digits after"),
        ("-0E-21", "20 digits after"),
        ("1." + "0" * 21, "20 digits after"),
    ],
)
def test_decimal_exponents_past_any_column_are_refused(value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Decimal.parse_value(value)
    with pytest.raises(GraphQLError) as refused:
        Decimal.parse_literal(parse_value(value))
    assert refused.value.extensions == {"code": "INVALID"}


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("1E+10", "10000000000"),
        ("1.5E+3", "1500"),
        ("1.25e2", "125"),
        ("125E-2", "1.25"),
        ("0E+10", "0"),
        ("0E-20", "0E-20"),
        ("1E-20", "1E-20"),
        ("-0", "0"),
        ("-0.00", "0.00"),
        ("-0E+3", "0"),
        ("1.500", "1.500"),
        (-0, "0"),
        (10**10, "10000000000"),
    ],
)
def test_decimals_are_normalised_to_plain_notation(value: Any, plain: str) -> None:
    parsed = Decimal.parse_value(value)
    assert str(parsed) == plain
    assert not parsed.is_signed()
    assert parsed == decimal.Decimal(value)


def test_a_decimal_literal_written_as_a_float_is_normalised() -> None:
    assert str(Decimal.parse_literal(parse_value("1E+10"))) == "10000000000"


CREATE_PROJECT = """
mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id totalInvestment } errors { field code message } }
}"""
CREATE_PROJECT_LITERAL = """
mutation {
  createProject(input: {code: "P-1", name: "Depot", responsibleUnit: "Transport",
                        totalInvestment: %s}) { project { id } errors { code } }
}"""
PROJECT_INVESTMENT = "query($id: ID!) { node(id: $id) { ... on Project { totalInvestment } } }"


def _project_input(total_investment: str) -> dict[str, Any]:
    return {
        "input": {
            "code": "P-1",
            "name": "Depot",
            "responsibleUnit": "Transport",
            "totalInvestment": total_investment,
        }
    }


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0E+999999999", "11 digits before"),
        ("-0E+999999999", "11 digits before"),
        ("0E-999999999", "20 digits after"),
        ("1E-999999999", "20 digits after"),
    ],
)
async def test_a_money_field_refuses_huge_exponents_clearly(
    graphql: GraphQL, office: Account, value: str, words: str
) -> None:
    variable = await graphql(CREATE_PROJECT, _project_input(value), account=office, status=400)
    _assert_refused(variable, words)
    for literal in (json.dumps(value), value):
        body = await graphql(CREATE_PROJECT_LITERAL % literal, account=office, status=400)
        _assert_refused(body, words)
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await Project.all().count() == 0


@pytest.mark.parametrize(
    ("value", "answered", "stored"),
    [
        ("1E+10", "10000000000", "10000000000.00"),
        ("1.5E+3", "1500", "1500.00"),
        ("-0", "0", "0.00"),
        ("-0.00", "0.00", "0.00"),
    ],
)
async def test_a_money_field_stores_exponents_and_negative_zero_plainly(
    graphql: GraphQL, office: Account, value: str, answered: str, stored: str
) -> None:
    body = await graphql(CREATE_PROJECT, _project_input(value), account=office)
    payload = body["data"]["createProject"]
    assert payload["errors"] == []
    assert payload["project"]["totalInvestment"] == answered
    again = await graphql(PROJECT_INVESTMENT, {"id": payload["project"]["id"]}, account=office)
    assert again["data"]["node"]["totalInvestment"] == stored
    entry = await AuditEntry.get(action="project.create")
    assert entry.after["total_investment"] == answered


def test_refused_values_are_quoted_short() -> None:
    with pytest.raises(ValueError) as refused:
        Date.parse_value("x" * 10_000)
    assert len(str(refused.value)) < 100
