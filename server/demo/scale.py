"""A zone-sized database for the benchmark: seeded-random programmes, projects and their history.

`python -m server seed-scale --projects 10000` builds, in memory, rows in the proportions of a
city-wide deployment (about 20 milestones, 5 tickets and 50 photo rows per project) and writes
them with one COPY per table on PostgreSQL, or one `executemany` per table on SQLite. Dates are
drawn around today, so a realistic share of milestones is overdue whenever it runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
from tortoise import connections
from tortoise.fields.base import Field
from tortoise.models import Model

from server.domain import models
from server.domain.accounts import hash_password
from server.domain.clock import utc_now, zone_today
from server.settings import Settings

TOWNS = (
    "金山桥街道",
    "东环街道",
    "大庙街道",
    "潘塘街道",
    "大黄山街道",
    "徐庄镇",
    "城东街道",
    "九里街道",
    "青山泉镇",
    "茅村镇",
    "柳泉镇",
    "高新街道",
)
UNITS = (
    "经开区建设局",
    "经开区重大项目办",
    "经开区城建公司",
    "经开区国资公司",
    "中建八局",
    "中铁十局",
    "徐工集团基建处",
    "江苏华建",
    "徐州市政",
    "国网徐州供电",
    "华润置地",
    "协鑫集成",
    "经开区教育局",
    "经开区卫健委",
    "经开区水务局",
    "金山桥街道办事处",
    "东环街道办事处",
    "大庙街道办事处",
)
OFFICIALS = ("张建国", "李卫东", "王志强", "刘海涛", "陈明", "杨帆", "赵立新", "孙晓东")
PROGRAMMES = (
    ("1090", "重大产业项目"),
    ("1050", "重点城建项目"),
    ("1080", "民生实事项目"),
    ("765", "计划项目"),
    ("PROV", "省重大项目"),
    ("CITY", "市重大项目"),
)
KINDS_OF_WORK = (
    "智能制造产业园",
    "新能源电池基地",
    "道路改造工程",
    "安置房",
    "污水处理厂扩建",
    "学校新建工程",
    "社区卫生服务中心",
    "物流园",
    "标准厂房",
    "综合管廊",
    "公园绿地",
    "变电站",
)
PHASES = ("前期手续", "基础施工", "主体施工", "装饰安装", "竣工验收")
MILESTONE_TITLES = (
    "立项批复",
    "用地规划许可",
    "施工许可",
    "场地平整",
    "桩基完成",
    "基础完成",
    "主体封顶",
    "幕墙完成",
    "设备进场",
    "设备安装",
    "管网接入",
    "室外工程",
    "消防验收",
    "竣工验收",
    "投产运营",
)
REBASELINE_REASONS = (
    "疫情影响复工推迟",
    "征地拆迁滞后",
    "设计变更",
    "材料供应不足",
    "雨季停工",
    "手续办理延迟",
)
TRADES = ("钢筋工", "木工", "瓦工", "电焊工", "架子工", "水电工", "普工")
MATERIALS = (
    ("螺纹钢", "HRB400 Φ16", "吨"),
    ("商品混凝土", "C30", "立方米"),
    ("水泥", "P.O 42.5", "吨"),
    ("砂石", "中砂", "吨"),
    ("电缆", "YJV-4×95", "米"),
    ("钢管", "Φ48×3.5", "吨"),
)
TICKET_PATHS: dict[models.TicketStatus, tuple[models.TicketStatus, ...]] = {
    models.TicketStatus.OPEN: (),
    models.TicketStatus.ACCEPTED: (models.TicketStatus.ACCEPTED,),
    models.TicketStatus.ASSIGNED: (models.TicketStatus.ACCEPTED, models.TicketStatus.ASSIGNED),
    models.TicketStatus.IN_PROGRESS: (
        models.TicketStatus.ACCEPTED,
        models.TicketStatus.ASSIGNED,
        models.TicketStatus.IN_PROGRESS,
    ),
    models.TicketStatus.RESOLVED: (
        models.TicketStatus.ACCEPTED,
        models.TicketStatus.ASSIGNED,
        models.TicketStatus.IN_PROGRESS,
        models.TicketStatus.RESOLVED,
    ),
    models.TicketStatus.CLOSED: (
        models.TicketStatus.ACCEPTED,
        models.TicketStatus.ASSIGNED,
        models.TicketStatus.IN_PROGRESS,
        models.TicketStatus.RESOLVED,
        models.TicketStatus.CLOSED,
    ),
    models.TicketStatus.REJECTED: (models.TicketStatus.REJECTED,),
}
EVENT_ACTIONS = {
    models.TicketStatus.ACCEPTED: "ACCEPT",
    models.TicketStatus.ASSIGNED: "ASSIGN",
    models.TicketStatus.IN_PROGRESS: "START",
    models.TicketStatus.RESOLVED: "RESOLVE",
    models.TicketStatus.CLOSED: "CONFIRM",
    models.TicketStatus.REJECTED: "REJECT",
}
# Weights of the ticket statuses: most tickets are finished, a fifth are still open.
TICKET_STATUS_WEIGHTS = (
    (models.TicketStatus.OPEN, 6),
    (models.TicketStatus.ACCEPTED, 4),
    (models.TicketStatus.ASSIGNED, 5),
    (models.TicketStatus.IN_PROGRESS, 5),
    (models.TicketStatus.RESOLVED, 10),
    (models.TicketStatus.CLOSED, 60),
    (models.TicketStatus.REJECTED, 10),
)
BUSY_SITE_MANAGER = "site_busy"
BUSY_PROJECT_COUNT = 20
SUPERVISOR = "supervisor_scale"
PROJECTS_PER_SITE_MANAGER = 3
ZONE_CENTRE = (34.2, 117.35)


@dataclass
class Table:
    """Rows for one table, as tuples in the order of `columns` (database column names)."""

    model: type[Model] | None
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class ScaleReport:
    """What a run of the generator wrote: rows per table."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        """All rows written."""
        return sum(self.counts.values())


def _table(model: type[Model], *columns: str) -> Table:
    return Table(model, model._meta.db_table, tuple(columns))


def _through(name: str, *columns: str) -> Table:
    return Table(None, name, tuple(columns))


class ScaleGenerator:
    """Builds the rows of a zone with `projects` projects, reproducibly from `seed`."""

    def __init__(self, projects: int, today: dt.date, password_hash: str, seed: int = 1) -> None:
        self.project_count = projects
        self.today = today
        self.password_hash = password_hash
        self.rng = random.Random(seed)
        self.now = utc_now()
        self.tables: dict[str, Table] = {}
        self.years = tuple(range(today.year - 5, today.year + 1))
        self.programme_ids: dict[tuple[str, int], int] = {}
        self.site_managers: list[int] = []
        self.coordinators: list[int] = []
        self.office: list[int] = []
        self.supervisors: list[int] = []
        self.overdue: list[tuple[int, int, dt.date]] = []
        self.managers_of: dict[int, list[int]] = {}

    def add(self, table: Table) -> Table:
        """Register a table; tables are written in the order they were added."""
        self.tables[table.name] = table
        return table

    def build(self) -> list[Table]:
        """Every table's rows, parents before children."""
        self._programmes()
        self._users()
        self._projects()
        self._plans()
        self._tickets()
        self._reviews()
        self._photos()
        return list(self.tables.values())

    def _instant(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        hour = self.rng.randint(8, 18) if hour is None else hour
        minute = self.rng.randint(0, 59)
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)

    def _programmes(self) -> None:
        table = self.add(_table(models.Programme, "id", "code", "name", "year"))
        for year in self.years:
            for code, name in PROGRAMMES:
                pk = len(table.rows) + 1
                table.rows.append((pk, code, f"{year}年{name}", year))
                self.programme_ids[(code, year)] = pk

    def _users(self) -> None:
        table = self.add(
            _table(
                models.User,
                "id",
                "username",
                "display_name",
                "role",
                "unit",
                "is_active",
                "password_hash",
                "created_at",
            )
        )
        created = self.now - dt.timedelta(days=5 * 365)

        def user(username: str, role: models.Role, display: str, unit: str) -> int:
            pk = len(table.rows) + 1
            row = (pk, username, display, role.value, unit, True, self.password_hash, created)
            table.rows.append(row)
            return pk

        for i in range(1, 11):
            self.office.append(user(f"office_{i:02d}", models.Role.OFFICE, f"项目办 {i}", UNITS[1]))
        self.supervisors.append(
            user(SUPERVISOR, models.Role.SUPERVISOR, "督查室 规模测试", "经开区督查室")
        )
        for i in range(1, 5):
            self.supervisors.append(
                user(f"supervisor_{i:02d}", models.Role.SUPERVISOR, f"督查室 {i}", "经开区督查室")
            )
        for i in range(1, 41):
            self.coordinators.append(
                user(
                    f"coordinator_{i:02d}", models.Role.COORDINATOR, f"服务专员 {i}", "企业服务中心"
                )
            )
        user(BUSY_SITE_MANAGER, models.Role.SITE_MANAGER, "现场负责人 多项目", UNITS[4])
        count = max(1, self.project_count // PROJECTS_PER_SITE_MANAGER)
        for i in range(1, count + 1):
            unit = UNITS[self.rng.randrange(len(UNITS))]
            self.site_managers.append(
                user(f"site_{i:05d}", models.Role.SITE_MANAGER, f"现场负责人 {i}", unit)
            )

    def _projects(self) -> None:
        rng = self.rng
        projects = self.add(
            _table(
                models.Project,
                "id",
                "code",
                "name",
                "responsible_unit",
                "lead_official",
                "town",
                "latitude",
                "longitude",
                "site_radius_meters",
                "total_investment",
                "status",
                "planned_start",
                "planned_finish",
                "created_at",
                "updated_at",
            )
        )
        programmes = self.add(_through("project_programme", "project_id", "programme_id"))
        managers = self.add(_through("project_site_manager", "project_id", "user_id"))
        busy_user = next(r[0] for r in self.tables["user"].rows if r[1] == BUSY_SITE_MANAGER)
        busy_count = min(BUSY_PROJECT_COUNT, self.project_count)
        busy = set(rng.sample(range(1, self.project_count + 1), busy_count))
        self.project_years: dict[int, int] = {}
        self.project_spans: dict[int, tuple[dt.date, dt.date, models.ProjectStatus]] = {}
        for pk in range(1, self.project_count + 1):
            year = rng.choice(self.years)
            start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 300))
            finish = start + dt.timedelta(days=rng.randint(300, 1100))
            if start > self.today:
                status = models.ProjectStatus.PLANNED
            elif finish < self.today - dt.timedelta(days=60) and rng.random() < 0.8:
                status = models.ProjectStatus.COMPLETED
            elif rng.random() < 0.04:
                status = models.ProjectStatus.SUSPENDED
            else:
                status = models.ProjectStatus.UNDER_CONSTRUCTION
            town = rng.choice(TOWNS)
            unit = rng.choice(UNITS)
            investment = Decimal(rng.randint(500_00, 500_000_00)) / 100
            created = self._instant(start - dt.timedelta(days=30))
            projects.rows.append(
                (
                    pk,
                    f"XZJK-{year}-{pk:05d}",
                    f"{town}{rng.choice(KINDS_OF_WORK)}（{pk}号）",
                    unit,
                    rng.choice(OFFICIALS),
                    town,
                    ZONE_CENTRE[0] + rng.uniform(-0.08, 0.08),
                    ZONE_CENTRE[1] + rng.uniform(-0.1, 0.1),
                    rng.choice((200, 300, 500, 800)),
                    investment,
                    status.value,
                    start,
                    finish,
                    created,
                    created,
                )
            )
            self.project_years[pk] = year
            self.project_spans[pk] = (start, finish, status)
            codes = [rng.choice(PROGRAMMES[:4])[0]]
            if rng.random() < 0.2:
                codes.append(rng.choice(PROGRAMMES[4:])[0])
            for code in codes:
                programmes.rows.append((pk, self.programme_ids[(code, year)]))
            owner = self.site_managers[(pk - 1) % len(self.site_managers)]
            self.managers_of[pk] = [owner]
            managers.rows.append((pk, owner))
            if pk in busy:
                self.managers_of[pk].append(busy_user)
                managers.rows.append((pk, busy_user))

    def _plans(self) -> None:
        rng = self.rng
        today = self.today
        sheets = self.add(
            _table(
                models.TaskSheet,
                "id",
                "project_id",
                "year",
                "revision",
                "scope",
                "annual_investment_target",
                "completed_investment",
                "approved_at",
                "created_at",
            )
        )
        items = self.add(
            _table(
                models.TaskItem,
                "id",
                "sheet_id",
                "position",
                "title",
                "responsible_unit",
                "responsible_person",
                "due_date",
                "done",
            )
        )
        phases = self.add(
            _table(
                models.Phase,
                "id",
                "project_id",
                "name",
                "sequence",
                "planned_start",
                "planned_finish",
            )
        )
        milestones = self.add(
            _table(
                models.Milestone,
                "id",
                "project_id",
                "phase_id",
                "title",
                "baseline_date",
                "planned_date",
                "actual_date",
                "status",
                "created_at",
            )
        )
        dependencies = self.add(
            _table(models.MilestoneDependency, "id", "predecessor_id", "successor_id", "lag_days")
        )
        rebaselines = self.add(
            _table(
                models.Rebaseline,
                "id",
                "milestone_id",
                "old_date",
                "new_date",
                "reason",
                "actor_id",
                "at",
            )
        )
        self.milestones_of: dict[int, list[int]] = {}
        for pk, (start, finish, status) in self.project_spans.items():
            span = max((finish - start).days, 60)
            year = self.project_years[pk]
            for revision in range(1, rng.choice((1, 1, 2, 3)) + 1):
                sheet_id = len(sheets.rows) + 1
                target = Decimal(rng.randint(100_00, 50_000_00)) / 100
                approved = self._instant(start - dt.timedelta(days=20 - revision))
                sheets.rows.append(
                    (
                        sheet_id,
                        pk,
                        year,
                        revision,
                        "建设内容：" + rng.choice(KINDS_OF_WORK),
                        target,
                        (target * Decimal(rng.randint(0, 100)) / 100).quantize(Decimal("0.01")),
                        approved,
                        approved,
                    )
                )
                for position in range(1, 6):
                    due = start + dt.timedelta(days=span * position // 6)
                    items.rows.append(
                        (
                            len(items.rows) + 1,
                            sheet_id,
                            position,
                            rng.choice(MILESTONE_TITLES),
                            rng.choice(UNITS),
                            rng.choice(OFFICIALS),
                            due,
                            due < today and rng.random() < 0.85,
                        )
                    )
            phase_ids = []
            for sequence, name in enumerate(PHASES, start=1):
                phase_id = len(phases.rows) + 1
                phase_ids.append(phase_id)
                phases.rows.append(
                    (
                        phase_id,
                        pk,
                        name,
                        sequence,
                        start + dt.timedelta(days=span * (sequence - 1) // len(PHASES)),
                        start + dt.timedelta(days=span * sequence // len(PHASES)),
                    )
                )
            count = rng.randint(16, 24)
            ids = []
            created = self._instant(start - dt.timedelta(days=10))
            for index in range(count):
                milestone_id = len(milestones.rows) + 1
                ids.append(milestone_id)
                baseline = start + dt.timedelta(days=span * (index + 1) // (count + 1))
                planned = baseline
                for _ in range(rng.choice((0, 0, 0, 0, 0, 1, 1, 2))):
                    new = planned + dt.timedelta(days=rng.randint(-10, 60))
                    moved_at = self._instant(min(planned, today) - dt.timedelta(days=15))
                    rebaselines.rows.append(
                        (
                            len(rebaselines.rows) + 1,
                            milestone_id,
                            planned,
                            new,
                            rng.choice(REBASELINE_REASONS),
                            rng.choice(self.office),
                            moved_at,
                        )
                    )
                    planned = new
                done = status == models.ProjectStatus.COMPLETED or (
                    planned < today and rng.random() < 0.9
                )
                actual = None
                if not done and planned < today:
                    self.overdue.append((milestone_id, pk, planned))
                if done:
                    actual = min(planned + dt.timedelta(days=rng.randint(-5, 12)), today)
                milestones.rows.append(
                    (
                        milestone_id,
                        pk,
                        phase_ids[index * len(PHASES) // count],
                        MILESTONE_TITLES[index % len(MILESTONE_TITLES)],
                        baseline,
                        planned,
                        actual,
                        (
                            models.MilestoneStatus.DONE if done else models.MilestoneStatus.PENDING
                        ).value,
                        created,
                    )
                )
                if index and rng.random() < 0.8:
                    dependencies.rows.append(
                        (
                            len(dependencies.rows) + 1,
                            ids[index - 1],
                            milestone_id,
                            rng.randint(0, 7),
                        )
                    )
                if index >= 3 and rng.random() < 0.1:
                    dependencies.rows.append(
                        (len(dependencies.rows) + 1, ids[index - 3], milestone_id, 0)
                    )
            self.milestones_of[pk] = ids

    def _tickets(self) -> None:
        rng = self.rng
        tickets = self.add(
            _table(
                models.ShortageTicket,
                "id",
                "number",
                "project_id",
                "kind",
                "title",
                "description",
                "severity",
                "trade",
                "headcount",
                "material",
                "specification",
                "quantity",
                "unit",
                "needed_by",
                "blocking_milestone_id",
                "status",
                "reporter_id",
                "assignee_id",
                "created_at",
                "updated_at",
                "resolved_at",
                "closed_at",
                "satisfaction",
            )
        )
        events = self.add(
            _table(
                models.TicketEvent,
                "id",
                "ticket_id",
                "at",
                "actor_id",
                "action",
                "from_status",
                "to_status",
                "note",
            )
        )
        statuses = [status for status, _ in TICKET_STATUS_WEIGHTS]
        weights = [weight for _, weight in TICKET_STATUS_WEIGHTS]
        severities = list(models.Severity)
        numbers: dict[tuple[str, int], int] = {}
        for pk, (start, _, project_status) in self.project_spans.items():
            if project_status == models.ProjectStatus.PLANNED:
                count = rng.randint(0, 2)
            else:
                count = rng.randint(2, 8)
            for _ in range(count):
                ticket_id = len(tickets.rows) + 1
                status = rng.choices(statuses, weights)[0]
                kind = rng.choice((models.ShortageKind.LABOUR, models.ShortageKind.MATERIAL))
                latest = max(start, min(self.today, start + dt.timedelta(days=400)))
                filed_on = start + dt.timedelta(days=rng.randint(0, (latest - start).days))
                created = self._instant(filed_on)
                prefix = "LAB" if kind == models.ShortageKind.LABOUR else "MAT"
                sequence = numbers[(prefix, filed_on.year)] = (
                    numbers.get((prefix, filed_on.year), 0) + 1
                )
                reporter = rng.choice(self.managers_of[pk])
                path = TICKET_PATHS[status]
                assignee = (
                    rng.choice(self.coordinators) if models.TicketStatus.ASSIGNED in path else None
                )
                at = created
                actor = reporter
                events.rows.append(
                    (0, ticket_id, at, actor, "CREATE", None, models.TicketStatus.OPEN.value, None)
                )
                previous = models.TicketStatus.OPEN
                resolved_at = closed_at = None
                for step in path:
                    at = at + dt.timedelta(hours=rng.randint(2, 96))
                    if step in (models.TicketStatus.IN_PROGRESS, models.TicketStatus.RESOLVED):
                        actor = assignee or rng.choice(self.office)
                    elif step == models.TicketStatus.CLOSED:
                        actor = reporter
                    else:
                        actor = rng.choice(self.office)
                    if step == models.TicketStatus.RESOLVED:
                        resolved_at = at
                    if step == models.TicketStatus.CLOSED:
                        closed_at = at
                    note = "已协调解决" if step == models.TicketStatus.RESOLVED else None
                    events.rows.append(
                        (
                            0,
                            ticket_id,
                            at,
                            actor,
                            EVENT_ACTIONS[step],
                            previous.value,
                            step.value,
                            note,
                        )
                    )
                    previous = step
                milestone_ids = self.milestones_of[pk]
                blocking = rng.choice(milestone_ids) if rng.random() < 0.3 else None
                if kind == models.ShortageKind.LABOUR:
                    trade, headcount = rng.choice(TRADES), rng.randint(5, 80)
                    material = specification = quantity = unit = None
                    title = f"缺{trade}{headcount}人"
                else:
                    trade = headcount = None
                    material, specification, unit = rng.choice(MATERIALS)
                    quantity = Decimal(rng.randint(1_000, 2_000_000)) / 1000
                    title = f"缺{material}{quantity}{unit}"
                tickets.rows.append(
                    (
                        ticket_id,
                        f"{prefix}-{filed_on.year}-{sequence:05d}",
                        pk,
                        kind.value,
                        title,
                        "现场急需，影响施工进度。",
                        rng.choices(severities, (30, 40, 20, 10))[0].value,
                        trade,
                        headcount,
                        material,
                        specification,
                        quantity,
                        unit,
                        filed_on + dt.timedelta(days=rng.randint(3, 30)),
                        blocking,
                        status.value,
                        reporter,
                        assignee,
                        created,
                        at,
                        resolved_at,
                        closed_at,
                        rng.randint(3, 5) if status == models.TicketStatus.CLOSED else None,
                    )
                )
        events.rows = [(i, *row[1:]) for i, row in enumerate(events.rows, start=1)]

    def _reviews(self) -> None:
        """Supervision instructions on about a third of the overdue milestones, half answered."""
        rng = self.rng
        reviews = self.add(
            _table(
                models.SupervisionReview,
                "id",
                "milestone_id",
                "project_id",
                "reviewer_id",
                "instruction",
                "respond_by",
                "created_at",
                "response",
                "responded_at",
                "responded_by_id",
            )
        )
        for milestone_id, project_id, planned in self.overdue:
            if rng.random() >= 0.35:
                continue
            issued = planned + dt.timedelta(
                days=rng.randint(1, max((self.today - planned).days, 1))
            )
            issued = min(issued, self.today)
            created = self._instant(issued)
            answered = rng.random() < 0.5
            reviews.rows.append(
                (
                    len(reviews.rows) + 1,
                    milestone_id,
                    project_id,
                    rng.choice(self.supervisors),
                    "请说明滞后原因并制定赶工计划。",
                    issued + dt.timedelta(days=7),
                    created,
                    "已增加班组，计划两周内完成。" if answered else None,
                    created + dt.timedelta(days=rng.randint(1, 6)) if answered else None,
                    self.managers_of[project_id][0] if answered else None,
                )
            )

    def _photos(self) -> None:
        """About 50 photo rows per started project (rows only: no files are written)."""
        rng = self.rng
        photos = self.add(
            _table(
                models.Photo,
                "id",
                "project_id",
                "milestone_id",
                "ticket_id",
                "uploaded_by_id",
                "caption",
                "taken_at",
                "uploaded_at",
                "latitude",
                "longitude",
                "on_site",
                "width",
                "height",
                "content_type",
                "byte_size",
                "sha256",
            )
        )
        for pk, (start, _, status) in self.project_spans.items():
            if status == models.ProjectStatus.PLANNED:
                continue
            latest = min(self.today, start + dt.timedelta(days=900))
            days = max((latest - start).days, 0)
            milestone_ids = self.milestones_of[pk]
            uploader = self.managers_of[pk][0]
            for _ in range(rng.randint(40, 70)):
                taken = self._instant(start + dt.timedelta(days=rng.randint(0, days)))
                digest = hashlib.sha256(f"{pk}-{len(photos.rows)}".encode()).hexdigest()
                photos.rows.append(
                    (
                        len(photos.rows) + 1,
                        pk,
                        rng.choice(milestone_ids) if rng.random() < 0.4 else None,
                        None,
                        uploader,
                        "现场施工照片",
                        taken,
                        taken + dt.timedelta(minutes=rng.randint(1, 600)),
                        ZONE_CENTRE[0] + rng.uniform(-0.08, 0.08),
                        ZONE_CENTRE[1] + rng.uniform(-0.1, 0.1),
                        rng.random() < 0.9,
                        4032,
                        3024,
                        "image/jpeg",
                        rng.randint(1_500_000, 6_000_000),
                        digest,
                    )
                )


def _field_default(model_field: Field, now: dt.datetime) -> Any:
    """The value the ORM would give a column the generator does not set."""
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return now
    default = model_field.default
    if callable(default):
        return default()
    if default is not None:
        return getattr(default, "value", default)
    if model_field.null:
        return None
    raise ValueError(f"the scale generator gives no value for required column {model_field}")


def complete_rows(table: Table, now: dt.datetime) -> Table:
    """The table with every column of its model: unset columns get the ORM's defaults."""
    if table.model is None:
        return table
    meta = table.model._meta
    missing = [
        (name, column)
        for name, column in meta.fields_db_projection.items()
        if column not in table.columns
    ]
    if not missing:
        return table
    extra = tuple(_field_default(meta.fields_map[name], now) for name, _ in missing)
    columns = table.columns + tuple(column for _, column in missing)
    return Table(table.model, table.name, columns, [row + extra for row in table.rows])


# Tables this big are loaded without their secondary indexes, which are built afterwards.
BULK_ROWS = 50_000

_SECONDARY_INDEXES = """
SELECT pg_get_indexdef(x.indexrelid) AS definition, i.relname AS name
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = $1::regclass AND NOT x.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
"""
_UNIQUE_CONSTRAINTS = """
SELECT conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'u'
"""


async def _copy_without_indexes(connection: Any, table: Table) -> None:
    """COPY into a big table with its secondary indexes dropped, then build them in bulk."""
    quoted = f'"{table.name}"'
    indexes = await connection.fetch(_SECONDARY_INDEXES, quoted)
    uniques = await connection.fetch(_UNIQUE_CONSTRAINTS, quoted)
    for index in indexes:
        await connection.execute(f'DROP INDEX "{index["name"]}"')
    for unique in uniques:
        await connection.execute(f'ALTER TABLE {quoted} DROP CONSTRAINT "{unique["name"]}"')
    await connection.copy_records_to_table(
        table.name, records=table.rows, columns=list(table.columns)
    )
    for index in indexes:
        await connection.execute(index["definition"])
    for unique in uniques:
        await connection.execute(
            f'ALTER TABLE {quoted} ADD CONSTRAINT "{unique["name"]}" {unique["definition"]}'
        )


async def _write_postgres(client: Any, tables: Sequence[Table]) -> None:
    async with client.acquire_connection() as connection:
        await connection.execute("SET maintenance_work_mem = '256MB'")
        # The generated rows reference only rows generated before them: skip the foreign key
        # triggers, row by row the slowest part of the load (only a superuser may).
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await connection.execute("SET session_replication_role = replica")
        try:
            await _copy_all(connection, tables)
        finally:
            await connection.execute("RESET session_replication_role")
            await connection.execute("RESET maintenance_work_mem")
        await connection.execute("ANALYZE")


async def _copy_all(connection: Any, tables: Sequence[Table]) -> None:
    """COPY every table and move the id sequences past the ids written, in one transaction."""
    async with connection.transaction():
        for table in tables:
            if len(table.rows) >= BULK_ROWS:
                await _copy_without_indexes(connection, table)
            elif table.rows:
                await connection.copy_records_to_table(
                    table.name, records=table.rows, columns=list(table.columns)
                )
        for table in tables:
            if "id" in table.columns:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f'(SELECT COALESCE(MAX(id), 1) FROM "{table.name}"))'
                )


async def _write_sqlite(client: Any, tables: Sequence[Table]) -> None:
    async with client.acquire_connection() as connection:
        await connection.execute("BEGIN")
        try:
            for table in tables:
                if not table.rows:
                    continue
                columns = ", ".join(f'"{c}"' for c in table.columns)
                marks = ", ".join("?" for _ in table.columns)
                await connection.executemany(
                    f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})',
                    [_sqlite_row(row) for row in table.rows],
                )
        except Exception:
            await connection.rollback()
            raise
        await connection.commit()
        await connection.execute("ANALYZE")


def _sqlite_row(row: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(str(v) if isinstance(v, Decimal) else v for v in row)


async def seed_scale(settings: Settings, projects: int, seed: int = 1) -> ScaleReport:
    """Fill the (empty, migrated, ORM-initialised) database with a zone of `projects` projects."""
    if await models.Project.exists() or await models.User.exists():
        raise ValueError("seed-scale needs an empty database: it already has users or projects")
    generator = ScaleGenerator(
        projects, zone_today(settings.zone), hash_password(settings.demo_password), seed
    )
    tables = [complete_rows(table, generator.now) for table in generator.build()]
    client = connections.get("default")
    if settings.database_url.startswith("sqlite://"):
        await _write_sqlite(client, tables)
    else:
        await _write_postgres(client, tables)
    return ScaleReport({table.name: len(table.rows) for table in tables})
