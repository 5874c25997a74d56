"""Draw the brand images in custom_components/ev_energy/brand/ (icon 256/512 px, logo).

Our own simple drawing: a lightning bolt in a rounded green square. Run: .venv/bin/python scripts/make_brand.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = Path(__file__).resolve().parent.parent / "custom_components" / "ev_energy" / "brand"
GREEN = (0, 168, 107, 255)
WHITE = (255, 255, 255, 255)
# A bolt on a 100 x 100 grid.
BOLT = [(58, 8), (22, 56), (46, 56), (38, 92), (78, 40), (54, 40), (62, 8)]


def draw_icon(size: int) -> Image.Image:
    """Return the square icon at the given size."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=GREEN)
    draw.polygon([(x * size / 100, y * size / 100) for x, y in BOLT], fill=WHITE)
    return image


def draw_logo(height: int) -> Image.Image:
    """Return the logo: the icon followed by a wordmark-like bar, on a transparent background."""
    width = height * 3
    logo = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    logo.paste(draw_icon(height), (0, 0))
    draw = ImageDraw.Draw(logo)
    bar = height // 6
    for row, length in enumerate((1.0, 0.7)):
        top = height // 3 + row * 2 * bar
        draw.rounded_rectangle(
            (height + bar, top, height + bar + int((width - height - 2 * bar) * length), top + bar),
            radius=bar // 2,
            fill=GREEN,
        )
    # Home Assistant's brand rules: trimmed, no empty margin; the longer bar ends short of the canvas.
    return logo.crop(logo.getbbox())


def main() -> None:
    """Write the brand images."""
    BRAND.mkdir(parents=True, exist_ok=True)
    draw_icon(256).save(BRAND / "icon.png")
    draw_icon(512).save(BRAND / "icon@2x.png")
    draw_logo(256).save(BRAND / "logo.png")
    draw_logo(512).save(BRAND / "logo@2x.png")


if __name__ == "__main__":
    main()
