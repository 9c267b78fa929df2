"""The one colour table of the shapes world (also written in docs/model-format.md).

Flat RGB values chosen far apart so a procedural checker can name any pixel by nearest colour.
"""
COLORS = {
    "red": (220, 30, 30),
    "green": (30, 160, 50),
    "blue": (30, 70, 220),
    "yellow": (245, 220, 30),
    "orange": (245, 135, 10),
    "purple": (130, 40, 170),
    "pink": (250, 150, 205),
    "black": (15, 15, 15),
    "white": (245, 245, 245),
    "gray": (128, 128, 128),
}
COLOR_NAMES = list(COLORS)
SHAPES = ["circle", "square", "triangle"]
SIZES = ["small", "large"]
# 3x3 grid, row-major: (row, col)
POSITIONS = {
    "top left": (0, 0), "top": (0, 1), "top right": (0, 2),
    "left": (1, 0), "center": (1, 1), "right": (1, 2),
    "bottom left": (2, 0), "bottom": (2, 1), "bottom right": (2, 2),
}
POSITION_NAMES = list(POSITIONS)


def nearest_color(rgb):
    """Name of the palette colour closest (L2 in RGB) to an (r, g, b) triple."""
    r, g, b = (float(v) for v in rgb)
    return min(COLORS, key=lambda n: (COLORS[n][0] - r) ** 2 + (COLORS[n][1] - g) ** 2 + (COLORS[n][2] - b) ** 2)


def shape_caption(size, color, shape, position, bg):
    prep = "in the" if position == "center" else "at the"
    return f"a {size} {color} {shape} {prep} {position} on a {bg} background"


def parse_caption(text):
    """(size, color, shape, position, bg) of a shape caption, or None when the text is not one."""
    w = text.split()
    if len(w) < 10 or w[0] != "a" or w[-1] != "background" or w[-3:-1][0] != "a" or w[-4] != "on":
        return None
    size, color, shape, bg = w[1], w[2], w[3], w[-2]
    pos = " ".join(w[6:-4]) if w[4:6] in (["at", "the"], ["in", "the"]) else None
    if size not in SIZES or color not in COLORS or shape not in SHAPES or pos not in POSITIONS or bg not in COLORS:
        return None
    return size, color, shape, pos, bg
