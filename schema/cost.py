"""Declared sizes of the schema's plain lists, for the worst-case cost of a query.

Connections are sized by their `first` argument and `nodes(ids:)` by its ids; every other
list field is counted as holding at most the number declared here (`Type.field`), or
`DEFAULT_LIST_BOUND` when it is not listed. The figures are generous ceilings of what the zone
holds (a project has a few site managers and a roadmap of a dozen phases), not hard limits:
a larger list is still answered, only counted at its declared size. A list narrowed by an
argument (the programmes of one year) counts with the smaller bound when the argument is given.
"""

from __future__ import annotations

DEFAULT_LIST_BOUND = 50

LIST_BOUNDS: dict[str, int] = {
    "Query.programmes": 60,
    "Query.overdueSummary": 500,
    "ProgrammeStats.projectExecution": 300,
    "ProgrammeStats.unitExecution": 60,
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
    "DailyReport.workforce": 12,
    "DailyReport.equipment": 50,
    "DailyReport.materialsReceived": 50,
    "DailyReport.materialsShort": 50,
    "DailyReport.photos": 50,
    # Groups of a labour series: one zone, a dozen towns, a few dozen units or programmes;
    # its points are its days (a quarter counted; a longer span is still answered).
    "Query.labourSeries": 20,
    "LabourSeries.points": 92,
    "LabourAlert.shortTrades": 12,
    # A page of `changes` holds at most `first` (100) objects; a project handed to the viewer
    # can add more, still answered.
    "ChangeSet.upserts": 100,
    "ChangeSet.tombstones": 100,
}

NARROWED_LIST_BOUNDS: dict[str, tuple[str, int]] = {
    # A year has about six programmes (1090, 1050, 1080, 765, provincial, municipal).
    "Query.programmes": ("year", 10),
}
"""Lists that a (non-null) argument narrows: `Type.field` -> (argument, bound with it)."""
