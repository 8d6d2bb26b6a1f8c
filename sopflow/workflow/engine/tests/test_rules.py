"""Approver rules resolve through the directory and record a human reason; conditions route."""

import pytest

from sopflow.rules.conditions import Json
from sopflow.workflow.engine import Approve, NotAllowed, Status, preview_route
from sopflow.workflow.engine.testing import Person

from .builders import (
    ALICE,
    BOB,
    CAROL,
    CEO,
    DAVE,
    ERIN,
    FINANCE,
    FRANK,
    HR,
    IT_DEPT,
    MARKETING,
    MARKETING_TEAM,
    SALES_POSITION,
    VINCE,
    approver,
    approves,
    assignees,
    branch,
    condition_group,
    definition,
    org,
    run_script,
    users,
)


def resolved(rule: dict[str, Json], *, initiator: int = ALICE,
             form: dict[str, object] | None = None,
             chosen: dict[str, list[int]] | None = None) -> list[tuple[int, str]]:
    steps = preview_route(definition(approver("n", rule)), initiator_id=initiator,
                          form=form or {}, directory=org(), chosen_approvers=chosen)
    return [(a.user_id, a.reason) for a in steps[0].assignees]


@pytest.mark.parametrize(("case", "rule", "expected"), [
    ("named users", users(BOB, CAROL), [(BOB, "指定成员"), (CAROL, "指定成员")]),
    ("role, disabled holder dropped", {"type": "role", "role": "finance", "role_name": "财务"},
     [(CAROL, "角色：财务"), (ERIN, "角色：财务")]),
    ("position", {"type": "position", "position_id": SALES_POSITION,
                  "position_name": "销售专员"},
     [(ALICE, "岗位：销售专员"), (FRANK, "岗位：销售专员")]),
    ("direct manager", {"type": "manager", "level": 1}, [(BOB, "发起人的直属上级")]),
    ("second-level manager", {"type": "manager", "level": 2}, [(VINCE, "发起人的 2 级主管")]),
    ("manager chain up to level 3", {"type": "manager_chain", "up_to_level": 3},
     [(BOB, "发起人的直属上级"), (VINCE, "发起人的 2 级主管"), (CEO, "发起人的 3 级主管")]),
    ("manager chain up to a role", {"type": "manager_chain", "up_to_role": "vp"},
     [(BOB, "发起人的直属上级"), (VINCE, "发起人的 2 级主管")]),
    ("head of own department", {"type": "department_head", "level": 0}, [(BOB, "市场部负责人")]),
    ("head of parent department", {"type": "department_head", "level": 1},
     [(CEO, "总公司负责人")]),
    ("head of a named department", {"type": "named_department_head",
                                    "department_id": FINANCE}, [(CAROL, "财务部负责人")]),
    ("the initiator", {"type": "initiator"}, [(ALICE, "发起人本人")]),
])
def test_rule_resolves_to_people_with_a_reason(case: str, rule: dict[str, Json],
                                               expected: list[tuple[int, str]]) -> None:
    assert resolved(rule) == expected


def test_form_fields_choose_department_head_and_people() -> None:
    head = resolved({"type": "form_department_head", "field": "dept"}, form={"dept": FINANCE})
    people = resolved({"type": "form_users", "field": "people"},
                      form={"people": [CAROL, {"id": DAVE}, str(HR), CAROL]})

    assert head == [(CAROL, "财务部负责人")]
    assert people == [(CAROL, "表单中选择的人员"), (DAVE, "表单中选择的人员"),
                      (HR, "表单中选择的人员")]


def test_role_scoped_to_company_leaves_out_other_companies() -> None:
    directory = org()
    directory.add_person(Person(40, "外司财务", None, None, company_id=2, roles={"finance"}))
    rule: dict[str, Json] = {"type": "role", "role": "finance", "scope": "company"}

    scoped = preview_route(definition(approver("n", rule)), initiator_id=ALICE, form={},
                           directory=directory)
    unscoped = preview_route(definition(approver("n", {**rule, "scope": "all"})),
                             initiator_id=ALICE, form={}, directory=directory)

    assert [a.user_id for a in scoped[0].assignees] == [CAROL, ERIN]
    assert [a.user_id for a in unscoped[0].assignees] == [CAROL, ERIN, 40]


