"""Declared sizes of the schema's plain lists, for the worst-case cost of a query.

Connections are sized by their `first` argument and `nodes(ids:)` by its ids; every other
list field is counted as holding at most the number declared here (`Type.field`), or
`DEFAULT_LIST_BOUND` when it is not listed. The figures are generous ceilings of what the zone
holds (a project has a few site managers and a roadmap of a dozen phases), not hard limits:
a larger list is still answered, only counted at its declared size.
"""

from __future__ import annotations

DEFAULT_LIST_BOUND = 50

LIST_BOUNDS: dict[str, int] = {
    "Query.programmes": 20,
    "Query.overdueSummary": 200,
    "ProgrammeStats.projectExecution": 200,
    "ProgrammeStats.unitExecution": 50,
    "ProgrammeStats.healthCounts": 5,
    "Project.siteManagers": 10,
    "Project.roadmap": 30,
    "Phase.milestones": 50,
    "TaskSheet.items": 50,
    "TaskSheet.revisions": 20,
    "Milestone.dependsOn": 10,
    "Milestone.dependencies": 10,
    "Milestone.rebaselines": 20,
    "Milestone.reviews": 20,
    "ShortageTicket.events": 30,
}
