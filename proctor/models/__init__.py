from .biometrics import BiometricConsent, ReferencePhoto
from .exams import Episode, Exam, ExamSession
from .media import MediaWorker
from .recordings import AttemptRecording, RecordingPiece

__all__ = [
    "AttemptRecording",
    "BiometricConsent",
    "Episode",
    "Exam",
    "ExamSession",
    "MediaWorker",
    "RecordingPiece",
    "ReferencePhoto",
]
