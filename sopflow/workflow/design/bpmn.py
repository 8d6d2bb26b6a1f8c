"""BPMN 2.0 export and import of a flow (the subset a DingTalk-style tree can express).

Export: start event → user tasks (approver, handler) and send tasks (CC) → end event; condition
groups become exclusive gateways (split + join) with conditional sequence flows and a default
flow; parallel groups become parallel gateways. A diagram (BPMN DI) is laid out top to bottom
so standard modelers show it. Each element carries the lossless sopflow settings as an extension
element (namespace `SOPFLOW_NS`, see README.md in this package)::

    <bpmn:extensionElements>
      <sopflow:node key="finance" type="approver">{"approver_rule": {...}, "mode": "all"}</sopflow:node>
    </bpmn:extensionElements>

Conditions are also written as Python expressions (`f_budget > 50000`) so that engines such as
SpiffWorkflow can run the export; import reads the `sopflow:branch` extension, not those.

Import accepts the same subset and refuses anything else with a message naming the element.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # noqa: S405  # DOCTYPEs are refused before parsing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from sopflow.workflow.engine import Definition, DefinitionError
from sopflow.workflow.engine.values import JsonValue

from .conditions import as_decimal

BPMN_NS: Final = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS: Final = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS: Final = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS: Final = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
SOPFLOW_NS: Final = "https://sopflow.org/schema/bpmn/1"
PROCESS_ID: Final = "sopflow_process"

type JsonDict = dict[str, JsonValue]

_NCNAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_SIZES: Final = {"event": (36, 36), "task": (100, 80), "gateway": (50, 50)}
_ROW: Final = 130
_COLUMN: Final = 160
_STRUCTURAL: Final = frozenset({"type", "id", "name", "child", "branches"})
_TASK_CHILDREN: Final = frozenset({"incoming", "outgoing", "extensionElements", "documentation"})
_ALLOWED: Final = frozenset({"startEvent", "endEvent", "userTask", "sendTask", "serviceTask",
                             "exclusiveGateway", "parallelGateway", "sequenceFlow"})

for _prefix, _uri in (("bpmn", BPMN_NS), ("bpmndi", BPMNDI_NS), ("dc", DC_NS), ("di", DI_NS),
                      ("xsi", XSI_NS), ("sopflow", SOPFLOW_NS)):
    ET.register_namespace(_prefix, _uri)


class BpmnError(ValueError):
    """The XML is not in the supported subset; the Chinese message names the element."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


# --- export -------------------------------------------------------------------------------------

def export_bpmn(definition: Definition, *, name: str = "审批流程") -> str:
    """The flow as a BPMN 2.0 document (UTF-8 XML text with a diagram)."""
    writer = _Writer(name)
    writer.write(definition.to_dict())
    return writer.text()


def condition_expression(condition: Mapping[str, object]) -> str:
    """A Python expression equivalent to the condition, over variables named like the operands
    (`initiator.department` → `initiator_department`). `belongs_to` calls `sopflow_belongs`.
    """
    if not condition:
        return "True"
    for key, joiner in (("all", " and "), ("any", " or ")):
        if key in condition:
            parts = condition[key]
            items = parts if isinstance(parts, list) else []
            inner = joiner.join(f"({condition_expression(p)})" for p in items
                                if isinstance(p, Mapping))
            return inner or ("True" if key == "all" else "False")
    if "not" in condition and isinstance(condition["not"], Mapping):
        return f"not ({condition_expression(condition['not'])})"
    name = variable_name(str(condition.get("field")))
    op, value = str(condition.get("op")), condition.get("value")
    match op:
        case "is_empty":
            return f"not {name}"
        case "not_empty":
            return f"bool({name})"
        case "in" | "not_in":
            options = [str(v) for v in (value if isinstance(value, list) else [value])]
            hit = (f"any(str(v) in {options!r} for v in ({name} if isinstance({name}, list) "
                   f"else [{name}]))")
            return f"{name} is not None and {hit}" if op == "in" else f"not ({name} is not None and {hit})"
        case "contains" | "not_contains":
            options = [str(v) for v in (value if isinstance(value, list) else [value])]
            hit = f"any(o in ({name} or '') for o in {options!r})"
            return hit if op == "contains" else f"not ({hit})"
        case "belongs_to" | "not_belongs_to":
            containers = value if isinstance(value, list) else [value]
            call = f"sopflow_belongs({name}, {containers!r})"
            return call if op == "belongs_to" else f"not {call}"
        case "between":
            low, high = (value if isinstance(value, list) else [None, None])[:2]
            return f"{name} is not None and {_literal(low)} <= {name} <= {_literal(high)}"
        case _:
            symbol = {"eq": "==", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<",
                      "le": "<="}.get(op, "==")
            return f"{name} is not None and {name} {symbol} {_literal(value)}"


