"""Timetables through the API: milestones, forecasts, dependencies and their mutations."""

from __future__ import annotations

import datetime as dt

from schema.relay import global_id
from server.domain.clock import zone_today
from server.domain.models import (
    AuditEntry,
    Milestone,
    MilestoneDependency,
    Phase,
    Rebaseline,
    TaskItem,
    TaskSheet,
)
from server.domain.schedule import MAX_LAG_DAYS, add_days
from server.settings import Settings
from tests import factories
from tests.conftest import Account, GraphQL

CREATE = """
mutation($input: CreateMilestoneInput!) {
  createMilestone(input: $input) {
    milestone { id title baselineDate plannedDate forecastDate status isOverdue daysOverdue
                slipDays dependsOn { title } dependencies { milestone { title } lagDays } }
    errors { field code message }
  }
}"""


async def test_create_milestone_with_a_lagged_dependency_forecasts_from_it(
    graphql: GraphQL, office: Account, settings: Settings
) -> None:
    today = zone_today(settings.zone)
    project = await factories.project()
    late = await factories.milestone(project, today - dt.timedelta(days=5), title="施工许可")
    body = await graphql(
        CREATE,
        {
            "input": {
                "projectId": global_id("Project", project.id),
                "title": "开工",
                "plannedDate": today.isoformat(),
                "dependencies": [{"milestoneId": global_id("Milestone", late.id), "lagDays": 3}],
            }
        },
        account=office,
    )
    payload = body["data"]["createMilestone"]
    assert payload["errors"] == []
    milestone = payload["milestone"]
    assert milestone["baselineDate"] == milestone["plannedDate"] == today.isoformat()
    assert milestone["forecastDate"] == (today + dt.timedelta(days=3)).isoformat()
    assert milestone["dependsOn"] == [{"title": "施工许可"}]
    assert milestone["dependencies"] == [{"milestone": {"title": "施工许可"}, "lagDays": 3}]
    assert milestone["isOverdue"] is False
    assert await AuditEntry.exists(action="milestone.create")


async def test_create_milestone_bad_input_writes_nothing(
    graphql: GraphQL, office: Account, settings: Settings
) -> None:
    today = zone_today(settings.zone)
    project = await factories.project()
    other = await factories.project()
    foreign = await factories.milestone(other, today)
    own = await factories.milestone(project, today)
    phase = await Phase.create(
        project=project, name="开工", sequence=4, planned_start=today + dt.timedelta(days=10)
    )
    body = await graphql(
        CREATE,
        {
            "input": {
                "projectId": global_id("Project", project.id),
                "phaseId": global_id("Phase", phase.id),
                "title": "",
                "plannedDate": today.isoformat(),
                "dependsOnIds": [
                    global_id("Milestone", foreign.id),
                    global_id("Milestone", 99999),
                    global_id("Milestone", own.id),
                ],
                "dependencies": [{"milestoneId": global_id("Milestone", own.id), "lagDays": -2}],
            }
        },
        account=office,
    )
    errors = {(tuple(e["field"]), e["code"]) for e in body["data"]["createMilestone"]["errors"]}
    assert errors == {
        (("input", "title"), "INVALID"),
        (("input", "plannedDate"), "INVALID"),
        (("input", "dependsOnIds", "0"), "INVALID"),
        (("input", "dependsOnIds", "1"), "NOT_FOUND"),
        (("input", "dependencies", "0", "lagDays"), "INVALID"),
        (("input", "dependencies", "0", "milestoneId"), "INVALID"),
    }
    assert await Milestone.all().count() == 2
    unknown = await graphql(
        CREATE,
        {"input": {"projectId": "nope", "title": "x", "plannedDate": "2020-01-01"}},
        account=office,
    )
    assert unknown["data"]["createMilestone"]["errors"][0]["code"] == "NOT_FOUND"


DEPS = """mutation($input: SetMilestoneDependenciesInput!) {
  setMilestoneDependencies(input: $input) {
    milestone { dependsOn { title } } errors { field code message } } }"""


