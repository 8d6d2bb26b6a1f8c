from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sopflow.workflow.design.bpmn import BpmnError, export_bpmn, import_bpmn, variable_name
from sopflow.workflow.design.simulate import route_node_ids, simulate
from sopflow.workflow.engine import Definition

from .fixtures import ALICE, SCHEMA, org, s1_flow, s2_flow, s3_flow, s8_flow

BUILTIN = Path(__file__).resolve().parents[2] / "builtin"


def _concrete(node: Any) -> Any:
    """Built-in flows name people symbolically; tests use each rule's company-independent fallback."""
    if isinstance(node, list):
        return [_concrete(item) for item in node]
    if isinstance(node, dict):
        if "$people" in node:
            return dict(node["fallback"])
        return {key: _concrete(value) for key, value in node.items()}
    return node


def _flows() -> list[tuple[str, dict[str, Any]]]:
    found = [("S1", s1_flow()), ("S2", s2_flow()), ("S3", s3_flow()), ("S8", s8_flow())]
    for path in sorted(BUILTIN.glob("*.json")):
        found.append((path.stem, _concrete(json.loads(path.read_text("utf-8"))["flow"])))
    return found


FLOWS = _flows()


@pytest.mark.parametrize(("case", "flow"), FLOWS, ids=[case for case, _ in FLOWS])
def test_export_reimports_to_the_same_definition(case: str, flow: dict[str, Any]) -> None:
    definition = Definition.from_dict(flow)

    again = import_bpmn(export_bpmn(definition, name=case))

    assert again == definition.to_dict()


@pytest.mark.parametrize(("case", "flow"), FLOWS, ids=[case for case, _ in FLOWS])
def test_export_validates_against_the_bpmn_xsd(case: str, flow: dict[str, Any]) -> None:
    etree = pytest.importorskip("lxml.etree")
    spiff = pytest.importorskip("SpiffWorkflow")
    schema_dir = Path(spiff.__file__).parent / "bpmn" / "parser" / "schema"
    schema = etree.XMLSchema(etree.parse(str(schema_dir / "BPMN20.xsd")))

    document = etree.fromstring(export_bpmn(Definition.from_dict(flow)).encode())

    assert schema.validate(document), schema.error_log


@pytest.mark.parametrize(("case", "flow"), FLOWS, ids=[case for case, _ in FLOWS])
def test_spiffworkflow_parses_the_export(case: str, flow: dict[str, Any]) -> None:
    spec = _spiff_spec(export_bpmn(Definition.from_dict(flow)))

    assert spec.name == "sopflow_process"


@pytest.mark.parametrize(("budget", "expected"), [
    ("200000", ["head", "vp", "finance", "notify_hr"]),
    ("30000", ["head", "vp", "notify_hr"]),
    ("50000", ["head", "vp", "notify_hr"]),
])
def test_spiffworkflow_takes_the_same_route_as_the_simulation(budget: str,
                                                              expected: list[str]) -> None:
    definition = Definition.from_dict(s2_flow())
    ours = route_node_ids(simulate(definition, schema=SCHEMA, directory=org(),
                                   initiator_id=ALICE, form={"f_budget": budget}))

    theirs = _spiff_route(export_bpmn(definition), {"f_budget": Decimal(budget)})

    assert ours == expected
    assert theirs == ours


@pytest.mark.parametrize(("case", "flow"), FLOWS, ids=[case for case, _ in FLOWS])
def test_spiffworkflow_visits_the_same_nodes_for_every_flow(case: str,
                                                            flow: dict[str, Any]) -> None:
    definition = Definition.from_dict(flow)
    form: dict[str, Any] = {"f_budget": Decimal("80000"), "f_amount": Decimal("80000"),
                            "f_days": Decimal("5"), "f_repairer": ALICE}
    ours = route_node_ids(simulate(definition, schema=SCHEMA, directory=org(),
                                   initiator_id=ALICE, form=form))

    theirs = _spiff_route(export_bpmn(definition), form)

    assert sorted(theirs) == sorted(ours)


