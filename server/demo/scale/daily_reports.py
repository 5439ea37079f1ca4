"""The scale seed's daily reports: 60 days of them, ending yesterday, for every project under
construction (from its start when it started within the window), with their trades.

Most sites run at 80-100 % of their need; about one in ten lags (45-68 %), and about one in
seven resumes within the window: no workers on site at first, then a climb. A site misses
about one day in thirty. Equipment and material lines are drawn from small pools of JSON texts,
so the rows cost little to build.
"""

from __future__ import annotations

import datetime as dt
import json
import math

from server.demo.scale.tables import model_table
from server.demo.scale.zone import Zone
from server.domain import models

REPORT_DAYS = 60
"""Days of reports, ending yesterday."""
MISSED = 0.03
"""Share of the days a site does not report."""
TRADES = tuple(trade.value for trade in models.Trade if trade != models.Trade.OTHER)
WEATHER = tuple(weather.value for weather in models.Weather)
WEATHER_WEIGHTS = (30, 22, 16, 12, 4, 2, 5, 4, 5)
EQUIPMENT = (
    ("塔吊", "汽车吊", "混凝土泵车"),
    ("挖掘机", "装载机", "压路机"),
    ("施工升降机", "汽车吊"),
    ("旋挖钻机", "履带吊", "挖掘机"),
    ("剪叉式升降平台", "叉车"),
)
MATERIALS = (
    ("螺纹钢", "HRB400 Φ25", "t"),
    ("商品混凝土", "C35", "m³"),
    ("加气混凝土砌块", "A3.5 B06", "m³"),
    ("H 型钢", "Q355B HN600×200", "t"),
    ("电缆", "YJV-4×95", "米"),
    ("钢筋混凝土排水管", "DN800 Ⅱ级", "米"),
)
WORK = (
    "主体结构钢筋绑扎、模板支设，浇筑混凝土。",
    "钢结构吊装，屋面板安装。",
    "二次结构砌筑，机电管线预埋。",
    "基础土方开挖及外运，桩基施工。",
    "室内装饰装修，机电设备安装调试。",
)
PROBLEMS = (
    "部分工种返岗不足，已联系劳务公司补充。",
    "材料到货延迟，影响当日进度。",
    "外地工人返程受阻，到岗率偏低。",
)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _pools(zone: Zone) -> tuple[list[str], list[str], list[str]]:
    """JSON texts of equipment, materials received and materials short to draw from."""
    rng = zone.rng
    equipment = [
        _json([{"name": name, "count": rng.randint(1, 4)} for name in names])
        for names in EQUIPMENT
        for _ in range(3)
    ]
    received = ["[]"] * 6
    short = []
    for material, spec, unit in MATERIALS:
        line = {"material": material, "specification": spec, "unit": unit}
        received.append(_json([{**line, "quantity": str(rng.randint(10, 500))}]))
        short.append(_json([{**line, "quantity": str(rng.randint(5, 200))}]))
    return equipment, received, short


def add_daily_reports(zone: Zone) -> None:
    """Reports and their trades for the projects under construction."""
    rng = zone.rng
    reports = zone.add(
        model_table(
            models.DailyReport,
            "id",
            "project_id",
            "date",
            "weather",
            "temperature_low",
            "temperature_high",
            "workers_needed",
            "workers_on_site",
            "equipment",
            "materials_received",
            "materials_short",
            "work_done",
            "problems",
            "reported_by_id",
            "reported_at",
            "amended_at",
        )
    )
    trades = zone.add(
        model_table(models.DailyReportTrade, "id", "report_id", "trade", "needed", "on_site")
    )
    equipment, received, short = _pools(zone)
    first = zone.today - dt.timedelta(days=REPORT_DAYS)
    days = [first + dt.timedelta(days=i) for i in range(REPORT_DAYS)]
    weather = rng.choices(WEATHER, WEATHER_WEIGHTS, k=REPORT_DAYS)
    lows = [rng.randint(-5, 22) for _ in days]
    # Evening of each day, zone time (UTC+8), in UTC.
    evenings = [dt.datetime(d.year, d.month, d.day, 10, tzinfo=dt.UTC) for d in days]
    report_rows, trade_rows = reports.rows, trades.rows
    for pk, (start, _, status) in zone.project_spans.items():
        if status != models.ProjectStatus.UNDER_CONSTRUCTION:
            continue
        crew = [(trade, rng.randint(4, 40)) for trade in rng.sample(TRADES, rng.randint(3, 6))]
        kind = rng.random()
        if kind < 0.1:
            target, resumes = rng.uniform(0.45, 0.68), 0
        elif kind < 0.25:
            target, resumes = rng.uniform(0.8, 0.98), rng.randint(3, 25)
        else:
            target, resumes = rng.uniform(0.8, 1.0), 0
        reporter = zone.managers_of[pk][0]
        random = rng.random
        for index, day in enumerate(days):
            if day < start or random() < MISSED:
                continue
            if index < resumes:
                rate = 0.0
            elif resumes:
                rate = target * (0.3 + 0.7 * (1 - math.exp(-(index - resumes) / 5)))
            else:
                rate = target
            report_id = len(report_rows) + 1
            needed_total = on_site_total = 0
            for trade, needed in crew:
                # The rate give or take 8 points, rounded, from none to all needed.
                share = rate - 0.08 + 0.16 * random() if rate else 0.0
                on_site = min(needed, max(0, int(needed * share + 0.5)))
                needed_total += needed
                on_site_total += on_site
                trade_rows.append((len(trade_rows) + 1, report_id, trade, needed, on_site))
            low = lows[index]
            draw = random()
            report_rows.append(
                (
                    report_id,
                    pk,
                    day,
                    weather[index],
                    low,
                    low + 5 + int(draw * 7),
                    needed_total,
                    on_site_total,
                    equipment[int(draw * len(equipment))],
                    received[int(random() * len(received))],
                    short[int(draw * len(short))] if rate < 0.7 and draw < 0.4 else "[]",
                    WORK[int(draw * len(WORK))] if on_site_total else "尚未复工，办理复工备案。",
                    PROBLEMS[int(draw * len(PROBLEMS))] if rate < 0.8 else None,
                    reporter,
                    evenings[index] + dt.timedelta(minutes=int(draw * 180)),
                    None,
                )
            )
