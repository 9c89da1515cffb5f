"""Open every page of the built book in headless Chromium, with the network cut off, and check it.

Usage::

    make check-html                                  # after `make book`
    .venv/bin/python book/check_html.py [--html _build/html] [--screenshots _build/screenshots]

Two passes over every ``*.html`` file under the build (``_static/`` and
``_sources/`` excepted):

1. **Static**, on the files: no page or stylesheet refers to a remote script,
   stylesheet, font or image (``http://``, ``https://`` or ``//`` URLs in
   ``<script src>``, ``<link href>``, ``<img src>``, CSS ``url()`` and
   ``@import``); every link and image inside the book points at a file that
   exists, and every ``#fragment`` at an element id on the target page.
2. **In the browser**: the build folder is served on 127.0.0.1 and Chromium
   is started with ``--host-resolver-rules`` that map every host name to
   nothing, so no page can load anything from the internet; a request that
   leaves 127.0.0.1 anyway is reported. After each page has loaded and MathJax
   has typeset it, the page fails on

   * a JavaScript error (an uncaught exception, ``console.error``, or a
     resource that failed to load);
   * a broken image (loaded with no pixels);
   * unrendered mathematics: a ``.math`` element MathJax did not typeset, a
     MathJax error, or raw TeX (``$$``, ``$x$``, ``\\(``, ``\\[``,
     ``\\begin{``) left in the page's text outside code;
   * a Jupyter widget with no static figure next to it (the HTML book has no
     kernel, so a figure in the same cell or in a code cell at most three
     elements before or after it must show the same content).

   A screenshot of each page (1280 px wide, the full page up to 12000 px
   high) goes to ``--screenshots`` for people to look at.

Exit status 0 when every page passes, 1 when any fails (each problem is
printed with its page), 2 when the check itself cannot run (no build, no
Chromium). Chromium is ``$CHROMIUM``, else ``chromium`` or
``chromium-browser`` or ``google-chrome`` on the PATH; Debian's package is
``chromium`` (``.ci/run`` installs it). The DevTools protocol is spoken over a
websocket with ``websocket-client``.
"""
from __future__ import annotations

import argparse
import base64
import functools
import html.parser
import http.server
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = ("_static", "_sources")
REMOTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//")          # http://, https://, //host
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")
SCREENSHOT_WIDTH = 1280
SCREENSHOT_MAX_HEIGHT = 12000


@dataclass
class Report:
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, page: str, message: str) -> None:
        self.problems.setdefault(page, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.problems)


def pages_of(html_dir: Path) -> list[Path]:
    return sorted(p for p in html_dir.rglob("*.html")
                  if p.relative_to(html_dir).parts[0] not in SKIP_DIRS)


