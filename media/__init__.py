"""Photo intake and storage: sniffing, limits, EXIF, variants, content-addressed files."""

from media.errors import MediaError
from media.images import ProcessedImage, Variant, process_image
from media.sniff import sniff_content_type
from media.storage import MediaStore

__all__ = [
    "MediaError",
    "MediaStore",
    "ProcessedImage",
    "Variant",
    "process_image",
    "sniff_content_type",
]