def test_role_scoped_to_department_keeps_holders_covering_the_initiators_department() -> None:
    directory = org()
    directory.role_departments[(CAROL, "finance")] = MARKETING
    directory.role_departments[(ERIN, "finance")] = FINANCE
    rule: dict[str, Json] = {"type": "role", "role": "finance", "scope": "department"}

    steps = preview_route(definition(approver("n", rule)), initiator_id=FRANK, form={},
                          directory=directory)

    assert [a.user_id for a in steps[0].assignees] == [CAROL]


def test_manager_chain_is_walked_one_manager_after_another() -> None:
    chain = definition(approver("chain", {"type": "manager_chain", "up_to_level": 3}))

    first = run_script(chain)
    second = run_script(chain, [approves(BOB)])
    done = run_script(chain, [approves(BOB), approves(VINCE), approves(CEO)])

    assert assignees(first.state) == [("chain", BOB)]
    assert assignees(second.state) == [("chain", VINCE)]
    assert done.state.status is Status.APPROVED


def test_chosen_by_previous_approver_assigns_the_next_node() -> None:
    route = definition(approver("first", users(BOB)),
                       approver("picked", {"type": "chosen_by_previous"}, name="指定审批"))

    script = run_script(route, [
        lambda s: Approve(s.open_tasks()[0].id, BOB, "请财务看看", next_approvers=(ERIN,))])

    assert assignees(script.state) == [("picked", ERIN)]
    assert script.state.open_tasks()[0].reason == "上一步审批人指定"
    assert script.state.next_approvers == ()


def test_preview_explains_a_node_chosen_by_the_previous_approver() -> None:
    route = definition(approver("first", users(BOB)),
                       approver("picked", {"type": "chosen_by_previous"},
                                policies={"nobody": "refuse"}))

    steps = preview_route(route, initiator_id=ALICE, form={}, directory=org())

    assert (steps[1].assignees, steps[1].reason, steps[1].blocked) == (
        (), "由上一步审批人在审批时指定", "")


def test_chosen_by_initiator_is_limited_to_the_allowed_list() -> None:
    route = definition(approver("pick", {"type": "chosen_by_initiator", "from": "list",
                                         "user_ids": [CAROL, ERIN], "multiple": False},
                                name="自选审批"))

    assert resolved({"type": "chosen_by_initiator", "from": "everyone"},
                    chosen={"n": [DAVE]}) == [(DAVE, "发起人自选")]
    with pytest.raises(NotAllowed, match="节点“自选审批”只能从指定范围中选择审批人"):
        run_script(route, chosen_approvers={"pick": [DAVE]})
    with pytest.raises(NotAllowed, match="节点“自选审批”只能选择一位审批人"):
        run_script(route, chosen_approvers={"pick": [CAROL, ERIN]})
    with pytest.raises(NotAllowed, match="节点 other 不需要发起人选择审批人"):
        run_script(route, chosen_approvers={"other": [CAROL]})


def test_chosen_by_initiator_from_a_role_accepts_only_holders() -> None:
    route = definition(approver("pick", {"type": "chosen_by_initiator", "from": "role",
                                         "role": "finance"}))

    script = run_script(route, chosen_approvers={"pick": [ERIN]})

    assert assignees(script.state) == [("pick", ERIN)]
    with pytest.raises(NotAllowed):
        run_script(route, chosen_approvers={"pick": [BOB]})


@pytest.mark.parametrize(("case", "initiator", "condition", "taken"), [
    ("department in subtree", FRANK,
     {"field": "initiator.department", "op": "belongs_to", "value": [MARKETING]}, "match"),
    ("department outside subtree", DAVE,
     {"field": "initiator.department", "op": "belongs_to", "value": [MARKETING]}, "other"),
    ("role held", VINCE, {"field": "initiator.roles", "op": "contains", "value": "vp"}, "match"),
    ("role not held", ALICE, {"field": "initiator.roles", "op": "contains", "value": "vp"},
     "other"),
    ("position", ALICE, {"field": "initiator.position", "op": "eq", "value": SALES_POSITION},
     "match"),
    ("form field", ALICE, {"field": "f_type", "op": "in", "value": ["差旅", "办公"]}, "match"),
])
def test_condition_branch_is_chosen_from_initiator_and_form_operands(
        case: str, initiator: int, condition: dict[str, Json], taken: str) -> None:
    route = definition(condition_group("g", branch("match", condition, approver("a", users(CEO))),
                                       branch("other", {}, approver("b", users(HR)))))

    steps = preview_route(route, initiator_id=initiator, form={"f_type": "差旅"},
                          directory=org())

    assert steps[0].branch_id == taken
    assert steps[1].node_id == ("a" if taken == "match" else "b")


