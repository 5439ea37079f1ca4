"""Demo daily site reports (施工日报): a month of them, ending yesterday, for every project under
construction, telling a re-start after a stop like February 2020's.

Each site resumes on its own day (a few had no workers on site for the first days of the month)
and its on-site rate (到岗率) climbs from a quarter or a third of the need towards nine in ten as
workers come back. A few projects lag: their short trades stay well below the need and their
last reports are under 70 %. One of them already has an open LABOUR ticket for the trade it
lacks (the demo tickets'), the others have none, so the office sees both a followed-up
shortage and labour alerts. Weather is the zone's, one draw per day, and bad weather thins the
sites. Everything is drawn from random sources seeded by the project code and the first day,
so a database seeded on the same day gets the same reports.

These are seed data, not user input: they are written in bulk through the ORM, not filed
through the domain (no audit or idempotency rows).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from server.domain.clock import zone_today
from server.domain.models import (
    DailyReport,
    DailyReportTrade,
    Photo,
    Project,
    ProjectStatus,
    Trade,
    User,
    Weather,
)
from server.domain.models.daily_reports import TRADE_LABELS
from server.settings import Settings

DAYS = 30
"""Days of reports, ending yesterday."""
LAGGING: dict[str, tuple[Trade, ...]] = {
    "JK-1090-001": (Trade.REBAR, Trade.FORMWORK),  # its open ticket: 复工后钢筋工缺口 30 人
    "JK-1090-002": (Trade.CONCRETE, Trade.FORMWORK),
    "JK-1080-002": (Trade.MASONRY, Trade.PLUMBING),
}
"""Projects whose workers come back slowly, with the trades they lack most."""
SHORT_MATERIALS: dict[str, tuple[str, str, str, int, int]] = {
    "JK-1090-002": ("商品混凝土", "C35", "m³", 200, 600),  # its ticket: 搅拌站未复产
    "JK-1090-004": ("螺纹钢", "HRB400 Φ25", "t", 40, 120),  # its ticket: 螺纹钢到货延误
    "JK-1080-002": ("PHC 预应力管桩", "PHC 500 AB 125", "根", 60, 200),  # 管桩运输受阻
}
"""Materials some projects keep reporting short, as their demo tickets say."""
SILENT_YESTERDAY = "JK-1080-003"
"""A project that has not reported yesterday yet: the office has someone to chase."""

# What a day's work of one trade looks like: the text, and the quantity one worker does.
WORK: dict[Trade, tuple[str, float]] = {
    Trade.REBAR: ("{place}钢筋制作绑扎{n}吨", 0.4),
    Trade.FORMWORK: ("{place}模板支设{n}m²", 12),
    Trade.CONCRETE: ("{place}浇筑C35商品混凝土{n}m³", 8),
    Trade.MASONRY: ("{place}加气混凝土砌块墙砌筑{n}m³", 1.5),
    Trade.STEEL_STRUCTURE: ("{place}钢柱、钢梁吊装{n}吨", 0.8),
    Trade.ELECTRICAL: ("{place}电缆桥架及配管敷设{n}米", 15),
    Trade.PLUMBING: ("{place}给排水管道安装{n}米", 12),
    Trade.HVAC: ("{place}风管及支吊架安装{n}米", 8),
    Trade.FINISHING: ("{place}墙面抹灰、腻子{n}m²", 20),
    Trade.MACHINERY: ("{place}土方开挖及外运{n}m³", 60),
    Trade.GENERAL_LABOUR: ("场地清理、材料倒运及临时设施修整", 0),
}


@dataclass(frozen=True)
class Crew:
    """A kind of site: the trades it counts and their usual need, machines, materials, places."""

    keywords: tuple[str, ...]
    trades: tuple[tuple[Trade, int], ...]
    equipment: tuple[tuple[str, int], ...]
    materials: tuple[tuple[str, str, str, int, int], ...]  # material, spec, unit, least, most
    places: tuple[str, ...]
    work: dict[Trade, tuple[str, float]] = field(default_factory=dict)


CREWS = (
    Crew(
        ("快速化", "道路", "路"),
        (
            (Trade.MACHINERY, 18),
            (Trade.CONCRETE, 16),
            (Trade.REBAR, 14),
            (Trade.STEEL_STRUCTURE, 10),
            (Trade.ELECTRICAL, 6),
            (Trade.GENERAL_LABOUR, 30),
        ),
        (("挖掘机", 4), ("压路机", 2), ("摊铺机", 1), ("汽车吊", 2), ("旋挖钻机", 2)),
        (
            ("水泥稳定碎石", "5% 水泥剂量", "t", 300, 900),
            ("沥青混凝土", "AC-20C", "t", 200, 600),
            ("螺纹钢", "HRB400 Φ25", "t", 20, 60),
            ("商品混凝土", "C40", "m³", 120, 400),
        ),
        ("K1+200～K1+560段", "高架段P12～P15墩", "K2+050～K2+400段", "徐海路与大庙路交叉口"),
        {
            Trade.MACHINERY: ("{place}水泥稳定碎石基层摊铺碾压{n}m²", 150),
            Trade.STEEL_STRUCTURE: ("{place}钢箱梁节段吊装{n}吨", 2.5),
        },
    ),
    Crew(
        ("雨污", "管网", "污水"),
        (
            (Trade.MACHINERY, 12),
            (Trade.PLUMBING, 20),
            (Trade.MASONRY, 12),
            (Trade.CONCRETE, 8),
            (Trade.GENERAL_LABOUR, 26),
        ),
        (("挖掘机", 5), ("汽车吊", 2), ("拉森钢板桩机", 1), ("抽水泵", 6)),
        (
            ("钢筋混凝土排水管", "DN800 Ⅱ级", "米", 60, 200),
            ("HDPE 双壁波纹管", "DN500", "米", 80, 300),
            ("商品混凝土", "C30", "m³", 40, 120),
            ("中砂", "细度模数 2.5", "t", 60, 200),
        ),
        ("金山桥路西段", "工业一路", "桃山路北段", "高新路与金山桥路路口"),
        {
            Trade.PLUMBING: ("{place}DN800污水管道安装{n}米", 3),
            Trade.MASONRY: ("{place}检查井砌筑{n}座", 0.15),
        },
    ),
    Crew(
        ("管廊",),
        (
            (Trade.REBAR, 28),
            (Trade.FORMWORK, 24),
            (Trade.CONCRETE, 14),
            (Trade.MACHINERY, 10),
            (Trade.ELECTRICAL, 6),
            (Trade.GENERAL_LABOUR, 22),
        ),
        (("挖掘机", 3), ("汽车吊", 2), ("混凝土泵车", 1), ("SMW 工法桩机", 1)),
        (
            ("螺纹钢", "HRB400 Φ22", "t", 30, 90),
            ("商品混凝土", "C35 P8", "m³", 150, 450),
            ("SBS 改性沥青防水卷材", "4 mm", "m²", 800, 2400),
        ),
        ("管廊第6节段", "管廊第7节段", "管廊第8节段", "2#投料口"),
    ),
    Crew(
        ("晶圆", "集成电路", "洁净"),
        (
            (Trade.ELECTRICAL, 45),
            (Trade.HVAC, 35),
            (Trade.PLUMBING, 25),
            (Trade.STEEL_STRUCTURE, 20),
            (Trade.FINISHING, 30),
            (Trade.GENERAL_LABOUR, 20),
        ),
        (("施工升降机", 4), ("汽车吊", 2), ("剪叉式升降平台", 12), ("叉车", 3)),
        (
            ("低烟无卤电缆", "WDZ-YJY-4×185+1×95", "米", 600, 2000),
            ("不锈钢风管", "SUS304 δ1.0", "m²", 300, 900),
            ("洁净室壁板", "50 mm 岩棉夹芯", "m²", 400, 1200),
        ),
        ("FAB 主厂房二层", "FAB 主厂房三层", "CUB 动力站", "支持区"),
    ),
    Crew(
        ("医院", "住院部", "学校"),
        (
            (Trade.REBAR, 24),
            (Trade.FORMWORK, 22),
            (Trade.CONCRETE, 12),
            (Trade.MASONRY, 20),
            (Trade.ELECTRICAL, 12),
            (Trade.PLUMBING, 10),
            (Trade.HVAC, 8),
            (Trade.GENERAL_LABOUR, 16),
        ),
        (("塔吊", 2), ("施工升降机", 2), ("混凝土泵车", 1), ("汽车吊", 1)),
        (
            ("螺纹钢", "HRB400 Φ20", "t", 20, 60),
            ("商品混凝土", "C30", "m³", 80, 260),
            ("加气混凝土砌块", "A3.5 B06", "m³", 60, 180),
            ("PPR 给水管", "De32", "米", 200, 800),
        ),
        ("住院部主楼七层", "住院部主楼八层", "裙楼三层", "地下车库"),
    ),
    Crew(
        ("小区改造", "农贸", "改造"),
        (
            (Trade.FINISHING, 18),
            (Trade.MASONRY, 10),
            (Trade.PLUMBING, 8),
            (Trade.ELECTRICAL, 8),
            (Trade.STEEL_STRUCTURE, 6),
            (Trade.GENERAL_LABOUR, 14),
        ),
        (("小型挖掘机", 1), ("吊篮", 6), ("随车吊", 1)),
        (
            ("外墙真石漆", "水包砂", "kg", 800, 2400),
            ("挤塑聚苯板", "XPS 50 mm", "m²", 300, 900),
            ("镀锌钢管", "DN100", "米", 100, 400),
        ),
        ("3号楼外立面", "5号楼外立面", "小区雨污管网", "南区道路"),
    ),
    Crew(
        (),
        (
            (Trade.STEEL_STRUCTURE, 36),
            (Trade.REBAR, 30),
            (Trade.FORMWORK, 26),
            (Trade.CONCRETE, 16),
            (Trade.ELECTRICAL, 14),
            (Trade.MACHINERY, 8),
            (Trade.GENERAL_LABOUR, 24),
        ),
        (("塔吊", 3), ("汽车吊", 2), ("履带吊", 1), ("混凝土泵车", 1), ("挖掘机", 2)),
        (
            ("H 型钢", "Q355B HN600×200", "t", 30, 90),
            ("螺纹钢", "HRB400 Φ25", "t", 30, 80),
            ("商品混凝土", "C35", "m³", 150, 500),
            ("彩钢夹芯板", "V-900 75 mm", "m²", 600, 1800),
        ),
        ("1#联合厂房", "2#联合厂房", "3#厂房基础承台", "综合楼"),
    ),
)
"""Kinds of site, recognised by words of the project name; the last is the default (a plant)."""

LABOUR_REASONS = (
    "外省务工人员返程受阻，劳务公司正组织点对点包车接返",
    "部分返岗工人仍在居家观察期",
    "已通过“春风行动”线上招聘补充用工",
    "已请企业用工服务专员协调劳务公司",
    "返岗人员需测温、健康申报后方可进场，进度较慢",
)
WEATHER_PROBLEMS = {
    Weather.HEAVY_RAIN: "大雨，室外作业暂停",
    Weather.SNOW: "降雪，塔吊停止作业，室外作业暂停",
    Weather.HIGH_WIND: "风力六级以上，塔吊停止吊装",
    Weather.EXTREME_HEAT: "高温，11时至15时停止室外作业",
    Weather.FOG: "大雾，材料运输车辆进场延误",
}
WEATHER_EFFECT = {
    Weather.HEAVY_RAIN: 0.6,
    Weather.SNOW: 0.65,
    Weather.HIGH_WIND: 0.9,
    Weather.EXTREME_HEAT: 0.85,
    Weather.FOG: 0.95,
}
"""The share of the day's workers a bad day leaves on site."""
CLIMATE = (
    (-2, 5),
    (0, 8),
    (5, 14),
    (11, 21),
    (16, 26),
    (21, 30),
    (24, 31),
    (23, 31),
    (18, 27),
    (12, 22),
    (5, 14),
    (-1, 7),
)
"""Usual daily low and high of each month, in °C (Xuzhou)."""
PREPARATION = "尚未复工：办理复工备案，落实封闭管理、测温点和隔离观察室，组织工人返岗登记"


