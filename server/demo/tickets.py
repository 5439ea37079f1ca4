"""Demo shortage tickets: every status, both kinds, some overdue, some with the coordinator.

Tickets are filed and moved through the workflow with the domain functions, so their history,
notifications and audit entries are what real use would leave. Open HIGH and CRITICAL tickets
go only to projects that are already ORANGE or RED, so the demo board keeps every colour.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field

from tortoise.transactions import in_transaction

from server.domain.clock import zone_today
from server.domain.health import Cutoffs, Health, health_of
from server.domain.models import Project, Severity, ShortageKind, ShortageTicket, User
from server.domain.tickets import TicketAction, TicketDraft, TransitionRequest, create_ticket
from server.domain.tickets import transition_ticket as take_step
from server.settings import Settings

A = TicketAction


@dataclass(frozen=True)
class DemoTicket:
    """One demo ticket: where, what, and the steps it has been through."""

    project: str  # a project code, or "RED" / "ORANGE+" for the first project of that colour
    kind: ShortageKind
    title: str
    severity: Severity
    needed_in_days: int | None
    details: dict[str, object]
    steps: tuple[TicketAction, ...] = field(default=())


def _labour(trade: str, headcount: int) -> dict[str, object]:
    return {"trade": trade, "headcount": headcount}


def _material(material: str, specification: str, quantity: str, unit: str) -> dict[str, object]:
    return {
        "material": material,
        "specification": specification,
        "quantity": decimal.Decimal(quantity),
        "unit": unit,
    }


L, M = ShortageKind.LABOUR, ShortageKind.MATERIAL
DEMO_TICKETS = (
    DemoTicket(
        "JK-1090-001", L, "复工后钢筋工缺口 30 人", Severity.MEDIUM, -5, _labour("钢筋工", 30)
    ),
    DemoTicket(
        "JK-1090-002",
        M,
        "商品混凝土搅拌站未复产",
        Severity.LOW,
        10,
        _material("商品混凝土", "C35", "800", "m³"),
        (A.ACCEPT,),
    ),
    DemoTicket(
        "JK-1090-003",
        L,
        "洁净室电工返岗不足",
        Severity.MEDIUM,
        -3,
        _labour("电工", 12),
        (A.ACCEPT, A.ASSIGN),
    ),
    DemoTicket(
        "JK-1090-004",
        M,
        "螺纹钢到货延误",
        Severity.MEDIUM,
        7,
        _material("螺纹钢", "HRB400 Φ25", "120", "t"),
        (A.ASSIGN, A.START),
    ),
    DemoTicket(
        "JK-1050-001",
        L,
        "模板木工短缺",
        Severity.HIGH,
        -20,
        _labour("木工", 15),
        (A.ACCEPT, A.ASSIGN, A.START, A.RESOLVE),
    ),
    DemoTicket(
        "JK-1050-002",
        M,
        "防水卷材供应中断",
        Severity.HIGH,
        -40,
        _material("SBS 改性沥青防水卷材", "3 mm", "2000", "m²"),
        (A.ACCEPT, A.ASSIGN, A.START, A.RESOLVE, A.CONFIRM),
    ),
    DemoTicket(
        "JK-1080-001",
        L,
        "普工临时用工申请",
        Severity.LOW,
        None,
        _labour("普工", 40),
        (A.REJECT,),
    ),
    DemoTicket(
        "JK-1080-002",
        M,
        "预制管桩运输受阻",
        Severity.MEDIUM,
        -2,
        _material("PHC 预应力管桩", "PHC 500 AB 125", "360", "根"),
        (A.ASSIGN, A.START, A.RESOLVE, A.REOPEN),
    ),
    DemoTicket(
        "RED",
        M,
        "钢结构构件断供，吊装停滞",
        Severity.CRITICAL,
        -12,
        _material("H 型钢", "Q355B HN600×200", "85", "t"),
        (A.ACCEPT, A.ASSIGN, A.START),
    ),
    DemoTicket(
        "ORANGE+",
        L,
        "幕墙安装工人未返岗",
        Severity.HIGH,
        3,
        _labour("幕墙安装工", 18),
        (A.ASSIGN,),
    ),
)
NOTES = {
    A.RESOLVE: "已协调劳务公司和供应商，按需求到位。",
    A.REOPEN: "现场核实仍未到位，请继续跟进。",
    A.REJECT: "属企业自行招工范围，请通过人社局用工平台发布。",
    A.ASSIGN: "请服务专员对接并每日反馈。",
}


async def _projects_by_colour(settings: Settings, today: dt.date) -> dict[str, Project]:
    """The projects by code, plus the first RED and the first ORANGE-or-RED project."""
    projects = {p.code: p for p in await Project.all().order_by("code")}
    colours = await health_of([p.id for p in projects.values()], Cutoffs.of(today, settings))
    by_name = dict(projects)
    for project in projects.values():
        colour = colours.get(project.id)
        if colour == Health.RED:
            by_name.setdefault("RED", project)
        if colour in (Health.RED, Health.ORANGE):
            by_name.setdefault("ORANGE+", project)
    return by_name


async def seed_tickets(settings: Settings) -> list[str]:
    """Create the demo tickets unless there are tickets already; return their numbers."""
    if await ShortageTicket.exists():
        return []
    office = await User.get_or_none(username="office")
    coordinator = await User.get_or_none(username="coordinator")
    if office is None or coordinator is None:
        return []
    today = zone_today(settings.zone)
    projects = await _projects_by_colour(settings, today)
    created = []
    for spec in DEMO_TICKETS:
        project = projects.get(spec.project)
        if project is None:
            continue
        managers = await project.site_managers.all().order_by("id")
        reporter = managers[0] if managers else office
        needed_by = (
            today + dt.timedelta(days=spec.needed_in_days)
            if spec.needed_in_days is not None
            else None
        )
        async with in_transaction():
            draft = TicketDraft(
                project.id,
                spec.kind,
                spec.title,
                severity=spec.severity,
                needed_by=needed_by,
                **spec.details,  # type: ignore[arg-type]
            )
            ticket = await create_ticket(reporter, draft, today=today)
            for action in spec.steps:
                actor = {
                    A.START: coordinator,
                    A.RESOLVE: coordinator,
                    A.CONFIRM: reporter,
                    A.REOPEN: reporter,
                }.get(action, office)
                await take_step(
                    actor,
                    TransitionRequest(
                        ticket.id,
                        action,
                        assignee_id=coordinator.id if action == A.ASSIGN else None,
                        note=NOTES.get(action),
                        satisfaction=5 if action == A.CONFIRM else None,
                    ),
                )
        created.append(ticket.number)
    return created
