"""Draw Værn's two Teams icons with Pillow: a shield ("værn" means protection) holding a speech bubble
(someone to tell). Run once after changing the design; the PNGs it writes are committed:

    python -m manifest.icons

- `color.png`: 192×192, a white shield with an accent-coloured speech bubble on the accent colour.
- `outline.png`: 32×32, the same shield as a white outline with a white bubble, on transparency only.

Shapes are drawn at 8× and scaled down, which gives smooth edges without any colour but the ones chosen.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent
ACCENT = "#1D5A8C"
SUPERSAMPLE = 8
COLOR_SIZE = 192
OUTLINE_SIZE = 32

Point = tuple[float, float]
Box = tuple[float, float, float, float]


def _bezier(start: Point, control: Point, end: Point, steps: int = 48) -> list[Point]:
    """Points on a quadratic Bézier curve, start and end included."""
    points = []
    for n in range(steps + 1):
        t = n / steps
        x = (1 - t) ** 2 * start[0] + 2 * (1 - t) * t * control[0] + t**2 * end[0]
        y = (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * control[1] + t**2 * end[1]
        points.append((x, y))
    return points


def shield(box: Box) -> list[Point]:
    """A heater shield filling `box`: a gently arched top, straight sides, curved flanks to a point."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    middle = left + width / 2
    shoulder = top + height * 0.1
    waist = top + height * 0.5
    points = _bezier((left, shoulder), (middle, top - height * 0.06), (right, shoulder))
    points.append((right, waist))
    points += _bezier((right, waist), (right, top + height * 0.86), (middle, bottom))
    points += _bezier((middle, bottom), (left, top + height * 0.86), (left, waist))
    return points


def speech_bubble(draw: ImageDraw.ImageDraw, box: Box, fill: str | int) -> None:
    """A rounded speech bubble in `box`, its tail at the lower left."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    body_bottom = top + height * 0.78
    draw.rounded_rectangle((left, top, right, body_bottom), radius=height * 0.26, fill=fill)
    tail = [
        (left + width * 0.2, body_bottom - 1),
        (left + width * 0.12, bottom),
        (left + width * 0.46, body_bottom - 1),
    ]
    draw.polygon(tail, fill=fill)


def _scaled(box: Box, size: int, factor: int) -> Box:
    return tuple(value * size * factor for value in box)  # type: ignore[return-value]


def color_icon(size: int = COLOR_SIZE, accent: str = ACCENT) -> Image.Image:
    """The full-colour icon: white shield and accent-coloured bubble with three dots on the accent colour."""
    big = size * SUPERSAMPLE
    image = Image.new("RGB", (big, big), accent)
    draw = ImageDraw.Draw(image)
    draw.polygon(shield(_scaled((0.22, 0.17, 0.78, 0.86), size, SUPERSAMPLE)), fill="white")
    bubble = _scaled((0.33, 0.33, 0.67, 0.62), size, SUPERSAMPLE)
    speech_bubble(draw, bubble, accent)
    left, top, right, _ = bubble
    centre_y = top + (bubble[3] - top) * 0.39
    radius = (right - left) * 0.075
    for n in (-1, 0, 1):
        x = (left + right) / 2 + n * radius * 3.2
        draw.ellipse((x - radius, centre_y - radius, x + radius, centre_y + radius), fill="white")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def outline_icon(size: int = OUTLINE_SIZE) -> Image.Image:
    """The outline icon: white only, on transparency (Teams' rule), as an alpha mask over white."""
    big = size * SUPERSAMPLE
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    draw.polygon(shield(_scaled((0.11, 0.05, 0.89, 0.97), size, SUPERSAMPLE)), fill=255)
    draw.polygon(shield(_scaled((0.2, 0.15, 0.8, 0.86), size, SUPERSAMPLE)), fill=0)
    speech_bubble(draw, _scaled((0.3, 0.3, 0.7, 0.64), size, SUPERSAMPLE), 255)
    alpha = mask.resize((size, size), Image.Resampling.BOX)
    icon = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    icon.putalpha(alpha)
    return icon


def write_icons(folder: Path = HERE) -> list[Path]:
    """Draw both icons into `folder` and return their paths."""
    color_path, outline_path = folder / "color.png", folder / "outline.png"
    color_icon().save(color_path, optimize=True)
    outline_icon().save(outline_path, optimize=True)
    return [color_path, outline_path]


if __name__ == "__main__":
    for path in write_icons():
        print(f"wrote {path}")
