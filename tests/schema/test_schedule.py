"""Timetables through the API: milestones, forecasts, dependencies and their mutations."""

from __future__ import annotations

import datetime as dt

from schema.relay import global_id
from server.clock import zone_today
from server.models import AuditEntry
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