# --------------------------------------------------------------------------- static pass
class _Scan(html.parser.HTMLParser):
    """Collects ids, links, and the URLs of scripts, stylesheets, images and inline styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []          # <a href>
        self.assets: list[tuple[str, str]] = []   # (what, url) the page loads
        self._in_style = False
        self.styles: list[str] = []
        self.redirect: str | None = None     # <meta http-equiv="refresh" content="0; url=...">

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if tag == "a" and a.get("href") is not None:
            self.links.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.assets.append(("script", a["src"]))
        elif tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower().split()
            if {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "prefetch"} & set(rel):
                self.assets.append(("stylesheet" if "stylesheet" in rel else "+".join(rel), a["href"]))
        elif tag in ("img", "source", "video", "audio", "iframe", "embed") and a.get("src"):
            self.assets.append((tag, a["src"]))
        elif tag == "object" and a.get("data"):
            self.assets.append((tag, a["data"]))
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "refresh":
            m = re.search(r"url\s*=\s*['\"]?([^'\";]+)", a.get("content") or "", re.I)
            self.redirect = m.group(1).strip() if m else ""
        if tag == "style":
            self._in_style = True
        if a.get("style"):
            self.styles.append(a["style"])

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


@functools.lru_cache(maxsize=None)
def _scan(path: Path) -> _Scan:
    scan = _Scan()
    scan.feed(path.read_text(encoding="utf-8", errors="replace"))
    return scan


def _local_target(html_dir: Path, page: Path, url: str) -> tuple[Path, str] | None:
    """The file and fragment a relative URL on ``page`` points at (None for other schemes)."""
    if SCHEME.match(url) or url.startswith("//"):
        return None
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path)
    if not path:
        target = page
    elif path.startswith("/"):
        target = html_dir / path.lstrip("/")
    else:
        target = page.parent / path
    target = Path(posixpath.normpath(str(target)))
    if target.is_dir():
        target = target / "index.html"
    return target, urllib.parse.unquote(parts.fragment)


def static_check(html_dir: Path, report: Report, pages: list[Path]) -> None:
    """Remote assets, broken links and images, and missing anchors, read off the files."""
    for page in pages:
        name = page.relative_to(html_dir).as_posix()
        scan = _scan(page)
        for what, url in scan.assets:
            if REMOTE.match(url):
                report.add(name, f"loads a remote {what}: {url}")
            else:
                t = _local_target(html_dir, page, url)
                if t and not t[0].is_file():
                    report.add(name, f"{what} not found: {url}")
        for style in scan.styles:
            for m in CSS_URL.finditer(style):
                url = m.group(1) or m.group(2)
                if REMOTE.match(url):
                    report.add(name, f"inline style loads a remote resource: {url}")
        if scan.redirect is not None:
            t = _local_target(html_dir, page, scan.redirect)
            if t is not None and not t[0].is_file():
                report.add(name, f"redirects to a page that does not exist: {scan.redirect}")
        for href in scan.links:
            t = _local_target(html_dir, page, href)
            if t is None:
                continue
            target, fragment = t
            if not target.exists():
                report.add(name, f"broken link: {href} (no {target.relative_to(html_dir) if target.is_relative_to(html_dir) else target})")
            elif fragment and target.suffix == ".html" and fragment not in _scan(target).ids:
                report.add(name, f"broken link: {href} (no id {fragment!r} on that page)")
    for css in sorted(html_dir.rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for m in CSS_URL.finditer(text):
            url = m.group(1) or m.group(2)
            if REMOTE.match(url):
                report.add(css.relative_to(html_dir).as_posix(), f"stylesheet loads a remote resource: {url}")


# --------------------------------------------------------------------------- the browser
def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log
        pass


def serve(html_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(_Quiet, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class Browser:
    """Headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, executable: str, timeout: float = 60.0):
        import websocket  # websocket-client

        self._timeout_error = websocket.WebSocketTimeoutException
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="check-html-chromium-")
        args = [executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-quic",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                # the network is cut off: every host name resolves to nothing (127.0.0.1 is a literal)
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--window-size={SCREENSHOT_WIDTH},900", "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}", "about:blank"]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.is_file() and port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"Chromium ({executable}) did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as r:
            targets = json.load(r)
        url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
        self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True,
                                              enable_multithread=True)
        self._id = 0
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params) -> dict:
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method}: no answer in {self.timeout:.0f} s")
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = 0
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event
            seen = len(self.events)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} in {timeout or self.timeout:.0f} s")
            self.ws.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                message = json.loads(self.ws.recv())
            except self._timeout_error:
                continue
            finally:
                self.ws.settimeout(self.timeout)
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True,
                           timeout=int(self.timeout * 1000))
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"].get("text", "exception") + ": "
                               + json.dumps(result["exceptionDetails"].get("exception", {}).get("description")))
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        height = int(min(max(size["height"], 600), SCREENSHOT_MAX_HEIGHT))
        self.call("Emulation.setDeviceMetricsOverride", width=SCREENSHOT_WIDTH, height=height,
                  deviceScaleFactor=1, mobile=False)
        try:
            shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        finally:
            self.call("Emulation.clearDeviceMetricsOverride")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


