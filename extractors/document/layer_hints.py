"""Which pages' own text goes beside their images in a request (`--text-layer`)."""

from collections.abc import Iterable

from extractors.options import TextLayerMode
from extractors.records import DocumentLayout


def layer_texts(
    layout: DocumentLayout, pages: Iterable[int], mode: TextLayerMode, per_page: bool
) -> dict[int, str]:
    """Page -> its text layer, for the pages whose layer is sent beside their image.

    `hint` sends any layer, an old OCR's included. Otherwise only a usable layer is sent, and
    only to a document schema: for `page_text` a usable layer is the row itself (no request).
    """
    if mode == TextLayerMode.OFF or (per_page and mode != TextLayerMode.HINT):
        return {}
    texts = {}
    for page in pages:
        layer = layout.text_layer(page)
        if layer is not None and layer.text and (mode == TextLayerMode.HINT or layer.usable):
            texts[page] = layer.text
    return texts
