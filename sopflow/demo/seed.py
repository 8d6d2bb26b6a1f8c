"""The demo company: 华启科技 (a subsidiary of 华启集团), ~45 people, built through org services.

Later issues add their own demo content (templates, flows, courses) by extending `seed_demo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.hashers import make_password
from django.db import transaction

from sopflow.audit.services import record
from sopflow.form_templates.services.templates import install_builtin_pack
from sopflow.org import services
from sopflow.org.models import Company, Department, Position, RoleAssignment, User
from sopflow.workflow.definitions import install_builtin_definitions

DEMO_PASSWORD = "sopflow2026"  # noqa: S105  (the published demo password, printed by make run)
COMPANY_CODE = "huaqi"

# (code, name, parent code)
DEPARTMENTS = [
    ("gm", "总经办", None),
    ("admin", "行政部", None),
    ("hr", "人事部", None),
    ("finance", "财务部", None),
    ("marketing", "市场部", None),
    ("design", "设计部", None),
    ("sales", "销售部", None),
    ("sales-north", "华北组", "sales"),
    ("sales-south", "华南组", "sales"),
    ("sales-southwest", "西南组", "sales"),
    ("rd", "研发部", None),
    ("product", "产品部", None),
    ("it", "IT部", None),
]

# (code, name, responsibilities)
POSITIONS = [
    ("ceo", "总经理", "公司经营管理，审批重大事项。"),
    ("vp", "副总经理", "分管若干部门，审批分管范围内的事项。"),
    ("manager", "部门经理", "部门日常管理，审核本部门申请。"),
    ("admin-clerk", "行政专员", "办公用品、用印、会务与固定资产管理。"),
    ("receptionist", "前台", "来访接待、快递收发。"),
    ("hr-specialist", "人事专员", "招聘、入离职、考勤与培训组织。"),
    ("accountant", "会计", "费用审核、记账、报税。"),
    ("cashier", "出纳", "付款、收款与资金日报。"),
    ("auditor", "审计专员", "内部审计与合规检查。"),
    ("marketing-specialist", "市场专员", "市场活动策划与执行。"),
    ("designer", "设计师", "海报、物料与活动视觉设计。"),
    ("sales-lead", "销售组长", "带领区域销售团队，跟进重点客户。"),
    ("sales-rep", "销售专员", "客户拜访、商机跟进，多数时间出差。"),
    ("engineer", "研发工程师", "产品研发与维护。"),
    ("product-manager", "产品经理", "需求分析与产品规划。"),
    ("it-engineer", "IT工程师", "办公设备与系统运维，设备报修处理。"),
    ("process-admin", "流程管理员", "维护表单模板与审批流程。"),
]


@dataclass(frozen=True)
class Person:
    no: str
    name: str
    department: str
    position: str
    manager: str | None
    title: str = ""
    head: bool = False


PEOPLE = [
    Person("E001", "陈建国", "gm", "ceo", None, "总经理", head=True),
    Person("E002", "刘志强", "gm", "vp", "E001", "副总经理（分管市场、设计、销售）"),
    Person("E003", "赵敏", "gm", "vp", "E001", "副总经理（分管行政、人事、财务）"),
    Person("E010", "孙丽", "admin", "manager", "E003", "行政经理", head=True),
    Person("E011", "周婷", "admin", "admin-clerk", "E010"),
    Person("E012", "吴倩", "admin", "receptionist", "E010"),
    Person("E013", "苏畅", "admin", "process-admin", "E010", "流程管理员"),
    Person("E020", "王芳", "hr", "manager", "E003", "人事经理", head=True),
    Person("E021", "郑爽", "hr", "hr-specialist", "E020"),
    Person("E030", "钱伟", "finance", "manager", "E003", "财务经理", head=True),
    Person("E031", "冯静", "finance", "accountant", "E030"),
    Person("E032", "陈晨", "finance", "cashier", "E030"),
    Person("E033", "姜宁", "finance", "auditor", "E030", "审计专员"),
    Person("E040", "李强", "marketing", "manager", "E002", "市场经理", head=True),
    Person("E041", "张敏", "marketing", "marketing-specialist", "E040"),
    Person("E042", "赵磊", "marketing", "marketing-specialist", "E040"),
    Person("E043", "黄晓", "marketing", "marketing-specialist", "E040"),
    Person("E050", "林峰", "design", "manager", "E002", "设计经理", head=True),
    Person("E051", "何佳", "design", "designer", "E050"),
    Person("E052", "郭露", "design", "designer", "E050"),
    Person("E060", "马超", "sales", "manager", "E002", "销售总监", head=True),
    Person("E061", "杨帆", "sales-north", "sales-lead", "E060", "华北组组长", head=True),
    Person("E062", "朱明", "sales-north", "sales-rep", "E061"),
    Person("E063", "胡杰", "sales-north", "sales-rep", "E061"),
    Person("E064", "高远", "sales-north", "sales-rep", "E061"),
    Person("E065", "罗娜", "sales-south", "sales-lead", "E060", "华南组组长", head=True),
    Person("E066", "谢宇", "sales-south", "sales-rep", "E065"),
    Person("E067", "唐亮", "sales-south", "sales-rep", "E065"),
    Person("E068", "许诺", "sales-south", "sales-rep", "E065"),
    Person("E069", "韩雪", "sales-southwest", "sales-lead", "E060", "西南组组长", head=True),
    Person("E070", "邓超", "sales-southwest", "sales-rep", "E069"),
    Person("E071", "曹阳", "sales-southwest", "sales-rep", "E069"),
    Person("E072", "彭飞", "sales-southwest", "sales-rep", "E069"),
    Person("E080", "蒋涛", "rd", "manager", "E001", "研发经理", head=True),
    Person("E081", "沈浩", "rd", "engineer", "E080"),
    Person("E082", "蔡文", "rd", "engineer", "E080"),
    Person("E083", "潘峰", "rd", "engineer", "E080"),
    Person("E090", "田甜", "product", "manager", "E001", "产品经理", head=True),
    Person("E091", "董洁", "product", "product-manager", "E090"),
    Person("E100", "袁刚", "it", "manager", "E001", "IT经理", head=True),
    Person("E101", "魏强", "it", "it-engineer", "E100", "IT工程师（设备报修）"),
    Person("E102", "于洋", "it", "it-engineer", "E100"),
]

ROLES = [
    ("E020", RoleAssignment.Role.HR_ADMIN),
    ("E021", RoleAssignment.Role.HR_ADMIN),
    ("E013", RoleAssignment.Role.PROCESS_ADMIN),
    ("E033", RoleAssignment.Role.AUDITOR),
]

# Shown in README and printed by `make run`.
DEMO_LOGINS = [
    ("admin", "系统管理员"),
    ("E041", "张敏 · 市场部 市场专员（发起报销、市场活动）"),
    ("E040", "李强 · 市场部经理（部门负责人审批）"),
    ("E002", "刘志强 · 副总经理（分管领导）"),
    ("E031", "冯静 · 财务部 会计（财务审核）"),
    ("E020", "王芳 · 人事经理（人事管理员）"),
    ("E013", "苏畅 · 流程管理员"),
    ("E033", "姜宁 · 审计员"),
    ("E062", "朱明 · 销售专员（出差日报）"),
    ("E043", "黄晓 · 市场专员（未通过《费用报销SOP》，体验培训与考试门槛）"),
    ("E011", "周婷 · 行政专员（手机拍照报修）"),
    ("E010", "孙丽 · 行政经理（跟进报修进度）"),
    ("E101", "魏强 · IT 工程师（设备报修）"),
]


def demo_exists() -> bool:
    return Company.objects.filter(code=COMPANY_CODE).exists()


def seed_demo(*, password: str = DEMO_PASSWORD, activity: bool = False) -> Company:
    """Create the demo group and company once; a second call returns the existing company.

    `activity` adds the approval items that show time working right after `make run` (an
    overdue one, one due soon, one falling due in 90 seconds; `sopflow.workflow.demo`). `serve`
    and `seed_demo` pass it; tests that start from empty inboxes leave it off."""
    existing = Company.objects.filter(code=COMPANY_CODE).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        group = services.create_company(
            actor=None, name="华启集团", code="huaqi-group", short_name="华启集团"
        )
        company = services.create_company(
            actor=None,
            name="华启科技有限公司",
            code=COMPANY_CODE,
            short_name="华启科技",
            parent=group,
        )
        departments: dict[str, Department] = {}
        for index, (code, name, parent_code) in enumerate(DEPARTMENTS):
            departments[code] = services.create_department(
                actor=None,
                company=company,
                name=name,
                code=code,
                sort_order=index * 10,
                parent=departments[parent_code] if parent_code else None,
            )
        positions: dict[str, Position] = {
            code: services.create_position(
                actor=None, company=company, name=name, code=code, responsibilities=text
            )
            for code, name, text in POSITIONS
        }
        people: dict[str, User] = {}
        for index, person in enumerate(PEOPLE):
            people[person.no] = services.create_employee(
                actor=None,
                company=company,
                employee_no=person.no,
                name=person.name,
                phone=f"1380000{index + 1:04d}",
                email=f"{person.no.lower()}@huaqi.example.cn",
                department=departments[person.department],
                position=positions[person.position],
                manager=people[person.manager] if person.manager else None,
                title=person.title,
                hired_on=date(2022, 3, 1),
            )
        for person in PEOPLE:
            if person.head:
                services.update_department(
                    actor=None, department=departments[person.department], heads=[people[person.no]]
                )
        # 销售部's teams: the 华北组 lead also helps in 市场部 (a secondary department).
        people["E061"].secondary_departments.add(departments["marketing"])
        admin = services.create_employee(
            actor=None,
            company=company,
            employee_no="admin",
            name="系统管理员",
            department=departments["it"],
            email="admin@huaqi.example.cn",
            title="系统管理员",
        )
        services.assign_role(actor=None, user=admin, role=RoleAssignment.Role.SYSTEM_ADMIN)
        # One hash for everybody: hashing 45 passwords one by one takes ~40 s.
        User.objects.filter(company=company).update(password=make_password(password))
        record(
            actor=None, action="demo.passwords.set", obj=company, changes={"users": len(PEOPLE) + 1}
        )
        for number, role in ROLES:
            services.assign_role(actor=None, user=people[number], role=role, company=company)
        install_builtin_pack(actor=None, company=company, pushed_positions={
            "trip-daily": [positions["sales-rep"].pk, positions["sales-lead"].pk],
            "customer-visit": [positions["sales-rep"].pk, positions["sales-lead"].pk],
            "campaign": [positions["marketing-specialist"].pk],
            "campaign-summary": [positions["marketing-specialist"].pk],
            "repair": [positions["admin-clerk"].pk]})
        install_builtin_definitions(actor=None, company=company)
        _seed_time_and_messages(company, people)
        _seed_training(company)
        _seed_delegation(people)
        if activity:
            _seed_activity(company)
    return company


def _seed_activity(company: Company) -> None:
    from sopflow.workflow.demo import seed_deadlines

    seed_deadlines(company)


def _seed_delegation(people: dict[str, User]) -> None:
    """钱伟 (财务经理) is away for a week next month and hands his approvals to 冯静. It lies in
    the future, so today's demo routing is unchanged; 我的代理 shows it as 未开始."""
    from datetime import timedelta

    from sopflow.core.clock import clock
    from sopflow.org.delegation_services import create_delegation

    today = clock.today_local().date()
    first_of_next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    starts_on = first_of_next_month + timedelta(days=7)
    create_delegation(actor=people["E030"], delegator=people["E030"], delegate=people["E031"],
                      starts_on=starts_on, ends_on=starts_on + timedelta(days=6),
                      reason="外出培训")


def _seed_training(company: Company) -> None:
    """S5: 费用报销 gated on the course 费用报销SOP; everyone but 黄晓 (E043) has passed."""
    from sopflow.training.demo import seed_training

    seed_training(company)


def _seed_time_and_messages(company: Company, people: dict[str, User]) -> None:
    """Statutory holidays (2025–2026 from chinese-calendar) and the 19:00 daily-report reminder
    for the travelling sales staff (S4), fired by the scheduler that `make run` starts."""
    from datetime import time

    from sopflow.scheduling.models import ScheduleRule
    from sopflow.worktime.services import sync_national_days

    sync_national_days(years=[2025, 2026])
    sales = [user.pk for user in people.values()
             if user.department is not None and user.department.code.startswith("sales")]
    ScheduleRule.objects.create(
        company=company, key="daily-report-remind", name="出差日报提醒", time_of_day=time(19, 0),
        days=ScheduleRule.Days.WORKING, handler="notify.reminder",
        payload={"user_ids": sales, "title": "请提交今天的出差日报",
                 "body": "19:00 仍未提交日报的同事会收到这条提醒。", "link": "/", "days": "working"},
    )
