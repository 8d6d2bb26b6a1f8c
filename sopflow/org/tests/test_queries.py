"""Reading the org: the chart tree with counts and people, department pages."""

from __future__ import annotations

from sopflow.org import queries
from sopflow.org.models import Company, Department, User
from sopflow.org.queries import PersonEntry
from sopflow.org.tests.builders import build_department, build_position, build_user


def test_tree_counts_direct_and_sub_tree_members_and_lists_people(
        company: Company, marketing: Department, alice: User, bob: User, carol: User) -> None:
    brand = build_department(company, name="品牌组", code="brand", parent=marketing)
    zhao = build_user(company, name="赵磊", employee_no="M010", department=brand)
    build_user(company, name="离职者", employee_no="M011", department=brand, is_active=False)
    carol.secondary_departments.add(brand)

    roots = queries.department_tree(company, with_people=True)

    assert [node.department.code for node in roots] == ["marketing", "finance"]
    marketing_node = roots[0]
    assert (marketing_node.member_count, marketing_node.total_count) == (2, 3)
    assert marketing_node.children[0].people == [PersonEntry(zhao.pk, "赵磊", "M010"),
                                                 PersonEntry(carol.pk, "冯静", "C001", True)]
    assert [(node.department.code, depth) for node, depth in queries.flatten_tree(roots)] == [
        ("marketing", 0), ("brand", 1), ("finance", 0)]


def test_disabled_departments_are_left_out_unless_asked_for(company: Company, marketing: Department) -> None:
    build_department(company, code="old", is_active=False)

    assert [n.department.code for n in queries.department_tree(company)] == ["marketing"]
    assert [n.department.code for n in queries.department_tree(company, include_inactive=True)] == [
        "marketing", "old"]


def test_department_page_lists_path_members_and_positions(company: Company, marketing: Department,
                                                          alice: User, bob: User) -> None:
    brand = build_department(company, name="品牌组", code="brand", parent=marketing)
    designer = build_position(company, name="设计师", code="designer")
    member = build_user(company, name="郭露", employee_no="M020", department=brand, position=designer)
    alice.secondary_departments.add(brand)

    page = queries.department_page(brand)

    assert page.path == [marketing]
    assert page.members == [member]
    assert page.secondary_members == [alice]
    assert page.positions == [designer]
