"""The dozen demo projects and their roadmaps, dated relative to today.

The dates make the board show every colour (BLUE, GREEN, YELLOW, ORANGE and RED) whenever the
demo is seeded; projects that were under way in 2020 were re-planned after the February 2020
epidemic stop (`moved_from`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.domain.models import ProjectStatus


@dataclass(frozen=True)
class Step:
    """One milestone: its planned date, the date it was moved from, when it was reached."""

    title: str
    planned: dt.date
    done: dt.date | None = None
    moved_from: dt.date | None = None
    lag: int = 0


@dataclass(frozen=True)
class DemoProject:
    """A demo project with its roadmap (one milestone per phase, each after the one before)."""

    code: str
    name: str
    programmes: tuple[str, ...]
    unit: str
    lead: str
    town: str
    position: tuple[float, float]
    investment: str
    managers: tuple[str, ...]
    steps: tuple[Step, ...]
    status: ProjectStatus = ProjectStatus.UNDER_CONSTRUCTION
    scope: str = ""
    annual_target: str = "0"
    reissued: bool = False


def demo_projects(today: dt.date) -> list[DemoProject]:
    """The demo projects, their dates set relative to `today`."""

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    def ahead(days: int) -> dt.date:
        return today + dt.timedelta(days=days)

    d = dt.date
    return [
        DemoProject(
            "JK-1090-001",
            "徐工高端装备智能制造基地（二期）",
            ("1090",),
            "经开区经济发展局",
            "王建国",
            "金山桥街道",
            (34.2842, 117.3271),
            "386000.00",
            ("site1",),
            (
                Step("项目立项批复", d(2019, 12, 10), d(2019, 12, 6)),
                Step("取得建设工程规划许可证", d(2020, 4, 10), d(2020, 4, 8), d(2020, 2, 15)),
                Step("取得施工许可证", d(2020, 5, 6), d(2020, 5, 6), d(2020, 3, 10)),
                Step("一期正式开工", d(2020, 5, 18), d(2020, 5, 20), d(2020, 3, 20), lag=7),
                Step("二期主体结构封顶", ago(64)),
                Step("二期竣工验收", ahead(120)),
                Step("二期投产", ahead(200)),
            ),
            scope="重型起重机、挖掘机整机智能产线及配套联合厂房 42 万平方米",
            annual_target="68000.00",
            reissued=True,
        ),
        DemoProject(
            "JK-1090-002",
            "高性能碳纤维复合材料产业园",
            ("1090",),
            "经开区新材料产业办",
            "陈志强",
            "东环街道",
            (34.2695, 117.3520),
            "152000.00",
            ("site1",),
            (
                Step("项目立项批复", ago(300), ago(302)),
                Step("取得建设工程规划许可证", ago(240), ago(241)),
                Step("取得施工许可证", ago(180), ago(180)),
                Step("正式开工", ago(150), ago(149), lag=7),
                Step("主体结构封顶", ago(12), moved_from=ago(40)),
                Step("竣工验收", ahead(150)),
                Step("投产", ahead(240)),
            ),
            scope="碳纤维原丝、预浸料生产线 6 条，研发中心 1 座",
            annual_target="41000.00",
        ),
        DemoProject(
            "JK-1090-003",
            "12英寸集成电路晶圆制造项目",
            ("1090", "765"),
            "经开区集成电路产业办",
            "李晓东",
            "大庙街道",
            (34.2480, 117.3850),
            "1200000.00",
            ("site2",),
            (
                Step("项目立项批复", ago(200), ago(203)),
                Step("取得建设工程规划许可证", ago(150), ago(150)),
                Step("取得施工许可证", ago(100), ago(101)),
                Step("正式开工", ago(80), ago(80), lag=7),
                Step("洁净厂房主体结构封顶", ahead(60)),
                Step("竣工验收", ahead(300)),
                Step("首片晶圆投产", ahead(400)),
            ),
            scope="月产 4 万片 12 英寸晶圆生产线及动力站房",
            annual_target="210000.00",
        ),
        DemoProject(
            "JK-1090-004",
            "生物医药创新产业园",
            ("1090",),
            "经开区生物医药产业办",
            "周敏",
            "金山桥街道",
            (34.2905, 117.3105),
            "98000.00",
            ("site2",),
            (
                Step("项目立项批复", ago(260), ago(262)),
                Step("取得建设工程规划许可证", ago(200), ago(199)),
                Step("取得施工许可证", ago(150), ago(150)),
                Step("正式开工", ago(120), ago(118), lag=7),
                Step("GMP 厂房主体结构封顶", ago(4)),
                Step("竣工验收", ahead(180)),
                Step("投产", ahead(270)),
            ),
            scope="原料药、制剂 GMP 厂房及公共研发平台",
            annual_target="32000.00",
        ),
        DemoProject(
            "JK-1050-001",
            "徐海路快速化改造工程",
            ("1050",),
            "经开区建设局",
            "孙立军",
            "东环街道",
            (34.2750, 117.3400),
            "265000.00",
            ("site1",),
            (
                Step("项目立项批复", d(2019, 10, 20), d(2019, 10, 18)),
                Step("取得建设工程规划许可证", d(2020, 3, 31), d(2020, 3, 28), d(2020, 2, 10)),
                Step("取得施工许可证", d(2020, 4, 30), d(2020, 4, 29), d(2020, 2, 28)),
                Step("正式开工", d(2020, 5, 10), d(2020, 5, 10), d(2020, 3, 15), lag=7),
                Step("高架段主线贯通", ahead(30), moved_from=ago(30)),
                Step("竣工验收", ahead(90)),
            ),
            scope="主线高架 6.8 公里，地面辅道及交通设施",
            annual_target="52000.00",
        ),
        DemoProject(
            "JK-1050-002",
            "金山桥片区雨污分流改造工程",
            ("1050",),
            "经开区城市管理局",
            "赵红梅",
            "金山桥街道",
            (34.2870, 117.3200),
            "36000.00",
            ("site2",),
            (
                Step("项目立项批复", ago(210), ago(210)),
                Step("取得建设工程规划许可证", ago(170), ago(168)),
                Step("取得施工许可证", ago(130), ago(125)),
                Step("正式开工", ago(110), ago(104), lag=7),
                Step("主干管网铺设完成", ago(45)),
                Step("竣工验收", ahead(40)),
            ),
            scope="雨水、污水主干管 24 公里，小区分流改造 31 个",
            annual_target="18000.00",
        ),
        DemoProject(
            "JK-1080-001",
            "经开区第二实验学校新建工程",
            ("1080",),
            "经开区社会事业局",
            "刘芳",
            "大庙街道",
            (34.2420, 117.3700),
            "42000.00",
            ("site1",),
            (
                Step("项目立项批复", d(2019, 9, 1), d(2019, 8, 30)),
                Step("取得建设工程规划许可证", d(2019, 12, 15), d(2019, 12, 12)),
                Step("取得施工许可证", d(2020, 4, 15), d(2020, 4, 14), d(2020, 2, 20)),
                Step("正式开工", d(2020, 4, 25), d(2020, 4, 25), d(2020, 3, 1), lag=7),
                Step("教学楼主体结构封顶", d(2020, 12, 30), d(2020, 12, 26), d(2020, 10, 30)),
                Step("竣工验收", d(2021, 7, 31), d(2021, 7, 28)),
            ),
            status=ProjectStatus.COMPLETED,
            scope="54 班九年一贯制学校，教学楼、体育馆及运动场",
            annual_target="0.00",
        ),
        DemoProject(
            "JK-1080-002",
            "经开区人民医院住院部扩建工程",
            ("1080", "765"),
            "经开区卫生健康局",
            "马建华",
            "东环街道",
            (34.2660, 117.3480),
            "68000.00",
            ("site2",),
            (
                Step("项目立项批复", ago(320), ago(322)),
                Step("取得建设工程规划许可证", ago(260), ago(255)),
                Step("取得施工许可证", ago(200), ago(200)),
                Step("正式开工", ago(180), ago(178), lag=7),
                Step("住院楼主体结构封顶", ago(20)),
                Step("竣工验收", ahead(160)),
            ),
            scope="新增床位 600 张的住院综合楼及地下停车库",
            annual_target="26000.00",
        ),
        DemoProject(
            "JK-1080-003",
            "大庙片区老旧小区改造",
            ("1080",),
            "大庙街道办事处",
            "吴小平",
            "大庙街道",
            (34.2390, 117.3760),
            "8600.00",
            ("site1",),
            (
                Step("项目立项批复", ago(150), ago(152)),
                Step("取得施工许可证", ago(110), ago(112)),
                Step("正式开工", ago(100), ago(100), lag=7),
                Step("外立面及管网改造完成", ago(20), ago(24)),
            ),
            scope="老旧小区 12 个，加装电梯、改造管网和外立面",
            annual_target="8600.00",
        ),
        DemoProject(
            "JK-1080-004",
            "徐庄镇农贸市场标准化改造",
            ("1080",),
            "徐庄镇人民政府",
            "郑伟",
            "徐庄镇",
            (34.2100, 117.4200),
            "3200.00",
            ("site2",),
            (
                Step("项目立项批复", ago(90), ago(90)),
                Step("正式开工", ago(40), ago(38)),
                Step("主体改造完成", ahead(25)),
                Step("竣工验收", ahead(60)),
            ),
            scope="农贸市场 3 处，摊位、排水及消防改造",
            annual_target="3200.00",
        ),
        DemoProject(
            "JK-765-001",
            "新能源汽车零部件产业园",
            ("765",),
            "经开区投资促进局",
            "黄磊",
            "徐庄镇",
            (34.2150, 117.4050),
            "120000.00",
            (),
            (
                Step("项目立项批复", ago(120), ago(121)),
                Step("取得建设工程规划许可证", ago(60), ago(60)),
                Step("取得施工许可证", ago(6)),
                Step("正式开工", ahead(20), lag=7),
                Step("主体结构封顶", ahead(200)),
                Step("竣工验收", ahead(330)),
                Step("投产", ahead(400)),
            ),
            status=ProjectStatus.PLANNED,
            scope="电驱动系统、动力电池包生产基地",
            annual_target="15000.00",
        ),
        DemoProject(
            "JK-1050-003",
            "城市综合管廊（一期）",
            ("1050", "765"),
            "经开区建设局",
            "孙立军",
            "东环街道",
            (34.2720, 117.3600),
            "74000.00",
            ("site1",),
            (
                Step("项目立项批复", d(2020, 1, 8), d(2020, 1, 6)),
                Step("取得建设工程规划许可证", d(2020, 5, 20), d(2020, 5, 19), d(2020, 3, 1)),
                Step("取得施工许可证", ago(200), ago(200)),
                Step("正式开工", ago(170), ago(169), lag=7),
                Step("管廊主体贯通", ahead(45)),
                Step("竣工验收", ahead(150)),
            ),
            scope="综合管廊 9.2 公里，入廊电力、通信、给水、燃气管线",
            annual_target="22000.00",
        ),
    ]