@dataclass(frozen=True)
class ZoneDay:
    """The zone's weather on one day."""

    date: dt.date
    weather: Weather
    low: int
    high: int


@dataclass
class DemoReport:
    """A report and its trades, before they are written."""

    report: DailyReport
    trades: list[tuple[Trade, int, int]]


def _weather(rng: random.Random, day: dt.date) -> ZoneDay:
    low, high = CLIMATE[day.month - 1]
    low, high = low + rng.randint(-3, 3), high + rng.randint(-3, 3)
    if day.month in (6, 7, 8):
        weights = {
            Weather.SUNNY: 30,
            Weather.CLOUDY: 20,
            Weather.OVERCAST: 10,
            Weather.LIGHT_RAIN: 15,
            Weather.HEAVY_RAIN: 12,
            Weather.EXTREME_HEAT: 13 if high >= 33 else 0,
        }
    elif day.month in (12, 1, 2):
        weights = {
            Weather.SUNNY: 35,
            Weather.CLOUDY: 25,
            Weather.OVERCAST: 20,
            Weather.FOG: 8,
            Weather.LIGHT_RAIN: 5,
            Weather.SNOW: 5 if low <= 0 else 0,
            Weather.HIGH_WIND: 2,
        }
    else:
        weights = {
            Weather.SUNNY: 35,
            Weather.CLOUDY: 25,
            Weather.OVERCAST: 15,
            Weather.LIGHT_RAIN: 15,
            Weather.HEAVY_RAIN: 3,
            Weather.FOG: 4,
            Weather.HIGH_WIND: 3,
        }
    weather = rng.choices(list(weights), list(weights.values()))[0]
    if weather in (Weather.SNOW, Weather.HEAVY_RAIN, Weather.OVERCAST):
        high -= 2
    return ZoneDay(day, weather, min(low, high - 4), high)