async def test_a_dependency_closing_a_cycle_is_refused(graphql: GraphQL, office: Account) -> None:
    project = await factories.project()
    a = await factories.milestone(project, dt.date(2020, 3, 1), title="A")
    b = await factories.milestone(project, dt.date(2020, 4, 1), title="B")
    c = await factories.milestone(project, dt.date(2020, 5, 1), title="C")
    await factories.link(a, b)
    await factories.link(b, c)
    body = await graphql(
        DEPS,
        {
            "input": {
                "milestoneId": global_id("Milestone", a.id),
                "dependencies": [{"milestoneId": global_id("Milestone", c.id)}],
            }
        },
        account=office,
    )
    errors = body["data"]["setMilestoneDependencies"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "dependencies", "0", "milestoneId"], "INVALID")
    ]
    assert "cycle" in errors[0]["message"]
    assert await MilestoneDependency.all().count() == 2
    ok = await graphql(
        DEPS,
        {
            "input": {
                "milestoneId": global_id("Milestone", c.id),
                "dependencies": [
                    {"milestoneId": global_id("Milestone", a.id), "lagDays": 2},
                    {"milestoneId": global_id("Milestone", b.id)},
                ],
            }
        },
        account=office,
    )
    payload = ok["data"]["setMilestoneDependencies"]
    assert payload["errors"] == []
    assert payload["milestone"]["dependsOn"] == [{"title": "A"}, {"title": "B"}]


REBASELINE = """mutation($input: RebaselineMilestoneInput!) {
  rebaselineMilestone(input: $input) {
    milestone { baselineDate plannedDate slipDays
                rebaselines { oldDate newDate reason actor { username } } }
    errors { field code } } }"""


async def test_rebaseline_moves_the_plan_and_keeps_history(
    graphql: GraphQL, office: Account
) -> None:
    project = await factories.project()
    m = await factories.milestone(project, dt.date(2020, 2, 20), title="开工")
    mid = global_id("Milestone", m.id)
    first = await graphql(
        REBASELINE,
        {"input": {"milestoneId": mid, "plannedDate": "2020-04-20", "reason": "疫情停工"}},
        account=office,
    )
    second = await graphql(
        REBASELINE,
        {"input": {"milestoneId": mid, "plannedDate": "2020-04-30", "reason": "复工延后"}},
        account=office,
    )
    assert first["data"]["rebaselineMilestone"]["errors"] == []
    milestone = second["data"]["rebaselineMilestone"]["milestone"]
    assert milestone["baselineDate"] == "2020-02-20"
    assert milestone["plannedDate"] == "2020-04-30"
    assert milestone["slipDays"] == 70
    assert milestone["rebaselines"] == [
        {
            "oldDate": "2020-02-20",
            "newDate": "2020-04-20",
            "reason": "疫情停工",
            "actor": {"username": "office"},
        },
        {
            "oldDate": "2020-04-20",
            "newDate": "2020-04-30",
            "reason": "复工延后",
            "actor": {"username": "office"},
        },
    ]
    bad = await graphql(
        REBASELINE,
        {"input": {"milestoneId": mid, "plannedDate": "2020-04-30", "reason": " "}},
        account=office,
    )
    assert {
        (tuple(e["field"]), e["code"]) for e in bad["data"]["rebaselineMilestone"]["errors"]
    } == {(("input", "reason"), "INVALID"), (("input", "plannedDate"), "INVALID")}
    assert await Rebaseline.all().count() == 2
    assert await AuditEntry.filter(action="milestone.rebaseline").count() == 2


COMPLETE = """mutation($input: CompleteMilestoneInput!) {
  completeMilestone(input: $input) {
    milestone { status actualDate isOverdue daysOverdue completionNote }
    errors { field code } } }"""


async def test_complete_milestone_by_the_site_manager_of_the_project(
    graphql: GraphQL, site_manager: Account, settings: Settings
) -> None:
    today = zone_today(settings.zone)
    mine = await factories.project()
    await mine.site_managers.add(site_manager.user)
    other = await factories.project()
    late = await factories.milestone(mine, today - dt.timedelta(days=9))
    foreign = await factories.milestone(other, today)
    done = await graphql(
        COMPLETE,
        {
            "input": {
                "milestoneId": global_id("Milestone", late.id),
                "actualDate": today.isoformat(),
                "note": "主体结构封顶",
            }
        },
        account=site_manager,
    )
    assert done["data"]["completeMilestone"] == {
        "milestone": {
            "status": "DONE",
            "actualDate": today.isoformat(),
            "isOverdue": False,
            "daysOverdue": 0,
            "completionNote": "主体结构封顶",
        },
        "errors": [],
    }
    again = await graphql(
        COMPLETE,
        {"input": {"milestoneId": global_id("Milestone", late.id), "actualDate": "2020-01-01"}},
        account=site_manager,
    )
    assert again["data"]["completeMilestone"]["errors"][0]["code"] == "INVALID_TRANSITION"
    hidden = await graphql(
        COMPLETE,
        {"input": {"milestoneId": global_id("Milestone", foreign.id), "actualDate": "2020-01-01"}},
        account=site_manager,
    )
    assert hidden["data"]["completeMilestone"]["errors"] == [
        {"field": ["input", "milestoneId"], "code": "NOT_FOUND"}
    ]
    future = await graphql(
        COMPLETE,
        {
            "input": {
                "milestoneId": global_id("Milestone", foreign.id),
                "actualDate": (today + dt.timedelta(days=1)).isoformat(),
            }
        },
        account=site_manager,
    )
    assert future["data"]["completeMilestone"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await Milestone.get(id=foreign.id)).status == "PENDING"


