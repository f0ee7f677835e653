from .biometrics import BiometricConsent, ReferencePhoto
from .exams import Episode, Exam, ExamSession
from .media import MediaWorker

__all__ = ["BiometricConsent", "Episode", "Exam", "ExamSession", "MediaWorker", "ReferencePhoto"]
