"""Milestones judged as of a date other than today: the nodes of `overdueMilestones`.

`Milestone.isOverdue` and `Milestone.daysOverdue` judge a milestone against today. A list
that judges its milestones as of another date (`overdueMilestones(filter: {asOf})`) hands
out its rows together with that date, and those two fields follow it — on the resolvers'
path (`judged_on`) and on the compiled one (`schema.compiled` binds the page's date). Other
milestones read through them (a node's `dependsOn`, its project's `nextMilestone`) are not
the list's and are judged against today.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, fields

from server.domain.rows.plans import MilestoneRow


@dataclass(frozen=True, slots=True)
class MilestoneAsOf(MilestoneRow):
    """A milestone row and the date its list judges it against.

    Built by the schema from a row (`judged`), never read from SQL: `as_of` is not a column.
    """

    as_of: dt.date

    @classmethod
    def judged(cls, row: MilestoneRow, as_of: dt.date) -> MilestoneAsOf:
        """`row` judged as of `as_of`."""
        return cls(*_row_values(row), as_of=as_of)


_row_values = operator.attrgetter(*(field.name for field in fields(MilestoneRow)))
"""A milestone row's values in column order, read in one C call (50 rows a page)."""


def judged_on(milestone: MilestoneRow, today: dt.date) -> dt.date:
    """The date `milestone`'s overdue fields are judged against: its list's date when it
    came from a list judged as of one, else `today`."""
    return milestone.as_of if isinstance(milestone, MilestoneAsOf) else today
