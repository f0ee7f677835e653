"""LTI roles → what the person may do in the course's study group (a pure mapping; docs/lms.md has the table).

A launch gives rights in *its course's group only*, and never more than the LMS role says:

* ``membership#Learner`` → student of the group;
* ``membership#Instructor`` → teacher of the group (sets and supervises the course's exams, holds its lessons);
* ``Administrator`` (course, institution or system) → curator of the group — never our school-wide
  administrator: an LMS administrator runs the LMS, not this school's data;
* ``membership#Mentor`` → what the platform's registration says (:attr:`lti.models.Platform.mentor_role`):
  parent of the learners the LMS names in ``role_scope_mentor``, curator of the group, or nothing.

Sub-roles (``membership/Instructor#TeachingAssistant``) and roles not listed here give nothing: a person whose
launch maps to nothing is refused with a page saying so, rather than let in as someone they are not.
"""

from __future__ import annotations

from enum import StrEnum

from .models import Platform

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = LIS + "membership#Learner"
INSTRUCTOR = LIS + "membership#Instructor"
MENTOR = LIS + "membership#Mentor"
ADMINISTRATORS = frozenset(
    {LIS + "membership#Administrator", LIS + "institution/person#Administrator", LIS + "system/person#Administrator"}
)


class CourseRole(StrEnum):
    """A place in the course's study group (the school's words for the LMS's roles)."""

    STUDENT = "student"
    TEACHER = "teacher"
    CURATOR = "curator"
    PARENT = "parent"


def course_roles(claimed: list[str], platform: Platform) -> frozenset[CourseRole]:
    """Our roles in the course for the LTI roles a launch (or a roster entry) names.

    Context roles may come as simple names (``Learner``), which LTI 1.3 deprecates but some rosters still send.
    """
    found: set[CourseRole] = set()
    names = {name if name.startswith("http") else LIS + "membership#" + name for name in claimed}
    if LEARNER in names:
        found.add(CourseRole.STUDENT)
    if INSTRUCTOR in names:
        found.add(CourseRole.TEACHER)
    if names & ADMINISTRATORS:
        found.add(CourseRole.CURATOR)
    if MENTOR in names and platform.mentor_role:
        found.add(CourseRole(platform.mentor_role))
    return frozenset(found)


def may_place_links(roles: frozenset[CourseRole]) -> bool:
    """Deep Linking (adding an exam or a lesson to the course) is for the course's teachers and curators."""
    return bool(roles & {CourseRole.TEACHER, CourseRole.CURATOR})


def supervises(roles: frozenset[CourseRole]) -> bool:
    return may_place_links(roles)