def variable_name(operand: str) -> str:
    return re.sub(r"\W", "_", operand)


def _literal(value: object) -> str:
    number = as_decimal(value)
    if number is not None and not isinstance(value, bool):
        return str(number) if number == number.to_integral_value() else repr(float(number))
    return repr(str(value))


@dataclass
class _Shape:
    xml_id: str
    kind: str  # event | task | gateway
    x: float
    y: float


@dataclass
class _Flow:
    source: str
    target: str
    branch: JsonDict | None = None  # the branch whose first flow this is


@dataclass
class _Writer:
    name: str
    root: ET.Element = field(init=False)
    process: ET.Element = field(init=False)
    shapes: list[_Shape] = field(default_factory=list)
    elements: dict[str, ET.Element] = field(default_factory=dict)
    flow_count: int = 0
    edges: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root = ET.Element(_q(BPMN_NS, "definitions"), {
            "id": "sopflow_definitions", "targetNamespace": SOPFLOW_NS,
            "exporter": "sopflow", "exporterVersion": "1"})
        self.process = ET.SubElement(self.root, _q(BPMN_NS, "process"), {
            "id": PROCESS_ID, "name": self.name, "isExecutable": "true"})

    def write(self, flow: JsonDict) -> None:
        total = _width(flow.get("child"))
        center = total * _COLUMN / 2 + 40
        start_id = self.element("startEvent", flow, "event", center, 40)
        ends, y = self.chain(_as_dict(flow.get("child")), center, 40 + _ROW,
                             [_Flow(start_id, "")])
        end_id = self.unique("end")
        self.add(ET.Element(_q(BPMN_NS, "endEvent"), {"id": end_id, "name": "结束"}),
                 end_id, "event", center, y)
        self.connect(ends, end_id)
        self.diagram()

    def chain(self, node: JsonDict | None, cx: float, y: float,
              incoming: list[_Flow]) -> tuple[list[_Flow], float]:
        while node is not None:
            kind = str(node.get("type"))
            if kind in ("approver", "handler", "cc"):
                tag = "sendTask" if kind == "cc" else "userTask"
                xml_id = self.element(tag, node, "task", cx, y)
                self.connect(incoming, xml_id)
                incoming, y = [_Flow(xml_id, "")], y + _ROW
            else:
                incoming, y = self.group(node, cx, y, incoming)
            node = _as_dict(node.get("child"))
        return incoming, y

    def group(self, node: JsonDict, cx: float, y: float,
              incoming: list[_Flow]) -> tuple[list[_Flow], float]:
        tag = "exclusiveGateway" if node.get("type") == "condition_group" else "parallelGateway"
        split = self.element(tag, node, "gateway", cx, y, direction="Diverging")
        self.connect(incoming, split)
        branches = [b for b in _as_list(node.get("branches")) if isinstance(b, dict)]
        widths = [_width(b.get("child")) for b in branches]
        left = cx - sum(widths) * _COLUMN / 2
        arriving: list[_Flow] = []
        bottom = y + _ROW
        for branch, width in zip(branches, widths, strict=True):
            bx = left + width * _COLUMN / 2
            left += width * _COLUMN
            ends, end_y = self.chain(_as_dict(branch.get("child")), bx, y + _ROW,
                                     [_Flow(split, "", branch)])
            arriving += ends
            bottom = max(bottom, end_y)
        join = self.unique(f"{node.get('id')}_join")
        attributes = {"id": join, "gatewayDirection": "Converging"}
        self.add(ET.Element(_q(BPMN_NS, tag), attributes), join, "gateway", cx, bottom)
        self.connect(arriving, join, group=node)
        return [_Flow(join, "")], bottom + _ROW

    def element(self, tag: str, node: JsonDict, kind: str, cx: float, y: float,
                direction: str = "") -> str:
        xml_id = self.unique(str(node.get("id")))
        attributes = {"id": xml_id, "name": str(node.get("name") or "")}
        if direction:
            attributes["gatewayDirection"] = direction
        element = ET.Element(_q(BPMN_NS, tag), attributes)
        settings = {k: v for k, v in node.items() if k not in _STRUCTURAL}
        extension = ET.SubElement(element, _q(BPMN_NS, "extensionElements"))
        holder = ET.SubElement(extension, _q(SOPFLOW_NS, "node"),
                               {"key": str(node.get("id")), "type": str(node.get("type"))})
        holder.text = json.dumps(settings, ensure_ascii=False, sort_keys=True)
        self.add(element, xml_id, kind, cx, y)
        return xml_id

    def add(self, element: ET.Element, xml_id: str, kind: str, cx: float, y: float) -> None:
        self.process.append(element)
        self.elements[xml_id] = element
        width, height = _SIZES[kind]
        self.shapes.append(_Shape(xml_id, kind, cx - width / 2, y))

    def connect(self, incoming: Sequence[_Flow], target: str,
                group: JsonDict | None = None) -> None:
        for flow in incoming:
            branch = flow.branch
            flow_id = self.unique(str(branch["id"])) if branch else self.flow_id()
            attributes = {"id": flow_id, "sourceRef": flow.source, "targetRef": target}
            if branch:
                attributes["name"] = str(branch.get("name") or "")
            element = ET.Element(_q(BPMN_NS, "sequenceFlow"), attributes)
            if branch is not None:
                self.branch_details(element, branch, flow.source, flow_id)
            self.process.append(element)
            ET.SubElement(self.elements[flow.source], _q(BPMN_NS, "outgoing")).text = flow_id
            ET.SubElement(self.elements[target], _q(BPMN_NS, "incoming")).text = flow_id
            self.edges.append((flow_id, flow.source, target))
        # incoming/outgoing must precede other children except extensionElements/documentation
        for xml_id in {flow.source for flow in incoming} | {target}:
            _order_children(self.elements[xml_id])

    def branch_details(self, element: ET.Element, branch: JsonDict, split: str,
                       flow_id: str) -> None:
        extension = ET.SubElement(element, _q(BPMN_NS, "extensionElements"))
        holder = ET.SubElement(extension, _q(SOPFLOW_NS, "branch"), {"key": str(branch["id"])})
        payload = {k: v for k, v in branch.items() if k not in ("id", "name", "child")}
        holder.text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        if "condition" not in branch:
            return
        condition = branch.get("condition")
        if condition:
            expression = ET.SubElement(element, _q(BPMN_NS, "conditionExpression"),
                                       {_q(XSI_NS, "type"): "bpmn:tFormalExpression"})
            expression.text = condition_expression(_as_dict(condition) or {})
        else:
            self.elements[split].set("default", flow_id)

    def flow_id(self) -> str:
        self.flow_count += 1
        return self.unique(f"flow_{self.flow_count}")

    def unique(self, wanted: str) -> str:
        xml_id = wanted if _NCNAME.fullmatch(wanted) else "n_" + wanted.encode().hex()
        while xml_id in self.elements or any(edge[0] == xml_id for edge in self.edges):
            xml_id += "_"
        return xml_id

    def diagram(self) -> None:
        diagram = ET.SubElement(self.root, _q(BPMNDI_NS, "BPMNDiagram"), {"id": "diagram"})
        plane = ET.SubElement(diagram, _q(BPMNDI_NS, "BPMNPlane"),
                              {"id": "plane", "bpmnElement": PROCESS_ID})
        boxes = {}
        for shape in self.shapes:
            width, height = _SIZES[shape.kind]
            node = ET.SubElement(plane, _q(BPMNDI_NS, "BPMNShape"),
                                 {"id": f"{shape.xml_id}_di", "bpmnElement": shape.xml_id})
            ET.SubElement(node, _q(DC_NS, "Bounds"), {
                "x": _num(shape.x), "y": _num(shape.y), "width": str(width),
                "height": str(height)})
            boxes[shape.xml_id] = (shape.x + width / 2, shape.y, shape.y + height)
        for flow_id, source, target in self.edges:
            sx, _, s_bottom = boxes[source]
            tx, t_top, _ = boxes[target]
            edge = ET.SubElement(plane, _q(BPMNDI_NS, "BPMNEdge"),
                                 {"id": f"{flow_id}_di", "bpmnElement": flow_id})
            points = [(sx, s_bottom), (tx, t_top)]
            if sx != tx:
                middle = s_bottom + 20 if tx != sx and t_top - s_bottom > 40 else t_top - 20
                points = [(sx, s_bottom), (sx, middle), (tx, middle), (tx, t_top)]
            for px, py in points:
                ET.SubElement(edge, _q(DI_NS, "waypoint"), {"x": _num(px), "y": _num(py)})

    def text(self) -> str:
        ET.indent(self.root)
        body = ET.tostring(self.root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _width(node: object) -> int:
    """Columns a chain needs: 1, or for groups the sum of their branches' widths."""
    widest = 1
    current = _as_dict(node)
    while current is not None:
        branches = [b for b in _as_list(current.get("branches")) if isinstance(b, dict)]
        if branches:
            widest = max(widest, sum(_width(b.get("child")) for b in branches))
        current = _as_dict(current.get("child"))
    return widest


def _order_children(element: ET.Element) -> None:
    rank = {"documentation": 0, "extensionElements": 1, "incoming": 2, "outgoing": 3}
    children = list(element)
    children.sort(key=lambda child: rank.get(_local(child.tag), 4))
    for child in list(element):
        element.remove(child)
    element.extend(children)


# --- import -------------------------------------------------------------------------------------

def import_bpmn(text: str | bytes) -> JsonDict:
    """Parse BPMN XML into a draft definition (normalised JSON). Raises BpmnError."""
    raw = text.encode() if isinstance(text, str) else text
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise BpmnError("BPMN 文件不能包含 DOCTYPE 或实体声明")
    try:
        root = ET.fromstring(raw)  # noqa: S314  # no DOCTYPE/entities (checked above)
    except ET.ParseError as error:
        raise BpmnError(f"不是有效的 XML：{error}") from None
    if root.tag != _q(BPMN_NS, "definitions"):
        raise BpmnError("不是 BPMN 2.0 文件（根元素应为 bpmn:definitions）")
    processes = [child for child in root if child.tag == _q(BPMN_NS, "process")]
    for child in root:
        if child.tag not in (_q(BPMN_NS, "process"), _q(BPMNDI_NS, "BPMNDiagram")) and (
                _local(child.tag) not in ("documentation", "extensionElements")):
            raise BpmnError(f"不支持的 BPMN 元素 {_describe(child)}")
    if len(processes) != 1:
        raise BpmnError("BPMN 文件必须正好包含一个流程（process）")
    reader = _Reader(processes[0])
    try:
        return Definition.from_dict(reader.read()).to_dict()
    except DefinitionError as error:
        raise BpmnError(f"导入后的流程无效：{error}") from None


class _Reader:
    def __init__(self, process: ET.Element) -> None:
        self.nodes: dict[str, ET.Element] = {}
        self.flows: dict[str, ET.Element] = {}
        self.outgoing: dict[str, list[ET.Element]] = {}
        self.incoming: dict[str, list[ET.Element]] = {}
        self.visited: set[str] = set()
        for element in process:
            local = _local(element.tag)
            if local in ("documentation", "extensionElements") and element.tag.startswith(
                    "{" + BPMN_NS):
                continue
            if element.tag != _q(BPMN_NS, local) or local not in _ALLOWED:
                raise BpmnError(f"不支持的 BPMN 元素 {_describe(element)}")
            xml_id = element.get("id") or ""
            if local == "sequenceFlow":
                self.flows[xml_id] = element
            else:
                self.check_children(element, local)
                self.nodes[xml_id] = element
        for flow in self.flows.values():
            source, target = flow.get("sourceRef") or "", flow.get("targetRef") or ""
            if source not in self.nodes or target not in self.nodes:
                raise BpmnError(f"顺序流 {_describe(flow)} 连接了不存在的元素")
            self.outgoing.setdefault(source, []).append(flow)
            self.incoming.setdefault(target, []).append(flow)

    def check_children(self, element: ET.Element, local: str) -> None:
        for child in element:
            if _local(child.tag) not in _TASK_CHILDREN:
                raise BpmnError(f"{_describe(element)} 中有不支持的内容 {_local(child.tag)}"
                                f"（例如定时、消息或多实例设置）")
        if local == "serviceTask" and self.extension(element, "node") is None:
            raise BpmnError(f"不支持的 BPMN 元素 {_describe(element)}（服务任务只支持 sopflow 抄送）")

    def read(self) -> JsonDict:
        starts = [e for e in self.nodes.values() if _local(e.tag) == "startEvent"]
        if len(starts) != 1:
            raise BpmnError("流程必须正好有一个开始事件")
        start = starts[0]
        self.visited.add(start.get("id") or "")
        data = self.node_data(start, "start")
        data["name"] = data.get("name") or "发起人"
        child, stop = self.chain(self.single_next(start))
        if stop is not None:
            raise BpmnError(f"汇合网关 {_describe(self.nodes[stop])} 没有对应的分支网关")
        data["child"] = child
        unreached = [e for key, e in self.nodes.items() if key not in self.visited]
        if unreached:
            raise BpmnError(f"元素 {_describe(unreached[0])} 从开始事件无法到达")
        return data

    def chain(self, xml_id: str) -> tuple[JsonDict | None, str | None]:
        """The node chain starting at `xml_id` and where it stops: a join id, or None (end)."""
        element = self.nodes[xml_id]
        local = _local(element.tag)
        if local == "endEvent":
            self.visited.add(xml_id)
            return None, None
        if local == "startEvent":
            raise BpmnError(f"{_describe(element)}：流程中不能回到开始事件")
        if local.endswith("Gateway") and len(self.incoming.get(xml_id, [])) > 1:
            return None, xml_id
        if xml_id in self.visited:
            raise BpmnError(f"{_describe(element)}：流程中有循环，不支持")
        self.visited.add(xml_id)
        if local in ("userTask", "sendTask", "serviceTask"):
            kind = "approver" if local == "userTask" else "cc"
            node = self.node_data(element, kind)
            node["child"], stop = self.chain(self.single_next(element))
            return node, stop
        outgoing = self.outgoing.get(xml_id, [])
        if len(outgoing) == 1:  # a pass-through gateway adds nothing
            return self.chain(outgoing[0].get("targetRef") or "")
        return self.group(element, local, outgoing)

    def group(self, element: ET.Element, local: str,
              outgoing: list[ET.Element]) -> tuple[JsonDict | None, str | None]:
        kind = "condition_group" if local == "exclusiveGateway" else "parallel_group"
        node = self.node_data(element, kind)
        default = element.get("default")
        if kind == "condition_group":
            if default is None:
                raise BpmnError(f"{_describe(element)} 没有默认流（其他情况）；请在建模器中设置默认流")
            outgoing = sorted(outgoing, key=lambda flow: flow.get("id") == default)
        branches: list[JsonValue] = []
        stops: set[str | None] = set()
        for flow in outgoing:
            branch = self.branch_data(flow, kind, is_default=flow.get("id") == default)
            branch["child"], stop = self.chain(flow.get("targetRef") or "")
            stops.add(stop)
            branches.append(branch)
        node["branches"] = branches
        if len(stops) != 1:
            raise BpmnError(f"{_describe(element)} 的分支没有汇合到同一个网关")
        join = stops.pop()
        if join is None:
            node["child"] = None
            return node, None
        join_element = self.nodes[join]
        if _local(join_element.tag) != local:
            raise BpmnError(f"{_describe(element)} 与汇合网关 {_describe(join_element)} 类型不同")
        self.visited.add(join)
        node["child"], stop = self.chain(self.single_next(join_element))
        return node, stop

    def single_next(self, element: ET.Element) -> str:
        outgoing = self.outgoing.get(element.get("id") or "", [])
        if len(outgoing) != 1:
            raise BpmnError(f"{_describe(element)} 必须正好有一条流出的顺序流")
        if outgoing[0].find(_q(BPMN_NS, "conditionExpression")) is not None:
            raise BpmnError(f"顺序流 {_describe(outgoing[0])} 的条件只能用在排他网关之后")
        return outgoing[0].get("targetRef") or ""

    def node_data(self, element: ET.Element, kind: str) -> JsonDict:
        holder = self.extension(element, "node")
        settings: JsonDict = {}
        node_id = element.get("id") or ""
        if holder is not None:
            settings = _json_object(holder.text, element)
            node_id = holder.get("key") or node_id
            kind = holder.get("type") or kind
        if kind in ("approver", "handler", "cc") and "approver_rule" not in settings:
            settings["approver_rule"] = {"type": "manager", "level": 1}
        return {**settings, "type": kind, "id": node_id, "name": element.get("name") or node_id}

    def branch_data(self, flow: ET.Element, kind: str, *, is_default: bool) -> JsonDict:
        holder = self.extension(flow, "branch")
        branch_id = flow.get("id") or ""
        settings: JsonDict = {}
        if holder is not None:
            settings = _json_object(holder.text, flow)
            branch_id = holder.get("key") or branch_id
        if kind == "condition_group":
            if is_default:
                settings["condition"] = {}
            elif not settings.get("condition"):
                settings["condition"] = {"not": {}}  # set in the designer before publishing
        else:
            settings.pop("condition", None)
        return {**settings, "id": branch_id, "name": flow.get("name") or branch_id}

    @staticmethod
    def extension(element: ET.Element, name: str) -> ET.Element | None:
        extension = element.find(_q(BPMN_NS, "extensionElements"))
        return None if extension is None else extension.find(_q(SOPFLOW_NS, name))


def _json_object(text: str | None, element: ET.Element) -> JsonDict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        raise BpmnError(f"{_describe(element)} 的 sopflow 扩展不是有效的 JSON") from None
    if not isinstance(value, dict):
        raise BpmnError(f"{_describe(element)} 的 sopflow 扩展必须是对象")
    return value


def _describe(element: ET.Element) -> str:
    name = element.get("name")
    label = f"“{name}”" if name else ""
    return f"{_local(element.tag)}{label}（id={element.get('id') or '无'}）"


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def _as_dict(value: object) -> JsonDict | None:
    return value if isinstance(value, dict) else None


def _as_list(value: object) -> list[JsonValue]:
    return value if isinstance(value, list) else []
