"""In-memory `Directory` for engine tests, simulators and other apps' pure tests (no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Person:
    id: int
    name: str
    department_id: int | None = None
    manager_id: int | None = None
    position_id: int | None = None
    company_id: int | None = 1
    roles: set[str] = field(default_factory=set)
    is_active: bool = True


@dataclass
class Department:
    id: int
    name: str
    parent_id: int | None = None
    head_ids: list[int] = field(default_factory=list)


@dataclass
class FakeDirectory:
    """A small org held in dicts. Role holders are global (scopes narrow by company only,
    and by department subtree when `role_departments` says where a holder's role applies)."""

    people: dict[int, Person] = field(default_factory=dict)
    departments: dict[int, Department] = field(default_factory=dict)
    admins: list[int] = field(default_factory=list)
    role_departments: dict[tuple[int, str], int] = field(default_factory=dict)

    def add_person(self, person: Person) -> Person:
        self.people[person.id] = person
        return person

    def add_department(self, department: Department) -> Department:
        self.departments[department.id] = department
        return department

    def name_of(self, user_id: int) -> str:
        person = self.people.get(user_id)
        return person.name if person else f"用户{user_id}"

    def is_active(self, user_id: int) -> bool:
        person = self.people.get(user_id)
        return person is not None and person.is_active

    def manager_of(self, user_id: int, level: int = 1) -> int | None:
        current: int | None = user_id
        for _ in range(level):
            person = self.people.get(current) if current is not None else None
            current = person.manager_id if person else None
        return current

    def department_of(self, user_id: int) -> int | None:
        person = self.people.get(user_id)
        return person.department_id if person else None

    def department_ancestors(self, department_id: int) -> list[int]:
        ancestors: list[int] = []
        department = self.departments.get(department_id)
        while department is not None and department.parent_id is not None:
            ancestors.append(department.parent_id)
            department = self.departments.get(department.parent_id)
        return ancestors

    def department_name(self, department_id: int) -> str:
        department = self.departments.get(department_id)
        return department.name if department else f"部门{department_id}"

    def heads_of(self, department_id: int) -> list[int]:
        department = self.departments.get(department_id)
        return list(department.head_ids) if department else []

    def company_of(self, user_id: int) -> int | None:
        person = self.people.get(user_id)
        return person.company_id if person else None

    def holders_of_role(self, role: str, *, company_id: int | None,
                        department_id: int | None) -> list[int]:
        found = []
        for person in sorted(self.people.values(), key=lambda p: p.id):
            if role not in person.roles:
                continue
            if company_id is not None and person.company_id != company_id:
                continue
            scope = self.role_departments.get((person.id, role))
            if department_id is not None and scope is not None and not (
                    scope == department_id or scope in self.department_ancestors(department_id)):
                continue
            found.append(person.id)
        return found

    def holders_of_position(self, position_id: int) -> list[int]:
        return sorted(p.id for p in self.people.values() if p.position_id == position_id)

    def roles_of(self, user_id: int) -> set[str]:
        person = self.people.get(user_id)
        return set(person.roles) if person else set()

    def position_of(self, user_id: int) -> int | None:
        person = self.people.get(user_id)
        return person.position_id if person else None

    def process_admins(self) -> list[int]:
        return list(self.admins)
