from .biometrics import BiometricConsent, ReferencePhoto  # noqa: F401
from .exams import Episode, Exam, ExamSession  # noqa: F401
