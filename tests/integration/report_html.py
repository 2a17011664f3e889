#!/usr/bin/env python3
"""Checks on a health-sync report page, for report.sh (python3's standard
library only).

  report_html.py rows FILE          every table row as "cell|cell|...", one a line
  report_html.py wellformed FILE    the HTML nests properly; each <svg> parses as XML
  report_html.py offline FILE       nothing would be fetched: no src/href/url() elsewhere
  report_html.py accessible FILE    each chart is role="img" with a <title> and <desc>
  report_html.py colours PNG R,G,B ...   each colour is in the screenshot
  report_html.py distinct PNG       how many colours the screenshot has
"""
import html.parser
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

VOID = {"meta", "link", "br", "hr", "img", "input", "col", "wbr", "source", "area", "base"}


class Rows(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.row, self.cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append("|".join(self.row))
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


class Nesting(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>"
                               f" at line {self.getpos()[0]}")
            return
        self.stack.pop()


def rows(path):
    p = Rows()
    p.feed(open(path, encoding="utf-8").read())
    print("\n".join(p.rows))


def wellformed(path):
    text = open(path, encoding="utf-8").read()
    p = Nesting()
    p.feed(text)
    p.close()
    errors = p.errors + ([f"unclosed: {p.stack}"] if p.stack else [])
    svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
    for i, svg in enumerate(svgs):
        try:
            ET.fromstring(svg)
        except ET.ParseError as e:
            errors.append(f"svg {i}: {e}")
    if not text.startswith("<!DOCTYPE html>"):
        errors.append("no <!DOCTYPE html>")
    for e in errors[:10]:
        print("#", e)
    print(f"# {len(svgs)} svg fragments")
    return not errors and svgs


def offline(path):
    text = open(path, encoding="utf-8").read()
    bad = re.findall(r"""(?:src|href|xlink:href|action|srcset|poster|data)\s*=\s*["']?\s*(?!#)[^"'\s>]+""",
                     text, re.I)
    bad += re.findall(r"@import|url\(\s*['\"]?(?!#)", text, re.I)
    bad += re.findall(r"<(?:script|link|iframe|img|object|embed|base)\b", text, re.I)
    for b in bad[:10]:
        print("# external:", b)
    return not bad


def accessible(path):
    text = open(path, encoding="utf-8").read()
    ok = True
    for svg in re.findall(r"<svg\b.*?</svg>", text, re.S):
        root = ET.fromstring(svg)
        if root.get("aria-hidden") == "true":
            continue
        kids = [c.tag for c in root]
        if root.get("role") != "img" or kids[:2] != ["title", "desc"]:
            print("# not accessible:", svg[:120])
            ok = False
    return ok


def png_pixels(path):
    """Yields the rows of an 8-bit RGB or RGBA PNG as bytes (filters undone)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unexpected PNG format"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        prev = line
        yield bpp, bytes(line)


def colour_set(path):
    seen = set()
    for bpp, line in png_pixels(path):
        for i in range(0, len(line), bpp):
            seen.add(line[i:i + 3])
    return seen


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "rows":
        rows(path)
        return True
    if cmd == "wellformed":
        return wellformed(path)
    if cmd == "offline":
        return offline(path)
    if cmd == "accessible":
        return accessible(path)
    if cmd == "distinct":
        print(len(colour_set(path)))
        return True
    if cmd == "colours":
        seen = colour_set(path)
        missing = [c for c in sys.argv[3:] if bytes(int(x) for x in c.split(",")) not in seen]
        for c in missing:
            print("# colour not drawn:", c)
        return not missing
    raise SystemExit(__doc__)


sys.exit(0 if main() else 1)