async def test_complete_milestone_refuses_a_future_date(
    graphql: GraphQL, office: Account, settings: Settings
) -> None:
    today = zone_today(settings.zone)
    m = await factories.milestone(await factories.project(), today)
    body = await graphql(
        COMPLETE,
        {
            "input": {
                "milestoneId": global_id("Milestone", m.id),
                "actualDate": (today + dt.timedelta(days=1)).isoformat(),
            }
        },
        account=office,
    )
    assert body["data"]["completeMilestone"]["errors"] == [
        {"field": ["input", "actualDate"], "code": "INVALID"}
    ]


PHASE = """mutation($input: SavePhaseInput!) { savePhase(input: $input) {
    phase { id name sequence plannedStart milestones { title } } errors { field code } } }"""


async def test_save_phase_builds_an_ordered_roadmap(graphql: GraphQL, office: Account) -> None:
    project = await factories.project()
    pid = global_id("Project", project.id)
    for name, sequence in (("开工", 4), ("立项", 1), ("施工许可", 3)):
        body = await graphql(
            PHASE, {"input": {"projectId": pid, "name": name, "sequence": sequence}}, account=office
        )
        assert body["data"]["savePhase"]["errors"] == []
    phase_id = body["data"]["savePhase"]["phase"]["id"]
    changed = await graphql(
        PHASE,
        {
            "input": {
                "phaseId": phase_id,
                "name": "施工许可证",
                "sequence": 2,
                "plannedStart": "2020-03-01",
            }
        },
        account=office,
    )
    assert changed["data"]["savePhase"]["phase"]["name"] == "施工许可证"
    roadmap = await graphql(
        "query($id: ID!) { node(id: $id) { ... on Project { roadmap { name sequence } } } }",
        {"id": pid},
        account=office,
    )
    assert roadmap["data"]["node"]["roadmap"] == [
        {"name": "立项", "sequence": 1},
        {"name": "施工许可证", "sequence": 2},
        {"name": "开工", "sequence": 4},
    ]
    bad = await graphql(
        PHASE,
        {
            "input": {
                "projectId": pid,
                "name": "",
                "sequence": 0,
                "plannedStart": "2020-03-01",
                "plannedFinish": "2020-02-01",
            }
        },
        account=office,
    )
    assert [e["field"][-1] for e in bad["data"]["savePhase"]["errors"]] == [
        "name",
        "sequence",
        "plannedFinish",
    ]
    assert await Phase.filter(project_id=project.id).count() == 3


async def test_milestones_list_filters_and_next_milestone(
    graphql: GraphQL, office: Account, settings: Settings
) -> None:
    today = zone_today(settings.zone)
    project = await factories.project()
    await factories.milestone(
        project, today - dt.timedelta(days=40), title="立项", done_on=today - dt.timedelta(days=41)
    )
    late = await factories.milestone(project, today - dt.timedelta(days=3), title="施工许可")
    start = await factories.milestone(project, today + dt.timedelta(days=1), title="开工")
    await factories.milestone(project, today + dt.timedelta(days=2), title="主体施工")
    await factories.link(late, start, 5)
    query = """query($id: ID!) { node(id: $id) { ... on Project {
        all: milestones { totalCount edges { node { title forecastDate } } }
        overdue: milestones(filter: {overdueOnly: true}) { edges { node { title daysOverdue } } }
        done: milestones(filter: {status: DONE}) { edges { node { title } } }
        nextMilestone { title }
        forecastFinish
    } } }"""
    body = await graphql(query, {"id": global_id("Project", project.id)}, account=office)
    node = body["data"]["node"]
    assert node["all"]["totalCount"] == 4
    forecasts = {e["node"]["title"]: e["node"]["forecastDate"] for e in node["all"]["edges"]}
    assert forecasts["开工"] == (today + dt.timedelta(days=5)).isoformat()
    assert node["overdue"]["edges"] == [{"node": {"title": "施工许可", "daysOverdue": 3}}]
    assert node["done"]["edges"] == [{"node": {"title": "立项"}}]
    assert node["nextMilestone"] == {"title": "施工许可"}
    assert node["forecastFinish"] == (today + dt.timedelta(days=5)).isoformat()


