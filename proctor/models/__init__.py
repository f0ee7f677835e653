from .exams import Episode, Exam, ExamSession  # noqa: F401
