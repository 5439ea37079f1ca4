"""The supervisor's desk through the API: overdue board, summary, reviews and answers."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from typing import Any
from zoneinfo import ZoneInfo

from graphql_relay import from_global_id, to_global_id

from server.demo import seed_demo
from server.domain.clock import zone_today
from server.domain.models import (
    AuditEntry,
    Milestone,
    Notification,
    Programme,
    Project,
    Role,
    SupervisionReview,
    TaskSheet,
)
from server.domain.schedule import MAX_DAYS_OVERDUE
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL, MakeAccount

AS_OF = "2020-03-01"
ZONE = ZoneInfo("Asia/Shanghai")

OVERDUE = """
query($first: Int, $after: String, $filter: OverdueFilter) {
  overdueMilestones(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id title plannedDate status project { code } } }
  }
}"""

SUMMARY = """
query($groupBy: OverdueGroupBy!, $filter: OverdueFilter) {
  overdueSummary(groupBy: $groupBy, filter: $filter) {
    key label overdueCount projectCount maxDaysOverdue
  }
}"""


def gid(type_name: str, pk: int) -> str:
    """The global ID of a row."""
    return to_global_id(type_name, str(pk))


async def _board() -> dict[str, Any]:
    """Two programmes, three projects, overdue and not overdue milestones around 2020-03-01."""
    p1090 = await factories.programme("1090", 2020)
    p1050 = await factories.programme("1050", 2020, name="重点城建项目")
    plant = await factories.project(
        "A", programmes=(p1090,), responsible_unit="徐工集团", town="金山桥街道"
    )
    road = await factories.project("B", programmes=(p1050,), town="东环街道")
    both = await factories.project("C", programmes=(p1090, p1050), town=None)
    day = dt.date(2020, 3, 1)
    rows = {
        "a40": await factories.milestone(plant, day - dt.timedelta(days=40), title="主体封顶"),
        "a3": await factories.milestone(plant, day - dt.timedelta(days=3), title="设备进场"),
        "b40": await factories.milestone(road, day - dt.timedelta(days=40), title="路基完成"),
        "b10": await factories.milestone(road, day - dt.timedelta(days=10), title="管网"),
        "c1": await factories.milestone(both, day - dt.timedelta(days=1), title="开工"),
        "done": await factories.milestone(
            both, day - dt.timedelta(days=50), title="立项", done_on=day
        ),
        "today": await factories.milestone(both, day, title="今日节点"),
        "later": await factories.milestone(plant, day + dt.timedelta(days=5), title="竣工"),
    }
    return {"programmes": (p1090, p1050), "projects": (plant, road, both), "m": rows}


async def _listed(graphql: GraphQL, account: Account, filter: dict, first: int = 100) -> list:
    body = await graphql(OVERDUE, {"first": first, "filter": filter}, account=account)
    assert "errors" not in body, body
    return [e["node"]["title"] for e in body["data"]["overdueMilestones"]["edges"]]


async def test_overdue_list_order_filters_and_pages(graphql: GraphQL, supervisor: Account) -> None:
    board = await _board()
    everything = {"asOf": AS_OF}
    assert await _listed(graphql, supervisor, everything) == [
        "主体封顶",
        "路基完成",
        "管网",
        "设备进场",
        "开工",
    ]
    assert await _listed(graphql, supervisor, {**everything, "programmeCodes": ["1090"]}) == [
        "主体封顶",
        "设备进场",
        "开工",
    ]
    assert await _listed(graphql, supervisor, {**everything, "year": 2021}) == []
    assert await _listed(graphql, supervisor, {**everything, "programmeCodes": ["nope"]}) == []
    assert await _listed(graphql, supervisor, {**everything, "responsibleUnit": "徐工集团"}) == [
        "主体封顶",
        "设备进场",
    ]
    assert await _listed(graphql, supervisor, {**everything, "town": "东环街道"}) == [
        "路基完成",
        "管网",
    ]
    road = board["projects"][1]
    assert await _listed(
        graphql, supervisor, {**everything, "projectIds": [gid("Project", road.id)]}
    ) == ["路基完成", "管网"]
    assert await _listed(graphql, supervisor, {**everything, "minDaysOverdue": 10}) == [
        "主体封顶",
        "路基完成",
        "管网",
    ]
    assert await _listed(graphql, supervisor, {"asOf": "2020-03-02"}) == [
        "主体封顶",
        "路基完成",
        "管网",
        "设备进场",
        "开工",
        "今日节点",
    ]

    seen, after = [], None
    while True:
        body = await graphql(
            OVERDUE, {"first": 2, "after": after, "filter": everything}, account=supervisor
        )
        page = body["data"]["overdueMilestones"]
        assert page["totalCount"] == 5
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [e["node"]["title"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["主体封顶", "路基完成", "管网", "设备进场", "开工"]


async def test_overdue_defaults_to_today(
    graphql: GraphQL, supervisor: Account, settings: Settings
) -> None:
    project = await factories.project("T")
    today = zone_today(settings.zone)
    await factories.milestone(project, today - dt.timedelta(days=2), title="昨天前")
    await factories.milestone(project, today, title="今天")
    assert await _listed(graphql, supervisor, {}) == ["昨天前"]


async def test_overdue_bad_input_gives_clear_errors(
    graphql: GraphQL, supervisor: Account, make_account: MakeAccount
) -> None:
    board = await _board()
    milestone = board["m"]["a3"]
    cases = [
        ({"first": 5, "filter": {"minDaysOverdue": -1}}, "minDaysOverdue"),
        ({"first": 101}, "at most 100"),
        ({"first": 5, "after": "garbage"}, "cursor"),
        ({"first": 5, "filter": {"projectIds": [gid("Milestone", milestone.id)]}}, "Project ID"),
        ({"first": 5, "filter": {"projectIds": [gid("Project", 999999)]}}, "No such project"),
    ]
    for variables, message in cases:
        body = await graphql(OVERDUE, variables, account=supervisor)
        assert body["data"] is None
        assert message in body["errors"][0]["message"], body

    body = await graphql(OVERDUE, {"filter": {"asOf": "yesterday"}}, account=supervisor, status=400)
    assert "yesterday" in body["errors"][0]["message"]

    stranger = await make_account(Role.SITE_MANAGER, "stranger")
    project = board["projects"][0]
    body = await graphql(
        OVERDUE,
        {"filter": {"projectIds": [gid("Project", project.id)]}},
        account=stranger,
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await graphql(OVERDUE, {})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_site_manager_sees_only_their_overdue(
    graphql: GraphQL, site_manager: Account
) -> None:
    board = await _board()
    await board["projects"][1].site_managers.add(site_manager.user)
    assert await _listed(graphql, site_manager, {"asOf": AS_OF}) == ["路基完成", "管网"]
    body = await graphql(
        SUMMARY, {"groupBy": "TOWN", "filter": {"asOf": AS_OF}}, account=site_manager
    )
    assert body["data"]["overdueSummary"] == [
        {
            "key": "东环街道",
            "label": "东环街道",
            "overdueCount": 2,
            "projectCount": 1,
            "maxDaysOverdue": 40,
        }
    ]


async def test_summary_groups(graphql: GraphQL, supervisor: Account) -> None:
    board = await _board()
    p1090, p1050 = board["programmes"]
    body = await graphql(
        SUMMARY, {"groupBy": "PROGRAMME", "filter": {"asOf": AS_OF}}, account=supervisor
    )
    assert body["data"]["overdueSummary"] == [
        {
            "key": gid("Programme", p1090.id),
            "label": "1090 重大产业项目 (2020)",
            "overdueCount": 3,
            "projectCount": 2,
            "maxDaysOverdue": 40,
        },
        {
            "key": gid("Programme", p1050.id),
            "label": "1050 重点城建项目 (2020)",
            "overdueCount": 3,
            "projectCount": 2,
            "maxDaysOverdue": 40,
        },
    ]
    body = await graphql(
        SUMMARY,
        {"groupBy": "TOWN", "filter": {"asOf": AS_OF, "minDaysOverdue": 2}},
        account=supervisor,
    )
    assert [(g["key"], g["overdueCount"]) for g in body["data"]["overdueSummary"]] == [
        ("东环街道", 2),
        ("金山桥街道", 2),
    ]
    body = await graphql(
        SUMMARY, {"groupBy": "PROJECT", "filter": {"asOf": AS_OF}}, account=supervisor
    )
    plant, road, both = board["projects"]
    assert [(g["key"], g["overdueCount"]) for g in body["data"]["overdueSummary"]] == [
        (gid("Project", plant.id), 2),
        (gid("Project", road.id), 2),
        (gid("Project", both.id), 1),
    ]
    assert body["data"]["overdueSummary"][0]["label"] == f"A {plant.name}"


async def test_summary_agrees_with_list_on_demo_data(
    graphql: GraphQL, supervisor: Account, settings: Settings
) -> None:
    await seed_demo(settings)
    year = (await Programme.first()).year
    for filter in ({}, {"year": year}, {"minDaysOverdue": 8}, {"programmeCodes": ["1090"]}):
        listed = await graphql(OVERDUE, {"first": 1, "filter": filter}, account=supervisor)
        total = listed["data"]["overdueMilestones"]["totalCount"]
        assert total > 0
        for group_by in ("PROGRAMME", "RESPONSIBLE_UNIT", "TOWN", "PROJECT"):
            body = await graphql(
                SUMMARY, {"groupBy": group_by, "filter": filter}, account=supervisor
            )
            groups = body["data"]["overdueSummary"]
            assert groups, group_by
            if group_by != "PROGRAMME":
                assert sum(g["overdueCount"] for g in groups) == total
            for group in groups:
                narrowed = dict(filter)
                if group_by == "PROGRAMME":
                    programme = await Programme.get(id=int(from_global_id(group["key"]).id))
                    narrowed.update(programmeCodes=[programme.code], year=programme.year)
                elif group_by == "RESPONSIBLE_UNIT":
                    narrowed["responsibleUnit"] = group["key"]
                elif group_by == "TOWN":
                    if not group["key"]:
                        continue
                    narrowed["town"] = group["key"]
                else:
                    narrowed["projectIds"] = [group["key"]]
                variables = {"first": 100, "filter": narrowed}
                body = await graphql(OVERDUE, variables, account=supervisor)
                page = body["data"]["overdueMilestones"]
                assert page["totalCount"] == group["overdueCount"], (group_by, group)
                projects = {e["node"]["project"]["code"] for e in page["edges"]}
                assert len(projects) == group["projectCount"]


# --- reviews -------------------------------------------------------------------------------

REVIEW = """
mutation($input: ReviewMilestoneInput!) {
  reviewMilestone(input: $input) {
    review { id instruction respondBy isOverdue reviewer { username } milestone { title }
             response respondedAt respondedBy { username } }
    errors { field code message }
  }
}"""

RESPOND = """
mutation($input: RespondToReviewInput!) {
  respondToReview(input: $input) {
    review { id response respondedAt respondedBy { username } isOverdue }
    errors { field code message }
  }
}"""

OPEN_REVIEWS = """
query($filter: ReviewFilter, $first: Int, $after: String) {
  openReviews(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { node { id instruction isOverdue project { code } } }
  }
}"""


async def _site(make_account: MakeAccount) -> tuple[Project, Milestone, Account, Account]:
    project = await factories.project("S")
    milestone = await factories.milestone(project, zone_today(ZONE), title="基础")
    mine = await make_account(Role.SITE_MANAGER, "mine")
    other = await make_account(Role.SITE_MANAGER, "other")
    await project.site_managers.add(mine.user)
    return project, milestone, mine, other


async def test_review_and_answer(
    graphql: GraphQL, supervisor: Account, office: Account, make_account: MakeAccount
) -> None:
    _, milestone, mine, other = await _site(make_account)
    today = zone_today(ZONE)
    body = await graphql(
        REVIEW,
        {
            "input": {
                "milestoneId": gid("Milestone", milestone.id),
                "instruction": "  三日内报告钢筋进场计划  ",
                "respondBy": (today + dt.timedelta(days=3)).isoformat(),
            }
        },
        account=supervisor,
    )
    result = body["data"]["reviewMilestone"]
    assert result["errors"] == []
    review = result["review"]
    assert review["instruction"] == "三日内报告钢筋进场计划"
    assert review["reviewer"]["username"] == "supervisor"
    assert review["isOverdue"] is False and review["response"] is None

    notes = await Notification.filter(user_id=mine.user.id)
    assert len(notes) == 1 and "三日内报告钢筋进场计划" in notes[0].message
    assert notes[0].kind == "SUPERVISION_INSTRUCTION" and notes[0].subject_id == review["id"]
    assert not await Notification.filter(user_id=other.user.id).exists()
    assert await AuditEntry.filter(action="supervision.review").count() == 1

    node = await graphql(
        "query($id: ID!) { node(id: $id) { ... on Milestone { reviews { instruction } } } }",
        {"id": gid("Milestone", milestone.id)},
        account=mine,
    )
    assert node["data"]["node"]["reviews"] == [{"instruction": "三日内报告钢筋进场计划"}]

    answer = {"input": {"reviewId": review["id"], "response": "已安排 2 日进场"}}
    refused = await graphql(RESPOND, answer, account=other)
    assert refused["data"]["respondToReview"]["errors"][0]["code"] == "NOT_FOUND"
    refused = await graphql(RESPOND, answer, account=supervisor)
    assert refused["data"]["respondToReview"]["errors"][0]["code"] == "FORBIDDEN"
    blank = {"input": {"reviewId": review["id"], "response": "  "}}
    refused = await graphql(RESPOND, blank, account=mine)
    assert refused["data"]["respondToReview"]["errors"] == [
        {"field": ["input", "response"], "code": "INVALID", "message": "Must not be empty."}
    ]

    done = await graphql(RESPOND, answer, account=mine)
    answered = done["data"]["respondToReview"]
    assert answered["errors"] == []
    assert answered["review"]["response"] == "已安排 2 日进场"
    assert answered["review"]["respondedBy"]["username"] == "mine"
    again = await graphql(RESPOND, answer, account=office)
    assert again["data"]["respondToReview"]["errors"][0]["code"] == "CONFLICT"
    assert await AuditEntry.filter(action="supervision.respond").count() == 1


async def test_review_refusals(
    graphql: GraphQL,
    supervisor: Account,
    office: Account,
    admin: Account,
    make_account: MakeAccount,
) -> None:
    project, milestone, mine, _ = await _site(make_account)
    today = zone_today(ZONE)
    good = {"milestoneId": gid("Milestone", milestone.id), "instruction": "加快"}
    for account in (office, mine):
        body = await graphql(REVIEW, {"input": good}, account=account)
        assert body["data"]["reviewMilestone"]["errors"][0]["code"] == "FORBIDDEN"
    bad = {
        "milestoneId": gid("Milestone", milestone.id),
        "instruction": " ",
        "respondBy": (today - dt.timedelta(days=1)).isoformat(),
    }
    body = await graphql(REVIEW, {"input": bad}, account=supervisor)
    assert [(e["field"], e["code"]) for e in body["data"]["reviewMilestone"]["errors"]] == [
        (["input", "instruction"], "INVALID"),
        (["input", "respondBy"], "INVALID"),
    ]
    missing = {**good, "milestoneId": gid("Project", project.id)}
    body = await graphql(REVIEW, {"input": missing}, account=supervisor)
    assert body["data"]["reviewMilestone"]["errors"][0]["code"] == "NOT_FOUND"
    finished = await factories.milestone(project, today, title="完成", done_on=today)
    body = await graphql(
        REVIEW,
        {"input": {**good, "milestoneId": gid("Milestone", finished.id)}},
        account=admin,
    )
    assert body["data"]["reviewMilestone"]["errors"][0]["field"] == ["input", "milestoneId"]
    assert not await SupervisionReview.exists()
    assert not await Notification.exists()


async def test_open_reviews(
    graphql: GraphQL, supervisor: Account, make_account: MakeAccount
) -> None:
    project, milestone, mine, other = await _site(make_account)
    elsewhere = await factories.project("E")
    far = await factories.milestone(elsewhere, dt.date(2020, 1, 1), title="远处")
    today = zone_today(ZONE)
    late = await SupervisionReview.create(
        milestone=milestone,
        project=project,
        reviewer=supervisor.user,
        instruction="逾期的",
        respond_by=today - dt.timedelta(days=1),
    )
    await SupervisionReview.create(
        milestone=far, project=elsewhere, reviewer=supervisor.user, instruction="未定期限"
    )
    await SupervisionReview.create(
        milestone=far,
        project=elsewhere,
        reviewer=supervisor.user,
        instruction="今天到期",
        respond_by=today,
    )
    await SupervisionReview.create(
        milestone=milestone,
        project=project,
        reviewer=supervisor.user,
        instruction="已答复",
        respond_by=today - dt.timedelta(days=5),
        response="好",
        responded_at=dt.datetime.now(dt.UTC),
    )
    body = await graphql(OPEN_REVIEWS, {}, account=supervisor)
    page = body["data"]["openReviews"]
    assert page["totalCount"] == 3
    assert [(e["node"]["instruction"], e["node"]["isOverdue"]) for e in page["edges"]] == [
        ("逾期的", True),
        ("今天到期", False),
        ("未定期限", False),
    ]
    body = await graphql(OPEN_REVIEWS, {"filter": {"overdueOnly": True}}, account=supervisor)
    assert [e["node"]["id"] for e in body["data"]["openReviews"]["edges"]] == [
        gid("SupervisionReview", late.id)
    ]
    body = await graphql(OPEN_REVIEWS, {}, account=mine)
    assert [e["node"]["instruction"] for e in body["data"]["openReviews"]["edges"]] == ["逾期的"]
    body = await graphql(OPEN_REVIEWS, {}, account=other)
    assert body["data"]["openReviews"]["totalCount"] == 0
    body = await graphql(
        OPEN_REVIEWS,
        {"filter": {"projectIds": [gid("Project", elsewhere.id)]}},
        account=mine,
    )
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    body = await graphql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": gid("SupervisionReview", late.id)},
        account=other,
    )
    assert body["data"]["node"] is None


# --- programme progress --------------------------------------------------------------------

STATS = """
query($year: Int) {
  programmes(year: $year) {
    code
    stats {
      projectCount statusDate investmentTarget completedInvestment
      baselineExecution { key finishedCount baselinedCount index meetsTarget }
      projectExecution { key label index meetsTarget }
      unitExecution { key index }
    }
  }
}"""


async def test_programme_stats_progress(
    graphql: GraphQL, supervisor: Account, site_manager: Account, count_statements: Any
) -> None:
    today = zone_today(ZONE)
    programme = await factories.programme("1090", today.year)
    await factories.programme("1050", today.year)
    fine = await factories.project("F", programmes=(programme,), responsible_unit="徐工集团")
    slow = await factories.project("S", programmes=(programme,), responsible_unit="城投公司")
    for offset in (30, 10):
        due = today - dt.timedelta(days=offset)
        await factories.milestone(fine, due, done_on=due)
    await factories.milestone(slow, today - dt.timedelta(days=3))
    await TaskSheet.create(
        project=fine,
        year=today.year,
        revision=1,
        annual_investment_target=decimal.Decimal("800"),
        completed_investment=decimal.Decimal("120.5"),
    )
    with count_statements() as counter:
        body = await graphql(STATS, {"year": today.year}, account=supervisor)
    by_code = {p["code"]: p["stats"] for p in body["data"]["programmes"]}
    stats = by_code["1090"]
    assert stats["statusDate"] == today.isoformat()
    assert stats["investmentTarget"] == "800.00" and stats["completedInvestment"] == "120.50"
    assert stats["baselineExecution"] == {
        "key": gid("Programme", programme.id),
        "finishedCount": 2,
        "baselinedCount": 3,
        "index": 2 / 3,
        "meetsTarget": False,
    }
    rows = [(e["key"], e["label"], e["index"], e["meetsTarget"]) for e in stats["projectExecution"]]
    assert rows == [
        (gid("Project", slow.id), f"S {slow.name}", 0.0, False),
        (gid("Project", fine.id), f"F {fine.name}", 1.0, True),
    ]
    assert stats["unitExecution"] == [
        {"key": "城投公司", "index": 0.0},
        {"key": "徐工集团", "index": 1.0},
    ]
    assert by_code["1050"]["baselineExecution"]["index"] is None
    assert by_code["1050"]["investmentTarget"] is None
    progress_sql = [s for s in counter.statements if "task_sheet" in s or "baseline_date" in s]
    assert len(progress_sql) == 2

    await slow.site_managers.add(site_manager.user)
    body = await graphql(STATS, {"year": today.year}, account=site_manager)
    mine = {p["code"]: p["stats"] for p in body["data"]["programmes"]}["1090"]
    assert mine["baselineExecution"]["baselinedCount"] == 1
    assert mine["investmentTarget"] is None
    assert [e["key"] for e in mine["projectExecution"]] == [gid("Project", slow.id)]


async def test_overdue_page_statements_do_not_grow_with_page_size(
    graphql: GraphQL, supervisor: Account, count_statements: Any
) -> None:
    for number in range(12):
        project = await factories.project(f"N-{number:02d}")
        await factories.milestone(project, dt.date(2020, 1, number + 1), title=f"节点{number}")
    query = """
    query($first: Int) {
      overdueMilestones(first: $first, filter: {asOf: "2020-03-01"}) {
        totalCount
        edges { node { title daysOverdue project { code health } reviews { id } } }
      }
    }"""
    counts = []
    for first in (2, 12):
        with count_statements() as counter:
            body = await graphql(query, {"first": first}, account=supervisor)
        assert len(body["data"]["overdueMilestones"]["edges"]) == first
        counts.append(len(counter.statements))
    assert counts[0] == counts[1]


# --- hostile input: refused clearly, never INTERNAL ----------------------------------------


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


async def test_overdue_filters_out_of_range_are_invalid(
    graphql: GraphQL, supervisor: Account
) -> None:
    await _board()
    cases = [
        ({"minDaysOverdue": 2**31 - 1}, "minDaysOverdue"),
        ({"minDaysOverdue": MAX_DAYS_OVERDUE + 1}, "minDaysOverdue"),
        ({"year": 3000}, "year"),
        ({"year": -(2**31)}, "year"),
        ({"town": "镇" * 65}, "town"),
        ({"responsibleUnit": "局" * 129}, "responsibleUnit"),
        ({"programmeCodes": ["1" * 33]}, "programmeCodes"),
        ({"programmeCodes": ["1090"] * 101}, "at most 100"),
        ({"projectIds": [gid("Project", 1)] * 101}, "at most 100"),
        ({"projectIds": [gid("Project", 2**31)]}, "Project ID"),
    ]
    for filter, words in cases:
        for query, variables in ((OVERDUE, {}), (SUMMARY, {"groupBy": "TOWN"})):
            body = await graphql(query, {**variables, "filter": filter}, account=supervisor)
            assert body["data"] is None, body
            error = body["errors"][0]
            assert error["extensions"]["code"] == "INVALID" and words in error["message"], body
    deepest = {"minDaysOverdue": MAX_DAYS_OVERDUE, "asOf": "1900-01-01"}
    body = await graphql(OVERDUE, {"filter": deepest}, account=supervisor)
    assert body["data"]["overdueMilestones"]["totalCount"] == 0


async def test_dates_out_of_the_calendar_are_refused(graphql: GraphQL, supervisor: Account) -> None:
    for as_of in ("0001-01-01", "9999-12-31"):
        body = await graphql(OVERDUE, {"filter": {"asOf": as_of}}, account=supervisor, status=400)
        assert "1900-01-01" in body["errors"][0]["message"]
        literal = await graphql(
            f'{{ overdueSummary(groupBy: TOWN, filter: {{asOf: "{as_of}"}}) {{ key }} }}',
            account=supervisor,
            status=400,
        )
        assert "1900-01-01" in literal["errors"][0]["message"]
        assert literal["errors"][0]["extensions"]["code"] != "INTERNAL"


async def test_crafted_cursors_are_invalid(graphql: GraphQL, supervisor: Account) -> None:
    await _board()
    crafted = [
        _cursor("overdue:0001-01-01:1:1"),
        _cursor("overdue:9999-12-31:1:1"),
        _cursor(f"overdue:2020-01-01:{2**31}:1"),
        _cursor("overdue:2020-01-01:1:-1"),
        _cursor("overdue:2020-01-01:1"),
        "not a cursor",
    ]
    for after in crafted:
        body = await graphql(OVERDUE, {"after": after}, account=supervisor)
        assert body["errors"][0]["extensions"]["code"] == "INVALID", (after, body)
    for offset in ("-2", "10000000"):
        body = await graphql(
            OPEN_REVIEWS, {"after": _cursor(f"offset:{offset}")}, account=supervisor
        )
        assert body["errors"][0]["extensions"]["code"] == "INVALID", body