@pytest.mark.parametrize("resubmit_to", ["start", "returner"])
def test_the_start_nodes_resubmit_setting_survives_export_and_import(resubmit_to: str) -> None:
    definition = Definition.from_dict({**s1_flow(), "resubmit_to": resubmit_to,
                                       "withdraw_after_decision": True})

    xml = export_bpmn(definition, name="S1")
    again = import_bpmn(xml)

    assert f'"resubmit_to": "{resubmit_to}"' in xml
    assert (again["resubmit_to"], again["withdraw_after_decision"]) == (resubmit_to, True)
    assert Definition.from_dict(again) == definition


def test_import_refuses_elements_outside_the_subset_naming_them() -> None:
    xml = export_bpmn(Definition.from_dict(s1_flow())).replace(
        "<bpmn:endEvent", '<bpmn:scriptTask id="calc" name="计算" /><bpmn:endEvent', 1)

    with pytest.raises(BpmnError) as error:
        import_bpmn(xml)

    assert error.value.message == "不支持的 BPMN 元素 scriptTask“计算”（id=calc）"


def test_import_refuses_a_timer_on_a_task() -> None:
    xml = export_bpmn(Definition.from_dict(s1_flow())).replace(
        '<bpmn:userTask id="head" name="部门负责人审核">',
        '<bpmn:userTask id="head" name="部门负责人审核"><bpmn:standardLoopCharacteristics />', 1)

    with pytest.raises(BpmnError, match="userTask“部门负责人审核”（id=head） 中有不支持的内容"):
        import_bpmn(xml)


def test_import_refuses_an_exclusive_gateway_without_default_flow() -> None:
    xml = export_bpmn(Definition.from_dict(s2_flow())).replace(' default="other"', "")

    with pytest.raises(BpmnError, match="exclusiveGateway“预算规则”（id=budget_rule） 没有默认流"):
        import_bpmn(xml)


def test_a_plain_modeler_diagram_imports_with_defaults() -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="a" sourceRef="s" targetRef="g" />
    <bpmn:exclusiveGateway id="g" name="金额" default="b2" />
    <bpmn:sequenceFlow id="b1" name="大额" sourceRef="g" targetRef="t">
      <bpmn:conditionExpression>amount &gt; 5</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="b2" name="其他" sourceRef="g" targetRef="j" />
    <bpmn:userTask id="t" name="经理审批" /><bpmn:sequenceFlow id="c" sourceRef="t" targetRef="j" />
    <bpmn:exclusiveGateway id="j" /><bpmn:sequenceFlow id="e" sourceRef="j" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""

    draft = import_bpmn(xml)

    group = draft["child"]
    assert group["type"] == "condition_group"  # type: ignore[index]
    assert [b["condition"] for b in group["branches"]] == [{"not": {}}, {}]  # type: ignore[index]
    assert group["branches"][0]["child"]["approver_rule"] == {"type": "manager", "level": 1}  # type: ignore[index]


def test_import_refuses_doctype() -> None:
    with pytest.raises(BpmnError, match="DOCTYPE"):
        import_bpmn('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')


# --- SpiffWorkflow helpers ------------------------------------------------------------------------

def _spiff_spec(xml: str) -> Any:
    pytest.importorskip("SpiffWorkflow")
    from SpiffWorkflow.bpmn.parser import BpmnParser

    parser = BpmnParser()
    parser.add_bpmn_str(xml.encode())
    return parser.get_spec("sopflow_process")


def _spiff_route(xml: str, form: dict[str, Any]) -> list[str]:
    """Run SpiffWorkflow, approving every user task; the task and CC nodes it visits, in order."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
    from SpiffWorkflow.util.task import TaskState

    directory = org()

    def belongs(value: Any, containers: list[int]) -> bool:
        return value is not None and any(
            value == c or c in directory.department_ancestors(value) for c in containers)

    engine = PythonScriptEngine(environment=TaskDataEnvironment({"sopflow_belongs": belongs}))
    workflow = BpmnWorkflow(_spiff_spec(xml), script_engine=engine)
    data = {variable_name(key): None for key in ("f_budget", "f_kind", "f_dept", "f_amount",
                                                  "initiator.department")}
    data |= {variable_name(key): value for key, value in form.items()}
    data["initiator_department"] = directory.department_of(ALICE)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    workflow.do_engine_steps()
    while not workflow.is_completed():
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        assert ready, "SpiffWorkflow stopped without a ready task"
        ready[0].run()
        workflow.do_engine_steps()
    kinds = ("UserTask", "SendTask")
    return [task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.COMPLETED)
            if type(task.task_spec).__name__ in kinds]