async def test_node_resolves_every_plan_type(
    graphql: GraphQL, office: Account, site_manager: Account
) -> None:
    programme = await factories.programme()
    project = await factories.project(programmes=(programme,))
    phase = await Phase.create(project=project, name="立项", sequence=1)
    milestone = await factories.milestone(project, dt.date(2020, 3, 1))
    sheet = await TaskSheet.create(project=project, year=2020, revision=1)
    item = await TaskItem.create(sheet=sheet, position=0, title="桩基完成")
    ids = [
        global_id("Programme", programme.id),
        global_id("Project", project.id),
        global_id("Phase", phase.id),
        global_id("Milestone", milestone.id),
        global_id("TaskSheet", sheet.id),
        global_id("TaskItem", item.id),
    ]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
    body = await graphql(query, {"ids": ids}, account=office)
    assert [n["__typename"] for n in body["data"]["nodes"]] == [
        "Programme",
        "Project",
        "Phase",
        "Milestone",
        "TaskSheet",
        "TaskItem",
    ]
    assert [n["id"] for n in body["data"]["nodes"]] == ids
    hidden = await graphql(query, {"ids": ids}, account=site_manager)
    assert [n and n["__typename"] for n in hidden["data"]["nodes"]] == [
        "Programme",
        None,
        None,
        None,
        None,
        None,
    ]


# --- hostile input: refused clearly, never INTERNAL ----------------------------------------


async def test_lags_and_lists_out_of_range_are_refused(graphql: GraphQL, office: Account) -> None:
    project = await factories.project("L-1")
    before = await factories.milestone(project, dt.date(2020, 1, 1), title="前")
    pid, mid = global_id("Project", project.id), global_id("Milestone", before.id)
    for lag in (MAX_LAG_DAYS + 1, 2**31 - 1, -1):
        body = await graphql(
            CREATE,
            {
                "input": {
                    "projectId": pid,
                    "title": "后",
                    "plannedDate": "2020-02-01",
                    "dependencies": [{"milestoneId": mid, "lagDays": lag}],
                }
            },
            account=office,
        )
        errors = body["data"]["createMilestone"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [
            (["input", "dependencies", "0", "lagDays"], "INVALID")
        ], lag
    many = await graphql(
        CREATE,
        {
            "input": {
                "projectId": pid,
                "title": "标" * 257,
                "plannedDate": "2020-02-01",
                "dependsOnIds": [mid] * 101,
            }
        },
        account=office,
    )
    assert {tuple(e["field"]) for e in many["data"]["createMilestone"]["errors"]} == {
        ("input", "title"),
        ("input", "dependencies"),
    }
    assert await Milestone.all().count() == 1


async def test_the_longest_lag_forecasts_without_overflow(
    graphql: GraphQL, office: Account
) -> None:
    project = await factories.project("L-2")
    last = await factories.milestone(project, dt.date(2999, 12, 31), title="末")
    body = await graphql(
        CREATE,
        {
            "input": {
                "projectId": global_id("Project", project.id),
                "title": "更末",
                "plannedDate": "2999-12-31",
                "dependencies": [
                    {"milestoneId": global_id("Milestone", last.id), "lagDays": MAX_LAG_DAYS}
                ],
            }
        },
        account=office,
    )
    created = body["data"]["createMilestone"]
    assert created["errors"] == []
    assert created["milestone"]["forecastDate"] == "3010-01-08"


def test_forecasts_stop_at_the_calendar_end_instead_of_overflowing() -> None:
    assert add_days(dt.date(9999, 12, 1), 3660) == dt.date.max
    assert add_days(dt.date(1, 1, 5), -30) == dt.date.min
    assert add_days(dt.date(2020, 1, 1), 31) == dt.date(2020, 2, 1)


async def test_phase_names_and_proof_photo_lists_are_bounded(
    graphql: GraphQL, office: Account, settings: Settings
) -> None:
    project = await factories.project("L-3")
    phase = await graphql(
        PHASE,
        {
            "input": {
                "projectId": global_id("Project", project.id),
                "name": "段" * 129,
                "sequence": 1,
            }
        },
        account=office,
    )
    assert phase["data"]["savePhase"]["errors"] == [{"field": ["input", "name"], "code": "INVALID"}]
    milestone = await factories.milestone(project, dt.date(2020, 1, 1))
    done = await graphql(
        COMPLETE,
        {
            "input": {
                "milestoneId": global_id("Milestone", milestone.id),
                "actualDate": zone_today(settings.zone).isoformat(),
                "photoIds": [global_id("Photo", 2**31)] * 101,
            }
        },
        account=office,
    )
    assert done["data"]["completeMilestone"]["errors"] == [
        {"field": ["input", "photoIds"], "code": "INVALID"}
    ]
    assert await Phase.all().count() == 0