# Runs in the page once it has loaded: waits for MathJax's typesetting, fonts and images,
# then returns what check_page judges.
PROBE = r"""
(async () => {
  const wait = (ms) => new Promise(r => setTimeout(r, ms));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await Promise.race([MathJax.startup.promise, wait(30000)]);
  }
  await Promise.race([document.fonts.ready, wait(10000)]);
  await Promise.race([Promise.all([...document.images].map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); }))), wait(10000)]);
  const out = {};
  out.brokenImages = [...document.images].filter(i => !(i.complete && i.naturalWidth > 0))
                                          .map(i => i.getAttribute('src'));
  const math = [...document.querySelectorAll('.math')];
  out.mathCount = math.length;
  out.mathUnrendered = math.filter(e => !e.querySelector('mjx-container'))
                           .map(e => e.textContent.trim().slice(0, 80));
  out.mathErrors = [...document.querySelectorAll('mjx-merror')]
                       .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 120));
  const skip = 'script, style, pre, code, textarea, kbd, samp, .highlight, mjx-container, .MathJax, '
             + 'mjx-assistive-mml, .linenos, [class*="widget-view"]';
  const raw = /\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|(^|[^\\$])\$(?=[^\s$])[^$\n]{0,200}?[^\s\\$]\$(?!\d)|(^|[^\\$])\$[^\s$]\$/;
  out.rawTex = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    const m = n.textContent.match(raw);
    if (m) {
      const i = Math.max(0, m.index - 20);
      out.rawTex.push(n.textContent.slice(i, i + 80).replace(/\s+/g, ' ').trim());
    }
  }
  const widgets = [...document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"], .jupyter-widgets, .widget-area')]
      .filter(w => !w.parentElement.closest('.jupyter-widgets, .widget-area'));
  const hasFigure = (el) => !!el && [...el.querySelectorAll('img, svg')].some(
      i => i.tagName.toLowerCase() === 'svg' ? i.getBoundingClientRect().width > 50 : i.naturalWidth > 0);
  out.widgets = widgets.map(w => {
    const cell = w.closest('.cell') || w.parentElement;
    let ok = hasFigure(cell);
    for (const dir of ['previousElementSibling', 'nextElementSibling']) {
      let sib = cell[dir];
      for (let k = 0; k < 3 && sib && !ok; k++, sib = sib[dir]) {
        if (sib.matches('.cell') || sib.matches('figure')) ok = hasFigure(sib);
      }
    }
    const heading = cell.closest('section')?.querySelector('h1, h2, h3, h4');
    return {ok, where: heading ? heading.textContent.replace(/[#¶]/g, '').trim().slice(0, 60) : '?'};
  });
  return out;
})()
"""


def _local(url: str, base: str) -> bool:
    return url.startswith(base) or url.startswith(("data:", "blob:", "about:", "chrome", "devtools:"))