def zone_weather(first: dt.date, days: int) -> list[ZoneDay]:
    """The zone's weather for `days` days from `first`, drawn from a source seeded by `first`."""
    rng = random.Random(f"weather-{first.isoformat()}")
    return [_weather(rng, first + dt.timedelta(days=i)) for i in range(days)]


def crew_of(name: str) -> Crew:
    """The kind of site a project's name says it is."""
    for crew in CREWS:
        if any(word in name for word in crew.keywords):
            return crew
    return CREWS[-1]


@dataclass
class Site:
    """One project's month: how its workers come back, and what it lacks."""

    project: Project
    reporter_id: int
    crew: Crew
    rng: random.Random
    lacking: tuple[Trade, ...]
    resumes: int  # the day (0 = the first of the month) its first workers are back
    floor: float  # the on-site rate the day it resumes
    target: float  # the rate it climbs towards
    pace: float  # days for about two thirds of the climb
    scale: float  # its size against its crew's usual need

    @classmethod
    def of(cls, project: Project, reporter_id: int) -> Site:
        """The site of a project, drawn from a source seeded by its code."""
        rng = random.Random(f"daily-reports-{project.code}")
        lacking = LAGGING.get(project.code, ())
        if lacking:
            resumes, floor = rng.randint(4, 7), rng.uniform(0.12, 0.2)
            target, pace = rng.uniform(0.68, 0.72), rng.uniform(7, 9)
        else:
            resumes = rng.choice((0, 0, 1, 1, 2, 3, 5, 8))
            floor, target = rng.uniform(0.25, 0.38), rng.uniform(0.88, 0.97)
            pace = rng.uniform(4, 7)
        scale = rng.uniform(0.8, 1.4)
        crew = crew_of(project.name)
        return cls(project, reporter_id, crew, rng, lacking, resumes, floor, target, pace, scale)

    def rate(self, day: int) -> float:
        """The site's on-site rate `day` days into the month (before the weather)."""
        if day < self.resumes:
            return 0.0
        climbed = 1 - math.exp(-(day - self.resumes) / self.pace)
        return self.floor + (self.target - self.floor) * climbed

    def workforce(self, day: int, weather: Weather) -> list[tuple[Trade, int, int]]:
        """Each trade's (trade, needed, on site) for the day."""
        rng = self.rng
        base = self.rate(day) * WEATHER_EFFECT.get(weather, 1.0)
        counts = []
        for trade, usual in self.crew.trades:
            needed = max(2, round(usual * self.scale * rng.uniform(0.92, 1.08)))
            if base == 0:
                counts.append((trade, needed, 0))
                continue
            share = base
            if trade in self.lacking:
                share *= 0.6
            elif trade == Trade.MACHINERY:  # local operators come back first
                share = min(1.0, share * 1.15)
            share = min(1.0, max(0.0, share + rng.uniform(-0.05, 0.05)))
            counts.append((trade, needed, min(needed, round(needed * share))))
        return counts


