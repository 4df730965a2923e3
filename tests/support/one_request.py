"""A prepared one-page request, for tests that drive the endpoint client directly."""

from pathlib import Path

from markers import make_marked_image
from PIL import Image

from extractors.records import ChunkPlan, PlannedPage, PreparedRequest, RenderedImage, SourceFile


def one_page_request(folder: Path) -> PreparedRequest:
    """A request carrying one marked PNG, drawn in `folder`."""
    path = folder / "img_1.png"
    make_marked_image(path, 1)
    with Image.open(path) as image:
        width, height = image.size
    data = path.read_bytes()
    source = SourceFile(str(path), "0" * 64, "png")
    image = RenderedImage(1, width, height, "image/png", data)
    return PreparedRequest("r1", source, ChunkPlan((PlannedPage(1, width, height, 10),)), (image,))
