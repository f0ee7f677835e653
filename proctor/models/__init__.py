from .biometrics import BiometricConsent, ReferencePhoto
from .exams import Episode, Exam, ExamSession

__all__ = ["BiometricConsent", "Episode", "Exam", "ExamSession", "ReferencePhoto"]
