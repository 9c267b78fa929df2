"""Emoji set: every single-codepoint Noto Color Emoji glyph that renders, on white, captioned by Unicode name."""
import unicodedata

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
FONT_SIZE = 109  # the only size the CBDT bitmap font accepts
# Codepoint ranges that hold emoji; glyph presence is tested by rendering.
RANGES = [(0x2190, 0x21FF), (0x2300, 0x23FF), (0x2460, 0x27BF), (0x2900, 0x297F), (0x2B00, 0x2BFF),
          (0x3030, 0x303D), (0x3297, 0x3299), (0x1F000, 0x1FAFF)]
MAX_CAPTION_WORDS = 10


def _render_raw(font, ch):
    canvas = Image.new("RGBA", (160, 160), (255, 255, 255, 0))
    ImageDraw.Draw(canvas).text((8, 8), ch, font=font, embedded_color=True)
    return canvas


def _to_64(canvas, size):
    """Crop to the glyph's alpha bbox, pad to square, composite on white, resize to size x size."""
    bbox = canvas.getchannel("A").getbbox()
    if bbox is None:
        return None
    glyph = canvas.crop(bbox)
    side = max(glyph.size) + 8
    sq = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    sq.alpha_composite(glyph, ((side - glyph.size[0]) // 2, (side - glyph.size[1]) // 2))
    return np.asarray(sq.convert("RGB").resize((size, size), Image.LANCZOS), dtype=np.uint8)


def build(size=64):
    """Returns (images_NHW3 uint8, captions). Deterministic: fixed codepoint order, no randomness."""
    font = ImageFont.truetype(FONT_PATH, FONT_SIZE)
    missing = np.asarray(_render_raw(font, "\U000F0000"))  # private-use: renders as .notdef (or nothing)
    images, captions, seen = [], [], set()
    for lo, hi in RANGES:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            name = unicodedata.name(ch, "")
            if not name:
                continue
            caption = name.lower()
            if len(caption.split()) > MAX_CAPTION_WORDS or caption in seen:
                continue
            raw = _render_raw(font, ch)
            arr = np.asarray(raw)
            if arr[..., 3].max() == 0 or np.array_equal(arr, missing):
                continue
            img = _to_64(raw, size)
            if img is None:
                continue
            seen.add(caption)
            images.append(img)
            captions.append(caption)
    return np.stack(images), captions


def thumbnails_NF(images_NHW3, side=16):
    """side x side box-averaged pixels, flattened: layout and colour, not the fine texture a tiny model cannot draw."""
    a = np.asarray(images_NHW3, dtype=np.float32)
    n, h, w, c = a.shape
    return a.reshape(n, side, h // side, side, w // side, c).mean((2, 4)).reshape(n, -1)


def retrieval_ranks(generated_NHW3, glyphs_GHW3, true_idx):
    """For each generated image, how many glyphs are strictly nearer (L2 of thumbnails) than its own glyph
    glyphs[true_idx[n]]: 0 means its own glyph is the nearest of all."""
    d_NG = ((thumbnails_NF(generated_NHW3)[:, None] - thumbnails_NF(glyphs_GHW3)[None]) ** 2).sum(-1)
    idx = np.asarray(true_idx)
    return (d_NG < d_NG[np.arange(len(idx)), idx][:, None]).sum(1)
