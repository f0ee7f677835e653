"""Issuing logins from a CSV list of students and parents.

The file has a header row; columns (English or Russian names, any order):

=============  ==============  =====================================================
column         aliases         meaning
=============  ==============  =====================================================
role           роль            ``student``/``ученик`` or ``parent``/``родитель``
full_name      фио             «Фамилия Имя [Отчество]»
group          группа          the student's study group (must exist); empty for parents
parent_of      родитель_для    for a parent: the child's full name in this file or an
                               existing student's login; several separated by «;»
email          email, почта    optional
=============  ==============  =====================================================

UTF-8 (with or without BOM) and Windows-1251 are accepted, with «,» or «;» as
the separator. The import is all-or-nothing: any bad row means nothing is
created, and every bad row is reported with its line number in one answer
(a row with a bad e-mail and another with an unknown group are both listed).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from server.school.access import can_manage_group
from server.school.models import ParentLink, StudyGroup
from server.spreadsheet import csv_text

from . import audit
from .models import Role, User, UserRole

MAX_FILE_BYTES = 1_000_000
MAX_ROWS = 5_000
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 (no 0/O/1/l)
PASSWORD_LENGTH = 10

COLUMN_ALIASES = {
    "role": "role",
    "роль": "role",
    "full_name": "full_name",
    "name": "full_name",
    "фио": "full_name",
    "group": "group",
    "группа": "group",
    "класс": "group",
    "parent_of": "parent_of",
    "родитель_для": "parent_of",
    "ребёнок": "parent_of",
    "ребенок": "parent_of",
    "email": "email",
    "e-mail": "email",
    "почта": "email",
}
REQUIRED_COLUMNS = ("role", "full_name")
ROLE_ALIASES = {
    "student": Role.STUDENT,
    "ученик": Role.STUDENT,
    "учащийся": Role.STUDENT,
    "студент": Role.STUDENT,
    "parent": Role.PARENT,
    "родитель": Role.PARENT,
}

# Russian → Latin for logins (GOST-like, readable); "ъ:" and "ь:" drop the letter.
_TRANSLIT_TABLE = (
    "а:a б:b в:v г:g д:d е:e ё:e ж:zh з:z и:i й:y к:k л:l м:m н:n о:o п:p р:r с:s т:t "
    "у:u ф:f х:kh ц:ts ч:ch ш:sh щ:shch ъ: ы:y ь: э:e ю:yu я:ya"
)
TRANSLIT = dict(pair.split(":") for pair in _TRANSLIT_TABLE.split(" "))


class ImportRejected(Exception):
    """The whole file was rejected; ``errors`` lists (line number, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class Row:
    line: int
    role: str
    last_name: str
    first_name: str
    middle_name: str
    group_name: str
    parent_of: list[str]
    email: str
    group: StudyGroup | None = None
    user: User | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


@dataclass
class IssuedLogin:
    full_name: str
    role: str
    group: str
    username: str
    password: str
    children: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    """Decode UTF-8 (BOM allowed) or Windows-1251; reject anything else."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected([(0, _("Файл больше %(n)d байт.") % {"n": MAX_FILE_BYTES})])
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
            return text
    raise ImportRejected([(0, _("Неизвестная кодировка: сохраните файл в UTF-8 или Windows-1251."))])


def normalise_name(name: str) -> str:
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").split()).casefold()


def transliterate(text: str) -> str:
    out = "".join(TRANSLIT.get(ch, ch) for ch in text.lower())
    return re.sub(r"[^a-z0-9]", "", out)


def make_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


@dataclass
class Parsed:
    """The file read row by row: good rows, (line, message) for every bad one, and the bad rows' names.

    Bad rows are kept as errors instead of stopping the import here, so that :func:`resolve` checks the
    good ones against the database in the same pass; their names let a parent row that names such a
    child say where the child's row went wrong instead of "not found".
    """

    rows: list[Row] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)  # normalised full name -> line


def parse(text: str) -> Parsed:
    """Read rows and check each one on its own; only a file without a usable header is rejected here."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise ImportRejected([(1, _("Файл пуст: нужна строка заголовков."))])
    columns = [COLUMN_ALIASES.get(h.strip().casefold()) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportRejected([(1, _("Нет обязательных столбцов: %(cols)s.") % {"cols": ", ".join(missing)})])

    parsed = Parsed()
    rows, errors = parsed.rows, parsed.errors
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append((line, _("Больше %(n)d строк в одном файле.") % {"n": MAX_ROWS}))
            break
        cells = {col: v.strip() for col, v in zip(columns, values, strict=False) if col}
        row_errors = []
        role = ROLE_ALIASES.get(cells.get("role", "").casefold())
        if role is None:
            row_errors.append(_("роль должна быть «ученик» или «родитель»"))
        parts = cells.get("full_name", "").split()
        if len(parts) < 2 or any(len(p) > 150 for p in parts):
            row_errors.append(_("ФИО: нужны хотя бы фамилия и имя"))
        email = cells.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row_errors.append(_("неверный e-mail «%(email)s»") % {"email": email})
        group_name = cells.get("group", "")
        parent_of = [p.strip() for p in cells.get("parent_of", "").split(";") if p.strip()]
        if role == Role.STUDENT and not group_name:
            row_errors.append(_("для ученика нужна группа"))
        if role == Role.PARENT and not parent_of:
            row_errors.append(_("для родителя нужен столбец parent_of (чей родитель)"))
        if row_errors:
            errors.append((line, "; ".join(row_errors)))
            parsed.rejected.setdefault(normalise_name(" ".join(parts)), line)
            continue
        assert role is not None  # an unknown role is a row error
        rows.append(
            Row(
                line=line,
                role=role,
                last_name=parts[0],
                first_name=parts[1],
                middle_name=" ".join(parts[2:]),
                group_name=group_name,
                parent_of=parent_of,
                email=email,
            )
        )
    if not rows and not errors:
        raise ImportRejected([(2, _("В файле нет ни одной строки с данными."))])
    return parsed


def resolve(parsed: Parsed, actor: User) -> dict[int, list[User | Row]]:
    """Check rows against the database and each other: each parent's children; errors go to ``parsed``."""
    rows, errors, rejected = parsed.rows, parsed.errors, parsed.rejected
    groups = {normalise_name(g.name): g for g in StudyGroup.objects.all()}
    students_in_file: dict[str, list[Row]] = {}
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        key = (row.role, normalise_name(row.full_name), normalise_name(row.group_name))
        if key in seen:
            errors.append((row.line, _("повтор строки: %(name)s") % {"name": row.full_name}))
            continue
        seen.add(key)
        if row.role != Role.STUDENT:
            continue
        group = groups.get(normalise_name(row.group_name))
        if group is None or not can_manage_group(actor, group):
            message = _("неизвестная группа «%(g)s»") if group is None else _("нет прав на группу «%(g)s»")
            errors.append((row.line, message % {"g": row.group_name if group is None else group.name}))
            rejected.setdefault(normalise_name(row.full_name), row.line)
            continue
        row.group = group
        if _existing_student(row, group):
            errors.append(
                (row.line, _("ученик %(name)s уже есть в группе %(g)s") % {"name": row.full_name, "g": group.name})
            )
            continue
        students_in_file.setdefault(normalise_name(row.full_name), []).append(row)

    children: dict[int, list[User | Row]] = {}
    for row in rows:
        if row.role != Role.PARENT:
            continue
        found: list[User | Row] = []
        for ref in row.parent_of:
            matches: list[User | Row] = list(students_in_file.get(normalise_name(ref), []))
            if not matches:
                matches = list(User.objects.filter(username=ref, role_set__role=Role.STUDENT))
            if not matches and normalise_name(ref) in rejected:
                line = rejected[normalise_name(ref)]
                errors.append(
                    (row.line, _("ребёнок «%(ref)s»: ошибка в его строке %(line)d") % {"ref": ref, "line": line})
                )
                continue
            if len(matches) != 1:
                message = _("ребёнок «%(ref)s» не найден") if not matches else _("ребёнок «%(ref)s» неоднозначен")
                errors.append((row.line, message % {"ref": ref}))
                continue
            child = matches[0]
            if isinstance(child, User) and not any(can_manage_group(actor, g) for g in child.study_groups.all()):
                errors.append((row.line, _("нет прав на ученика «%(ref)s»") % {"ref": ref}))
                continue
            found.append(child)
        children[row.line] = found
    return children


def _existing_student(row: Row, group: StudyGroup) -> bool:
    return group.students.filter(
        last_name__iexact=row.last_name, first_name__iexact=row.first_name, middle_name__iexact=row.middle_name
    ).exists()


class UsernameAllocator:
    """Readable unique logins: «Иванов Иван Петрович» → ``ivanov.ip``, then ``ivanov.ip2`` ..."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def allocate(self, row: Row) -> str:
        initials = transliterate(row.first_name)[:1] + transliterate(row.middle_name)[:1]
        base = f"{transliterate(row.last_name) or 'user'}.{initials}".strip(".")[:140]
        candidate, n = base, 1
        while candidate in self.taken or User.objects.filter(username__iexact=candidate).exists():
            n += 1
            candidate = f"{base}{n}"
        self.taken.add(candidate)
        return candidate


@transaction.atomic
def import_users(data: bytes, actor: User) -> list[IssuedLogin]:
    """Create every login in the file or none; return the sheet of issued logins."""
    parsed = parse(decode(data))
    children = resolve(parsed, actor)
    if parsed.errors:
        raise ImportRejected(sorted(parsed.errors))  # every bad row of the file, in one answer
    rows = parsed.rows
    usernames = UsernameAllocator()
    issued: list[IssuedLogin] = []
    for row in sorted(rows, key=lambda r: r.role != Role.STUDENT):  # students first
        password = make_password()
        user = User(
            username=usernames.allocate(row),
            last_name=row.last_name,
            first_name=row.first_name,
            middle_name=row.middle_name,
            email=row.email,
            must_change_password=True,
        )
        user.set_password(password)
        user.save()
        UserRole.objects.create(user=user, role=row.role)
        row.user = user
        names: list[str] = []
        if row.group is not None:
            row.group.students.add(user)
        for child in children.get(row.line, []):
            child_user = child.user if isinstance(child, Row) else child
            assert child_user is not None  # students' rows are issued first
            ParentLink.objects.create(parent=user, child=child_user)
            names.append(child_user.full_name)
        issued.append(IssuedLogin(row.full_name, row.role, row.group_name, user.username, password, names))

    audit.record(
        "accounts.import",
        actor=actor,
        created=len(issued),
        students=sum(1 for i in issued if i.role == Role.STUDENT),
        parents=sum(1 for i in issued if i.role == Role.PARENT),
    )
    return issued


def sheet_csv(issued: list[IssuedLogin]) -> str:
    """The login sheet as a CSV file for Russian Excel (server/spreadsheet.py)."""
    header = [_("ФИО"), _("Роль"), _("Группа"), _("Ребёнок"), _("Логин"), _("Пароль")]
    rows = ([i.full_name, Role(i.role).label, i.group, ", ".join(i.children), i.username, i.password] for i in issued)
    return csv_text(header, rows)