def _work_done(site: Site, counts: Sequence[tuple[Trade, int, int]], day: int) -> str:
    """What the site did, from the trades on site (most workers first)."""
    if not any(on_site for _, _, on_site in counts):
        return PREPARATION + "。"
    rng = site.rng
    items = []
    busiest = sorted((c for c in counts if c[2] > 0), key=lambda c: -c[2])
    for trade, _, on_site in busiest[:3]:
        text, per_worker = site.crew.work.get(trade) or WORK[trade]
        amount = max(1, round(on_site * per_worker * rng.uniform(0.8, 1.2)))
        items.append(text.format(place=rng.choice(site.crew.places), n=amount))
    if day - site.resumes < 10:
        items.append("进场人员测温登记、实名制考勤，宿舍和食堂分餐、消杀")
    return "；".join(items) + "。"


def _materials(
    site: Site, day: int, rate: float
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """The materials received and short on the day."""
    rng = site.rng
    received, short = [], []
    if rate > 0 and rng.random() < 0.55:
        for material, spec, unit, least, most in rng.sample(site.crew.materials, 2)[
            : rng.randint(1, 2)
        ]:
            quantity = round(rng.randint(least, most) * max(rate, 0.3))
            received.append(_line(material, spec, quantity, unit))
    since = day - site.resumes
    usual = SHORT_MATERIALS.get(site.project.code)
    if usual is not None and since >= 0 and rng.random() < 0.6:
        material, spec, unit, least, most = usual
        short.append(_line(material, spec, rng.randint(least, most), unit))
    elif 0 <= since < 8 and rng.random() < 0.3:
        material, spec, unit, least, most = rng.choice(site.crew.materials)
        short.append(_line(material, spec, rng.randint(least, most), unit))
    return received, short


def _line(material: str, spec: str, quantity: int, unit: str) -> dict[str, object]:
    """A material line as the report keeps it (quantity as exact text)."""
    return {"material": material, "specification": spec, "quantity": str(quantity), "unit": unit}


def _problems(
    site: Site,
    counts: Sequence[tuple[Trade, int, int]],
    weather: Weather,
    short: Sequence[dict[str, object]],
    day: int,
) -> str | None:
    """The day's problems: missing workers, short materials, the weather; None on a good day."""
    rng = site.rng
    needed = sum(c[1] for c in counts)
    on_site = sum(c[2] for c in counts)
    found = []
    if on_site == 0:
        away = round(needed * rng.uniform(0.6, 0.9))
        found.append(f"工人尚未返岗，{away}名外地工人在途或居家观察，复工验收待街道确认")
    elif on_site < 0.85 * needed:
        gaps = sorted(counts, key=lambda c: c[2] - c[1])[:2]
        gap_text = "，".join(
            f"{TRADE_LABELS[trade]}到岗{here}人、缺{need - here}人"
            for trade, need, here in gaps
            if need > here
        )
        found.append(f"{gap_text}，{rng.choice(LABOUR_REASONS)}")
        if site.lacking and day - site.resumes > 12:
            found.append("到岗率连续多日偏低，已报项目办协调")
    for line in short:
        found.append(
            f"{line['material']}（{line['specification']}）缺{line['quantity']}{line['unit']}，"
            "供应商未完全复产"
        )
    if weather in WEATHER_PROBLEMS:
        found.append(WEATHER_PROBLEMS[weather])
    return "；".join(found) + "。" if found else None


def _equipment(site: Site, rate: float) -> list[dict[str, object]]:
    """The machines on site: all of them once work is under way, fewer while it restarts."""
    share = min(1.0, rate + 0.4)
    return [
        {"name": name, "count": max(1, round(count * site.scale * share))}
        for name, count in site.crew.equipment
    ]


def _reported_at(day: dt.date, zone: ZoneInfo, rng: random.Random) -> dt.datetime:
    """An evening moment of `day`, zone time, in UTC."""
    local = dt.datetime.combine(day, dt.time(17, 0), tzinfo=zone)
    return (local + dt.timedelta(minutes=rng.randint(0, 180))).astimezone(dt.UTC)


def site_reports(site: Site, days: Sequence[ZoneDay], zone: ZoneInfo) -> list[DemoReport]:
    """The site's reports for `days` (the month, yesterday last)."""
    reports = []
    for index, zone_day in enumerate(days):
        rng = site.rng
        last = index == len(days) - 1
        skipped = rng.random() < 0.03 and index < len(days) - 3 and not site.lacking
        if skipped or (last and site.project.code == SILENT_YESTERDAY):
            continue
        counts = site.workforce(index, zone_day.weather)
        needed = sum(c[1] for c in counts)
        on_site = sum(c[2] for c in counts)
        rate = on_site / needed if needed else 0.0
        received, short = _materials(site, index, rate)
        report = DailyReport(
            project_id=site.project.id,
            date=zone_day.date,
            weather=zone_day.weather,
            temperature_low=zone_day.low + rng.randint(-1, 0),
            temperature_high=zone_day.high + rng.randint(0, 1),
            workers_needed=needed,
            workers_on_site=on_site,
            equipment=_equipment(site, rate),
            materials_received=received,
            materials_short=short,
            work_done=_work_done(site, counts, index),
            problems=_problems(site, counts, zone_day.weather, short, index),
            reported_by_id=site.reporter_id,
            reported_at=_reported_at(zone_day.date, zone, rng),
        )
        reports.append(DemoReport(report, counts))
    return reports


async def _sites(office: User | None) -> list[Site]:
    """The sites of the projects under construction, each reported by its first site manager."""
    projects = (
        await Project.filter(status=ProjectStatus.UNDER_CONSTRUCTION)
        .order_by("code")
        .prefetch_related("site_managers")
    )
    sites = []
    for project in projects:
        managers = sorted(project.site_managers, key=lambda user: user.id)
        reporter = managers[0] if managers else office
        if reporter is not None:
            sites.append(Site.of(project, reporter.id))
    return sites


async def seed_daily_reports(settings: Settings) -> list[str]:
    """A month of reports for the projects under construction, unless there are reports."""
    if await DailyReport.exists():
        return []
    today = zone_today(settings.zone)
    first = today - dt.timedelta(days=DAYS)
    days = zone_weather(first, DAYS)
    office = await User.get_or_none(username="office")
    sites = await _sites(office)
    planned = [(site, site_reports(site, days, settings.zone)) for site in sites]
    created = []
    async with in_transaction():
        await DailyReport.bulk_create(
            [demo.report for _, reports in planned for demo in reports], batch_size=500
        )
        ids = {
            (row["project_id"], row["date"]): row["id"]
            for row in await DailyReport.all().values("id", "project_id", "date")
        }
        await DailyReportTrade.bulk_create(
            [
                DailyReportTrade(
                    report_id=ids[(site.project.id, demo.report.date)],
                    trade=trade,
                    needed=needed,
                    on_site=on_site,
                )
                for site, reports in planned
                for demo in reports
                for trade, needed, on_site in demo.trades
            ],
            batch_size=1000,
        )
        await _link_photos(settings.zone, ids)
        await _created_before(sites, first)
    for site, reports in planned:
        if reports:
            created.append(f"{len(reports)} daily reports of {site.project.code}")
    return created


async def _link_photos(zone: ZoneInfo, ids: dict[tuple[int, dt.date], int]) -> None:
    """Attach each demo photo to its project's report of the day it was taken."""
    projects = {project_id for project_id, _ in ids}
    for photo in await Photo.filter(project_id__in=projects, taken_at__isnull=False):
        taken = photo.taken_at
        day = (taken.astimezone(zone) if taken.tzinfo else taken).date()
        report_id = ids.get((photo.project_id, day))
        if report_id is not None:
            report = await DailyReport.get(id=report_id)
            await report.photos.add(photo)


async def _created_before(sites: Sequence[Site], first: dt.date) -> None:
    """Date the projects' records before their first report (the demo creates them today)."""
    before = dt.datetime.combine(first - dt.timedelta(days=30), dt.time(9), tzinfo=dt.UTC)
    ids = [site.project.id for site in sites]
    if ids:
        await Project.filter(id__in=ids, created_at__gt=before).update(created_at=before)
