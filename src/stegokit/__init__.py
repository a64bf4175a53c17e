"""stegokit: hide text, files and images in images.

The public API::

    import stegokit
    stegokit.embed_text("cover.png", "meet at noon", passphrase="...").save("out.png")
    stegokit.extract_text("out.png", passphrase="...").text
    stegokit.capacity("cover.png").lsb[1]
    stegokit.hide_image("cover.png", "secret.png").save("out.png")
    stegokit.reveal_image("out.png").save("secret-again.png")
"""

from .api import (
    CapacityReport,
    EmbedResult,
    Extraction,
    capacity,
    embed_text,
    extract_text,
    file_payload,
)
from .container import Payload
from .errors import (
    AuthenticationError,
    CapacityError,
    InputError,
    NoPayloadError,
    OutputError,
    StegokitError,
)
from .imageapi import HideResult, RevealResult, hide_image, reveal_image

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "CapacityError",
    "CapacityReport",
    "EmbedResult",
    "Extraction",
    "HideResult",
    "InputError",
    "NoPayloadError",
    "OutputError",
    "Payload",
    "RevealResult",
    "StegokitError",
    "capacity",
    "embed_text",
    "extract_text",
    "file_payload",
    "hide_image",
    "reveal_image",
]
