"""stegokit: hide text, files and images in images.

The public API::

    import stegokit
    stegokit.embed_text("cover.png", "meet at noon", passphrase="...").save("out.png")
    stegokit.extract_text("out.png", passphrase="...").text
    stegokit.capacity("cover.png").lsb[1]
    stegokit.hide_image("cover.png", "secret.png").save("out.png")
    stegokit.reveal_image("out.png").save("secret-again.png")
"""

from importlib import import_module as _import_module

from .errors import (
    AuthenticationError,
    CapacityError,
    InputError,
    NoPayloadError,
    OutputError,
    StegokitError,
)

# The rest of the API is imported on first use, so that ``import stegokit`` (and every CLI
# command) loads NumPy, Pillow and the codecs only when it needs them.
_LAZY = {
    "CapacityReport": "api",
    "EmbedResult": "api",
    "Extraction": "api",
    "capacity": "api",
    "embed_text": "api",
    "extract_text": "api",
    "file_payload": "api",
    "Payload": "container",
    "HideResult": "imageapi",
    "RevealResult": "imageapi",
    "hide_image": "imageapi",
    "reveal_image": "imageapi",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
