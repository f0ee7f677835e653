"""The demo school that `make run` and the tests start from.

Every demo login's password is ``<username>-demo`` — shown by `make run` and in
README.md. Demo data is for trying the platform out, never for production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction

from server.accounts.models import Role, User, UserRole

from .models import ParentLink, StudyGroup

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import ManyRelatedManager

DEMO_GROUPS = ("9А", "10Б")


@dataclass(frozen=True)
class DemoUser:
    username: str
    last_name: str
    first_name: str
    middle_name: str
    roles: tuple[Role, ...]
    group: str = ""  # students: their group; staff: the group they curate/teach
    children: tuple[str, ...] = ()

    @property
    def password(self) -> str:
        return f"{self.username}-demo"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Админов", "Алексей", "Павлович", (Role.ADMIN,)),
    DemoUser("director", "Директорова", "Валентина", "Ивановна", (Role.DIRECTOR,)),
    DemoUser("curator", "Кураторова", "Ольга", "Николаевна", (Role.CURATOR,), group="9А"),
    DemoUser("curator2", "Смирнов", "Пётр", "Андреевич", (Role.CURATOR,), group="10Б"),
    DemoUser("teacher", "Учителев", "Сергей", "Викторович", (Role.TEACHER,), group="9А"),
    DemoUser("teacher2", "Лебедева", "Анна", "Сергеевна", (Role.TEACHER,), group="10Б"),
    DemoUser("proctor", "Прокторов", "Игорь", "Олегович", (Role.PROCTOR,)),
    DemoUser("student", "Иванов", "Иван", "Петрович", (Role.STUDENT,), group="9А"),
    DemoUser("student2", "Петрова", "Мария", "Александровна", (Role.STUDENT,), group="9А"),
    DemoUser("student3", "Сидоров", "Никита", "Олегович", (Role.STUDENT,), group="10Б"),
    DemoUser("parent", "Иванова", "Елена", "Викторовна", (Role.PARENT,), children=("student",)),
    DemoUser("parent2", "Сидорова", "Наталья", "Игоревна", (Role.PARENT,), children=("student3",)),
)


def demo_exists() -> bool:
    return User.objects.filter(username="admin", role_set__role=Role.ADMIN).exists()


@transaction.atomic
def seed() -> list[DemoUser]:
    """Create the demo school (idempotent: existing users and groups are reused)."""
    groups = {name: StudyGroup.objects.get_or_create(name=name)[0] for name in DEMO_GROUPS}
    users: dict[str, User] = {}
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username,
            defaults={"last_name": demo.last_name, "first_name": demo.first_name, "middle_name": demo.middle_name},
        )
        if created:
            user.email = f"{demo.username}@demo.classroom.local"
            user.set_password(demo.password)
            user.save()
        for role in demo.roles:
            UserRole.objects.get_or_create(user=user, role=role)
        users[demo.username] = user
        if demo.group:
            group = groups[demo.group]
            relations: dict[Role, ManyRelatedManager[User, Any]] = {
                Role.CURATOR: group.curators,
                Role.TEACHER: group.teachers,
                Role.STUDENT: group.students,
            }
            relations[demo.roles[0]].add(user)
    for demo in DEMO_USERS:
        for child in demo.children:
            ParentLink.objects.get_or_create(parent=users[demo.username], child=users[child])
    return list(DEMO_USERS)