def check_page(browser: Browser, base: str, name: str, report: Report, screenshot: Path | None) -> None:
    browser.events.clear()
    url = base + urllib.parse.quote(name)
    browser.call("Page.navigate", url=url)
    browser.wait_for("Page.loadEventFired")
    probe = browser.evaluate(PROBE)
    if screenshot is not None:
        browser.screenshot(screenshot)
    status: dict[str, tuple[str, int]] = {}
    favicon = base + "favicon.ico"   # Chromium asks for it by itself; the book names no favicon
    for e in browser.events:
        method, p = e["method"], e.get("params", {})
        if favicon in json.dumps(p):
            continue
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            text = d.get("exception", {}).get("description") or d.get("text", "")
            report.add(name, f"JavaScript error: {text.splitlines()[0] if text else d}")
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            report.add(name, f"console.{p['type']}: {args[:200]}")
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            entry = p["entry"]
            report.add(name, f"browser error ({entry.get('source')}): {entry.get('text', '')[:200]} "
                             f"{entry.get('url', '')}".rstrip())
        elif method == "Network.requestWillBeSent":
            req_url = p["request"]["url"]
            status[p["requestId"]] = (req_url, 0)
            if not _local(req_url, base):
                report.add(name, f"request leaves the book (network is cut off): {req_url[:200]}")
        elif method == "Network.responseReceived":
            status[p["requestId"]] = (p["response"]["url"], p["response"]["status"])
        elif method == "Network.loadingFailed" and not p.get("canceled"):
            req_url = status.get(p["requestId"], ("?", 0))[0]
            if _local(req_url, base):
                report.add(name, f"failed to load {req_url.removeprefix(base)}: {p.get('errorText')}")
    for req_url, code in status.values():
        if code >= 400 and _local(req_url, base):
            report.add(name, f"HTTP {code} for {req_url.removeprefix(base)}")
    for src in probe["brokenImages"]:
        report.add(name, f"broken image: {src}")
    for text in probe["mathUnrendered"]:
        report.add(name, f"math not typeset by MathJax: {text!r}")
    for text in probe["mathErrors"]:
        report.add(name, f"MathJax error: {text!r}")
    for text in probe["rawTex"]:
        report.add(name, f"raw TeX left in the page: {text!r}")
    for w in probe["widgets"]:
        if not w["ok"]:
            report.add(name, f"widget without a static figure next to it (section {w['where']!r})")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built book (default _build/html)")
    p.add_argument("--screenshots", type=Path, default=None,
                   help="folder for one PNG per page (default: screenshots/ next to the html folder)")
    p.add_argument("--no-screenshots", action="store_true")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds a page may take to load and typeset")
    p.add_argument("--static-only", action="store_true", help="only the static pass (no browser)")
    p.add_argument("--pages", nargs="+", default=None, metavar="GLOB",
                   help="check only these pages (globs relative to --html; default every page)")
    args = p.parse_args(argv)
    html_dir = args.html.resolve()
    if not (html_dir / "index.html").is_file():
        print(f"check-html: no built book in {html_dir} (run `make book` first)", file=sys.stderr)
        return 2
    shots = None if args.no_screenshots else (args.screenshots or html_dir.parent / "screenshots").resolve()
    pages = pages_of(html_dir)
    if args.pages:
        pages = [p for p in pages if any(p.relative_to(html_dir).match(g) for g in args.pages)]
    report = Report()
    t0 = time.perf_counter()
    static_check(html_dir, report, pages)
    print(f"check-html: static pass over {len(pages)} pages: {len(report.problems)} with problems "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    if not args.static_only:
        chromium = find_chromium()
        if chromium is None:
            print("check-html: no Chromium found (set $CHROMIUM, or apt-get install chromium)", file=sys.stderr)
            return 2
        if shots is not None:
            shutil.rmtree(shots, ignore_errors=True)
        server, base = serve(html_dir)
        browser = Browser(chromium, timeout=args.timeout)
        try:
            for page in pages:
                name = page.relative_to(html_dir).as_posix()
                if _scan(page).redirect is not None:   # e.g. index.html -> intro.html: checked above
                    continue
                shot = None if shots is None else shots / (name.removesuffix(".html").replace("/", "__") + ".png")
                try:
                    check_page(browser, base, name, report, shot)
                except (TimeoutError, RuntimeError) as err:
                    report.add(name, f"could not check the page: {err}")
        finally:
            browser.close()
            server.shutdown()
        print(f"check-html: opened {len(pages)} pages in Chromium with the network cut off "
              f"({time.perf_counter() - t0:.1f} s)" + (f"; screenshots in {shots}" if shots else ""))
    for page, problems in sorted(report.problems.items()):
        print(f"\n{page}:")
        for problem in dict.fromkeys(problems):  # unique, in order
            print(f"  - {problem}")
    if report:
        n = sum(len(set(v)) for v in report.problems.values())
        print(f"\ncheck-html: FAILED, {n} problems on {len(report.problems)} pages")
        return 1
    print(f"check-html: all {len(pages)} pages passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
