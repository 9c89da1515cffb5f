"""Sphinx extension of the book (registered in _config.yml under ``sphinx.local_extensions``).

* Before any page is read, draws the landing page's figures with ``ebmbook``
  (``book/figures.py``) into ``book/_generated/``, so they are regenerated in
  every build like the chapters' figures.
* Adds ``book/static/ebmbook.css``: where a chapter displays an ipywidgets
  explorer, the HTML (which has no kernel) shows a short note in its place; the
  static figure next to it carries the content.
* Fixes three things in the theme stack that ``make check-html`` finds on every page:

  - sphinx-thebe (always loaded by Jupyter Book 1, although ``launch_buttons.thebe``
    is off) puts its inline configuration into every page twice, a JavaScript
    ``SyntaxError`` (``const THEBE_JS_URL`` declared twice); thebe needs a remote
    kernel and CDN anyway, so its scripts are left out of the pages;
  - pydata-sphinx-theme logs ``console.error("Got invalid theme mode")`` when the
    ``default_mode`` template variable is empty, as Jupyter Book leaves it: it is
    set to ``auto`` (follow the reader's light or dark setting);
  - sphinx.ext.viewcode links a source file's "[docs]" entries to the first public
    module documented from that file, so when objects of one file are documented
    under two packages (``ebmbook.metrics.ais`` is seen through
    ``ebmbook.models``' inherited members first) the links point at ids that do
    not exist: each file's links are pointed at the module that documents them.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _draw_figures(app) -> None:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    import figures

    t0 = time.perf_counter()
    paths = figures.generate(HERE / "_generated")
    print(f"ebmbook_book: drew {len(paths)} landing-page figures in {time.perf_counter() - t0:.1f} s")


def _add_static(app, config) -> None:
    config.html_static_path = [*config.html_static_path, str(HERE / "static")]


def _page_context(app, pagename, templatename, context, doctree) -> None:
    context["default_mode"] = context.get("default_mode") or "auto"
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [
            js for js in scripts
            if "sphinx-thebe" not in (getattr(js, "filename", None) or str(js))
            and "THEBE_JS_URL" not in ((getattr(js, "attributes", None) or {}).get("body") or "")
        ]


def _fix_viewcode_backlinks(app):
    env = app.builder.env
    modules = getattr(env, "_viewcode_modules", None)
    if not modules:
        return []
    objects = env.get_domain("py").objects
    for modname, entry in list(modules.items()):
        if not entry:
            continue
        code, tags, used, refname = entry
        if not used or all(f"{refname}.{name}" in objects for name in used):
            continue
        candidates: dict[str, int] = {}
        for name in used:
            for key in objects:
                if key.endswith("." + name):
                    owner = key[: -len(name) - 1]
                    candidates[owner] = candidates.get(owner, 0) + 1
        if candidates:
            modules[modname] = (code, tags, used, max(candidates, key=candidates.get))
    return []


def setup(app):
    app.connect("config-inited", _add_static)
    app.connect("builder-inited", _draw_figures)
    app.connect("html-page-context", _page_context)
    # before sphinx.ext.viewcode's own html-collect-pages handler (priority 500) writes the pages
    app.connect("html-collect-pages", _fix_viewcode_backlinks, priority=400)
    app.add_css_file("ebmbook.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
