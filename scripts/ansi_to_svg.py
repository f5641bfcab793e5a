#!/usr/bin/env python3
"""Render a terminal capture with colours (`tmux capture-pane -p -e`) as an SVG picture.

Usage: ansi_to_svg.py CAPTURE.ansi OUT.svg [--title TEXT]

Handles the SGR codes tmux writes (bold, underline, reverse, the 16 basic colours and the
256-colour palette's first 16 entries); one <text> run per stretch of cells with one style, on a
fixed grid so box-drawing and block characters line up. Used for docs/img/watch-dashboard.svg.
"""
import html
import re
import sys

# xterm's default 16 colours.
PALETTE = [
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
]
FG, BG = "#d0d0d0", "#1c1c1c"
CW, CH = 8.4, 17  # cell width and height in px (14 px DejaVu Sans Mono)


def colour(n):
    return PALETTE[n] if n < 16 else FG


def parse(line):
    """Yields (char, style) per cell; style = (fg, bg, bold, underline, reverse)."""
    st = [None, None, False, False, False]
    for tok in re.split(r"(\x1b\[[0-9;]*m)", line):
        if tok.startswith("\x1b["):
            codes = [int(c) if c else 0 for c in tok[2:-1].split(";")]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    st = [None, None, False, False, False]
                elif c == 1:
                    st[2] = True
                elif c == 4:
                    st[3] = True
                elif c == 7:
                    st[4] = True
                elif c == 22:
                    st[2] = False
                elif c == 24:
                    st[3] = False
                elif c == 27:
                    st[4] = False
                elif 30 <= c <= 37:
                    st[0] = colour(c - 30)
                elif 90 <= c <= 97:
                    st[0] = colour(c - 90 + 8)
                elif c == 39:
                    st[0] = None
                elif 40 <= c <= 47:
                    st[1] = colour(c - 40)
                elif c == 49:
                    st[1] = None
                elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
                    st[0 if c == 38 else 1] = colour(codes[i + 2])
                    i += 2
                i += 1
        else:
            for ch in tok:
                yield ch, tuple(st)


def main():
    src, out = sys.argv[1], sys.argv[2]
    title = sys.argv[sys.argv.index("--title") + 1] if "--title" in sys.argv else None
    rows = [list(parse(l)) for l in open(src, encoding="utf-8").read().rstrip("\n").split("\n")]
    width = max(len(r) for r in rows)
    top = 24 if title else 0
    w, h = width * CW + 16, len(rows) * CH + 16 + top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.0f} {h:.0f}">',
        f'<rect width="100%" height="100%" fill="{BG}" rx="6"/>',
        '<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14px" xml:space="preserve">',
    ]
    if title:
        parts.append(f'<text x="8" y="18" fill="#8a8a8a">{html.escape(title)}</text>')
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            st = row[x][1]
            run = ""
            while x < len(row) and row[x][1] == st:
                run += row[x][0]
                x += 1
            start = x - len(run)
            fg, bg, bold, under, rev = st
            fg, bg = fg or FG, bg
            if rev:
                fg, bg = (bg or BG), (st[0] or FG)
            px, py = 8 + start * CW, 8 + top + y * CH
            if bg:
                parts.append(f'<rect x="{px:.1f}" y="{py}" width="{len(run) * CW:.1f}" height="{CH}" fill="{bg}"/>')
            if run.strip():
                attrs = f'fill="{fg}"' + (' font-weight="bold"' if bold else "") + (' text-decoration="underline"' if under else "")
                parts.append(
                    f'<text x="{px:.1f}" y="{py + 13}" {attrs} textLength="{len(run) * CW:.1f}" lengthAdjust="spacingAndGlyphs">{html.escape(run)}</text>'
                )
    parts.append("</g></svg>")
    open(out, "w", encoding="utf-8").write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