def _taken(condition: dict[str, Json], form: dict[str, object], initiator: int = ALICE) -> str:
    route = definition(condition_group("g", branch("match", condition, approver("a", users(CEO))),
                                       branch("other", {}, approver("b", users(HR)))))
    steps = preview_route(route, initiator_id=initiator, form=form, directory=org())
    return steps[0].branch_id


@pytest.mark.parametrize(("person", "taken"), [
    (FRANK, "match"),  # 市场一组, inside 市场部
    (BOB, "match"),  # 市场部 itself
    (DAVE, "other"),  # IT
])
def test_belongs_to_on_a_person_field_tests_the_persons_department(person: int,
                                                                    taken: str) -> None:
    condition: dict[str, Json] = {"field": "f_owner.department", "op": "belongs_to",
                                  "value": [MARKETING]}

    assert _taken(condition, {"f_owner": person}) == taken
    assert _taken(condition, {"f_owner": {"id": person}}) == taken
    assert _taken(condition, {"f_owner": [{"id": person}]}) == taken


def test_belongs_to_on_a_person_field_does_not_treat_the_user_id_as_a_department() -> None:
    # ERIN's user id equals the id of 市场一组 (under 市场部), but she works in 财务部.
    assert ERIN == MARKETING_TEAM
    condition: dict[str, Json] = {"field": "f_owner.department", "op": "belongs_to",
                                  "value": [MARKETING]}

    assert _taken(condition, {"f_owner": ERIN}) == "other"
    assert _taken({**condition, "value": [FINANCE]}, {"f_owner": ERIN}) == "match"


def test_not_belongs_to_on_several_people_holds_only_when_nobody_is_inside() -> None:
    condition: dict[str, Json] = {"field": "f_owner.department", "op": "not_belongs_to",
                                  "value": [FINANCE]}

    assert _taken(condition, {"f_owner": [ALICE, DAVE]}) == "match"
    assert _taken(condition, {"f_owner": [ALICE, CAROL]}) == "other"
    assert _taken(condition, {"f_owner": []}) == "match"


@pytest.mark.parametrize("value", [BOB, {"id": BOB}, [{"id": BOB}], [BOB, CAROL],
                                   str(BOB), [{"id": CAROL}, {"id": BOB}]])
def test_in_on_a_person_value_compares_ids_whatever_the_stored_shape(value: object) -> None:
    assert _taken({"field": "f_owner", "op": "in", "value": [BOB]}, {"f_owner": value}) == "match"
    assert _taken({"field": "f_owner", "op": "not_in", "value": [BOB]},
                  {"f_owner": value}) == "other"


def test_belongs_to_on_a_department_value_stored_as_an_object() -> None:
    condition: dict[str, Json] = {"field": "f_dept", "op": "belongs_to", "value": [MARKETING]}

    assert _taken(condition, {"f_dept": {"id": MARKETING_TEAM}}) == "match"
    assert _taken(condition, {"f_dept": [{"id": IT_DEPT}]}) == "other"


def test_engine_internals_used_by_the_designer_are_public() -> None:
    import sopflow.workflow.engine as engine
    from sopflow.workflow.engine import resolve, route

    assert engine.candidates is resolve.candidates
    assert engine.Context is resolve.Context
    assert engine.operand_resolver is route.operand_resolver
    assert engine.membership is route.membership
    assert {"candidates", "Context", "operand_resolver", "membership"} <= set(engine.__all__)


def test_chosen_by_initiator_keeps_its_role_scope_through_json() -> None:
    rule: dict[str, Json] = {"type": "chosen_by_initiator", "from": "role", "role": "finance",
                             "role_name": "财务", "scope": "department", "multiple": False}
    route = definition(approver("pick", rule))

    again = type(route).from_dict(route.to_dict())

    saved = again.to_dict()["child"]
    assert isinstance(saved, dict)
    assert isinstance(saved["approver_rule"], dict)
    assert saved["approver_rule"]["scope"] == "department"
    assert saved["approver_rule"]["role_name"] == "财务"
    assert again == route
