"""book/check_html.py: it passes a good page and fails a deliberately broken one.

The static pass (remote assets, broken links and anchors) needs no browser. The
browser tests need Chromium (Debian's ``chromium``; ``.ci/run`` installs it) and
are skipped without it, except under CI, where a missing browser is a failure.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book"))
import check_html  # noqa: E402

# Sphinx's own MathJax configuration: typeset only inside .math (and output areas).
MATHJAX_HEAD = """
<script>window.MathJax = {options: {processHtmlClass: "tex2jax_process|mathjax_process|math|output_area",
                                    ignoreHtmlClass: "tex2jax_ignore|mathjax_ignore|document"}}</script>
<script defer src="_static/mathjax/tex-chtml.js"></script>
"""
PNG_1x1 = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478"
                        "da63f8cfc0f01f0005000201a0a2f1f10000000049454e44ae426082")


def page(body: str, head: str = MATHJAX_HEAD) -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body class='document'>{body}</body></html>"


GOOD = page("""
<section id="top"><h1>Good</h1>
<p>Inline <span class="math notranslate nohighlight">\\(x^2 + y^2\\)</span> and a dollar in code: <code>$x$</code>.</p>
<div class="math notranslate nohighlight">\\[ p(x) = \\frac{e^{-E(x)}}{Z} \\]</div>
<p><a href="#top">up</a> <a href="other.html#there">other</a> <a href="https://example.org/">external</a></p>
<div class="cell"><div class="cell_output"><img src="figure.png" alt="figure"></div></div>
<p>The same thing, live:</p>
<div class="cell"><div class="cell_output"><script type="application/vnd.jupyter.widget-view+json">{"model_id": "a"}</script></div></div>
</section>""")
OTHER = page('<p id="there">there</p>', head="")


def site(tmp_path: Path, pages: dict[str, str], mathjax: bool = True) -> Path:
    html = tmp_path / "html"
    html.mkdir()
    (html / "index.html").write_text(page("<a href='good.html'>go</a>", head=""))
    (html / "figure.png").write_bytes(PNG_1x1)
    for name, text in pages.items():
        (html / name).write_text(text)
    if mathjax:
        spec = importlib.util.find_spec("sphinx-mathjax-offline")
        assert spec and spec.origin, "sphinx-mathjax-offline is not installed (the book extra)"
        shutil.copytree(Path(spec.origin).parent / "static" / "mathjax", html / "_static" / "mathjax")
    return html


def test_static_pass_accepts_a_good_page(tmp_path):
    html = site(tmp_path, {"good.html": GOOD, "other.html": OTHER})
    report = check_html.Report()
    check_html.static_check(html, report, [html / "good.html", html / "other.html"])
    assert not report, report.problems


def test_static_pass_finds_remote_assets_and_broken_links(tmp_path):
    bad = page("""<link rel="stylesheet" href="https://cdn.example.org/theme.css">
                  <style>@font-face { src: url(https://fonts.example.org/f.woff2); }</style>
                  <p><a href="missing.html">gone</a> <a href="other.html#nowhere">no anchor</a></p>
                  <img src="//cdn.example.org/logo.png">""",
               head='<script src="https://cdn.example.org/mathjax.js"></script>')
    html = site(tmp_path, {"bad.html": bad, "other.html": OTHER}, mathjax=False)
    (html / "_static").mkdir()
    (html / "_static" / "theme.css").write_text("@import 'https://fonts.example.org/css';")
    report = check_html.Report()
    check_html.static_check(html, report, [html / "bad.html"])
    text = "\n".join(m for ms in report.problems.values() for m in ms)
    for expected in ("remote script: https://cdn.example.org/mathjax.js", "remote stylesheet",
                     "remote resource: https://fonts.example.org/f.woff2", "remote img",
                     "broken link: missing.html", "no id 'nowhere'", "https://fonts.example.org/css"):
        assert expected in text, (expected, text)
    assert "example.org/\n" not in text   # an ordinary external <a href> is fine


def _need_chromium():
    if check_html.find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI has no Chromium: .ci/run should have installed Debian's chromium")
        pytest.skip("needs Chromium (apt-get install chromium)")


def test_browser_passes_a_good_page(tmp_path, capsys):
    _need_chromium()
    html = site(tmp_path, {"good.html": GOOD, "other.html": OTHER})
    code = check_html.main(["--html", str(html), "--screenshots", str(tmp_path / "shots")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert (tmp_path / "shots" / "good.png").stat().st_size > 1000


def test_browser_fails_a_broken_page(tmp_path, capsys):
    _need_chromium()
    broken = page("""
    <h1>Broken</h1>
    <p>Typeset: <span class="math notranslate nohighlight">\\(a+b\\)</span>. Left raw: $x$ and $$y$$.</p>
    <p>A typo: <span class="math notranslate nohighlight">\\(\\frac{1}\\)</span></p>
    <img src="does-not-exist.png" alt="gone">
    <div class="cell"><div class="cell_output"><script type="application/vnd.jupyter.widget-view+json">{}</script></div></div>
    <script>throw new Error("boom")</script>""")
    html = site(tmp_path, {"broken.html": broken, "good.html": GOOD, "other.html": OTHER})
    code = check_html.main(["--html", str(html), "--no-screenshots"])
    out = capsys.readouterr().out
    assert code == 1, out
    section = out.split("\nbroken.html:", 1)[1].split("\n\n", 1)[0]
    for expected in ("broken image: does-not-exist.png", "raw TeX left in the page: ", "$x$", "MathJax error",
                     "widget without a static figure", "JavaScript error: Error: boom"):
        assert expected in section, (expected, out)
    assert "good.html:" not in out, out


def test_browser_fails_a_real_page_broken_on_purpose(tmp_path, capsys):
    """The built intro page with an image path that does not exist and a raw $x$ fails; as built it passes."""
    built = ROOT / "_build" / "html"
    if not (built / "intro.html").is_file():
        if os.environ.get("CI"):
            pytest.fail("CI runs make book before make test: there should be a built book")
        pytest.skip("no built book (make book)")
    _need_chromium()
    html = tmp_path / "html"
    shutil.copytree(built, html)
    assert check_html.main(["--html", str(html), "--pages", "intro.html", "--no-screenshots"]) == 0, \
        capsys.readouterr().out
    capsys.readouterr()
    text = (html / "intro.html").read_text()
    assert "</article>" in text
    injected = '<p>An unrendered formula: $x$.</p><img src="_images/no-such-figure.png" alt="missing">'
    (html / "intro.html").write_text(text.replace("</article>", injected + "</article>", 1))
    code = check_html.main(["--html", str(html), "--pages", "intro.html", "--no-screenshots"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "broken image: _images/no-such-figure.png" in out, out
    assert "raw TeX left in the page: " in out and "formula: $x$." in out, out


def test_built_book_loads_nothing_remote_and_has_no_broken_links():
    """Every page of the built book: no remote script, stylesheet, font or image; in-book links resolve."""
    built = ROOT / "_build" / "html"
    if not (built / "intro.html").is_file():
        if os.environ.get("CI"):
            pytest.fail("CI runs make book before make test: there should be a built book")
        pytest.skip("no built book (make book)")
    report = check_html.Report()
    check_html.static_check(built, report, check_html.pages_of(built))
    assert not report, "\n".join(f"{page}: {m}" for page, ms in report.problems.items() for m in ms[:5])
