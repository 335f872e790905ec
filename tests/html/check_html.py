#!/usr/bin/python3
"""HTML report in a real browser: headless Chromium driven over the DevTools protocol
(--remote-debugging-pipe: NUL-separated JSON on fds 3 and 4; standard library only).

For resnet18 (raw export) and mobilenet_v2, `rooftop profile --json J --html H` of the same run:
  * the page renders (body data-state="ready") with zero errors: no exception, no console
    error, nothing caught by the page's own window.onerror hook;
  * it loads nothing but itself (every network request is the file itself);
  * one chart point per executed layer, with exactly the JSON's layer indices;
  * the table's data model holds every layer, and paging through it shows every layer once;
  * clicking the "ms" header puts the slowest layer of the JSON first, clicking again the
    fastest; the op filter keeps exactly the JSON's Conv layers; clicking a chart point
    selects its table row;
  * a PNG screenshot is saved to WORK_DIR/<model>.png;
  * mobilenet_v2 is profiled with --hw tools/hw/intel-10980xe.json: the page labels the
    prediction (summary and the "pred ms" column's tooltip) and names the machine measured.
`rooftop compare` of resnet18 (raw) with --html: one groups-table row per fused group of its
JSON and one point per fused layer.
Speed (printed, not asserted): load and sort of the unfused raw shufflenet_v2_x1_0 report, and
of a synthetic 2,000-layer page (shufflenet's layers repeated) that must page its table.

Exit 77 (CTest SKIP_RETURN_CODE) when chromium is not installed.
usage: check_html.py ROOFTOP ZOO_DIR WORK_DIR
"""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def high_fd(fd):
    """fd moved to 10 or above, so that the child's dup2 onto 3 and 4 never meets itself
    (dup2 of an fd onto itself would keep its close-on-exec flag)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Browser:
    """Headless Chromium over --remote-debugging-pipe (we write fd 3, it writes fd 4)."""

    def __init__(self, exe, profile_dir):
        cmd_r, cmd_w = (high_fd(fd) for fd in os.pipe())
        ev_r, ev_w = (high_fd(fd) for fd in os.pipe())

        def child_fds():
            os.dup2(cmd_r, 3)
            os.dup2(ev_w, 4)

        self.log = open(os.path.join(profile_dir, "chromium.log"), "wb")
        args = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                "--user-data-dir=" + os.path.join(profile_dir, "profile"), "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--hide-scrollbars", "--mute-audio", "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=child_fds, close_fds=False)
        os.close(cmd_r)
        os.close(ev_w)
        self.w, self.r = cmd_w, ev_r
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                fail("chromium did not answer in time")
            ready, _, _ = select.select([self.r], [], [], left)
            if ready:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    fail("chromium closed the DevTools pipe (crashed?)")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.w, data):]
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    fail(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method and e.get("sessionId") == session:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except SystemExit:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Page:
    def __init__(self, browser, url, width=1280, height=1600):
        self.b = browser
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.target = target
        self.s = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            browser.call(domain + ".enable", session=self.s)
        browser.call("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=self.s)
        browser.call("Page.navigate", {"url": url}, session=self.s)
        browser.wait_event("Page.loadEventFired", self.s)

    def eval(self, expr):
        r = self.b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True},
                        session=self.s)
        if "exceptionDetails" in r:
            fail(f"evaluating in the page failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def problems(self):
        """Errors and network requests the browser reported for this page."""
        errs, urls = [], []
        for e in self.b.events:
            if e.get("sessionId") != self.s:
                continue
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                errs.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:400])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errs.append("console: " + json.dumps(p.get("args", []))[:400])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                errs.append("log: " + p["entry"].get("text", "")[:400])
            elif m == "Network.requestWillBeSent":
                urls.append(p.get("request", {}).get("url", ""))
        return errs, urls

    def screenshot(self, path):
        data = self.b.call("Page.captureScreenshot", {"format": "png"}, session=self.s)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        self.b.call("Target.closeTarget", {"targetId": self.target})


# JS run in the page: counts, then paging, sorting, filtering and point selection through the
# page's own controls (clicks and change events), as a person would use them.
PROBE_JS = r"""
(() => {
  const b = document.body.dataset, q = s => document.querySelector(s);
  const idx = els => Array.from(els, e => Number(e.getAttribute('data-index')));
  const out = {state: b.state, errors: Number(b.errors || 0), errorText: (q('#roof-errors') || {}).textContent || '',
    layers: Number(b.layers), rows: Number(b.rows), points: idx(document.querySelectorAll('circle.layer-point')),
    model: window.rooftopReport ? window.rooftopReport.state.view.length : -1, renderMs: Number(b.renderMs),
    pageSize: Number(b.pageSize)};
  out.firstPage = document.querySelectorAll('#layer-rows tr[data-index]').length;
  const seen = [];
  for (let guard = 0; guard < 1000; guard++) {
    seen.push(...idx(document.querySelectorAll('#layer-rows tr[data-index]')));
    const next = q('#page-next');
    if (!next || next.disabled) break;
    next.click();
  }
  out.paged = seen;
  const th = q('th[data-key="time"]');
  let t0 = performance.now();
  th.click();
  void document.body.offsetHeight;
  out.sortMs = performance.now() - t0;
  document.body.dataset.sortMs = out.sortMs.toFixed(1);
  out.firstDesc = Number(q('#layer-rows tr[data-index]').getAttribute('data-index'));
  th.click();
  out.firstAsc = Number(q('#layer-rows tr[data-index]').getAttribute('data-index'));
  const sel = q('#filter-op');
  sel.value = 'Conv';
  sel.dispatchEvent(new Event('change'));
  out.convRows = Number(b.rows);
  sel.value = '';
  sel.dispatchEvent(new Event('change'));
  const pts = document.querySelectorAll('circle.layer-point');
  const last = pts.length ? pts[pts.length - 1] : null;
  out.clicked = last ? Number(last.getAttribute('data-index')) : -1;
  if (last) last.dispatchEvent(new MouseEvent('click', {bubbles: true}));
  const selRow = q('#layer-rows tr.sel');
  out.selectedRow = selRow ? Number(selRow.getAttribute('data-index')) : -1;
  out.groups = document.querySelectorAll('#groups tbody tr').length;
  const pred = q('th[data-key="predicted"]');
  out.predTitle = pred ? pred.title : null;
  out.summaryText = (q('#summary') || {}).textContent || '';
  const nav = performance.getEntriesByType('navigation')[0];
  out.loadMs = nav ? nav.loadEventEnd - nav.startTime : -1;
  th.scrollIntoView();
  window.scrollTo(0, 0);
  return out;
})()
"""


def median_ms(layer):
    return (layer.get("time_ms") or {}).get("median")


def check_page(browser, html, layers, label, shot=None, groups=None):
    page = Page(browser, "file://" + os.path.abspath(html))
    r = page.eval(PROBE_JS)
    errs, urls = page.problems()
    if shot:
        page.screenshot(shot)
    page.close()
    if r["state"] != "ready":
        fail(f"{label}: page state {r['state']!r}, errors: {r['errorText']}")
    if r["errors"] or errs:
        fail(f"{label}: {r['errors']} page errors ({r['errorText']}); browser: {errs}")
    me = "file://" + os.path.abspath(html)
    if any(u != me for u in urls):
        fail(f"{label}: the page fetched something besides itself: {urls}")
    want = sorted(l["index"] for l in layers)
    if len(r["points"]) != len(layers) or sorted(r["points"]) != want:
        fail(f"{label}: {len(r['points'])} chart points for {len(layers)} executed layers")
    if r["rows"] != len(layers) or r["model"] != len(layers) or r["layers"] != len(layers):
        fail(f"{label}: table model holds {r['rows']}/{r['model']} rows for {len(layers)} layers")
    if not 0 < r["pageSize"] <= 500 or r["firstPage"] != min(r["pageSize"], len(layers)):
        fail(f"{label}: first page shows {r['firstPage']} rows (page size {r['pageSize']}) for {len(layers)} layers")
    if sorted(r["paged"]) != want:
        fail(f"{label}: paging shows {len(r['paged'])} rows ({len(set(r['paged']))} distinct) for {len(layers)} layers")
    timed = [l for l in layers if median_ms(l) is not None]
    slowest = max(timed, key=lambda l: (median_ms(l), -l["index"]))
    fastest = min(timed, key=lambda l: (median_ms(l), l["index"]))
    if median_ms(layers_by_index(layers)[r["firstDesc"]]) != median_ms(slowest):
        fail(f"{label}: sorted by time, first row is layer {r['firstDesc']}, slowest is {slowest['index']}")
    if median_ms(layers_by_index(layers)[r["firstAsc"]]) != median_ms(fastest):
        fail(f"{label}: sorted ascending, first row is layer {r['firstAsc']}, fastest is {fastest['index']}")
    convs = sum(l["op_type"] == "Conv" for l in layers)
    if r["convRows"] != convs:
        fail(f"{label}: op filter Conv shows {r['convRows']} rows, the JSON has {convs} Conv layers")
    if r["selectedRow"] != r["clicked"]:
        fail(f"{label}: clicking point {r['clicked']} selected row {r['selectedRow']}")
    if groups is not None and r["groups"] != groups:
        fail(f"{label}: {r['groups']} fused-group rows, the JSON has {groups}")
    return r


def check_prediction(r, report, label):
    """With --hw the page labels the prediction (summary, column tooltip) and still names the
    machine measured; without it there is no predicted column."""
    pr = report.get("prediction")
    if pr is None:
        if r["predTitle"] is not None:
            fail(f"{label}: a 'pred ms' column without a prediction")
        return
    if r["predTitle"] != pr["label"] or pr["label"] not in r["summaryText"]:
        fail(f"{label}: the prediction is not labelled {pr['label']!r} (column title {r['predTitle']!r})")
    if report["run"]["cpu"] not in r["summaryText"]:
        fail(f"{label}: the summary does not name the machine measured ({report['run']['cpu']})")


def layers_by_index(layers):
    return {l["index"]: l for l in layers}


def profile(rooftop, model, work, name, extra=()):
    j, h = os.path.join(work, name + ".json"), os.path.join(work, name + ".html")
    subprocess.run([rooftop, "profile", model, "--runs", "3", "--warmup", "1", "--threads", "1", "--quiet",
                    "--json", j, "--html", h, *extra], check=True, stdout=subprocess.DEVNULL)
    with open(j, encoding="utf-8") as f:
        return json.load(f), h


def synthetic(html, report, n, out):
    """The page of `html` with its data replaced by `report`'s layers repeated to n layers."""
    with open(html, encoding="utf-8") as f:
        text = f.read()
    start_tag = '<script id="roof-data" type="application/json">'
    a = text.index(start_tag) + len(start_tag)
    b = text.index("</script>", a)
    base = report["layers"]
    layers = []
    for i in range(n):
        l = dict(base[i % len(base)])
        l["index"], l["name"] = i, f"{l['name']}#{i // len(base)}"
        l["share"] = (l.get("share") or 0) * len(base) / n
        layers.append(l)
    data = dict(report, layers=layers)
    blob = json.dumps(data).replace("<", "\\u003c")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text[:a] + blob + text[b:])
    return layers


def main():
    rooftop, zoo, work = sys.argv[1:4]
    exe = os.environ.get("ROOF_CHROMIUM") or shutil.which("chromium")
    if not exe:
        print("SKIP: chromium is not installed (apt-get install chromium); the HTML report is untested")
        sys.exit(SKIP)
    models = {"resnet18": "resnet18_raw.onnx", "mobilenet_v2": "mobilenet_v2.onnx",
              "shufflenet": "shufflenet_v2_x1_0_raw.onnx"}
    for f in models.values():
        if not os.path.exists(os.path.join(zoo, f)):
            fail(f"missing {os.path.join(zoo, f)}: export the zoo first (tools/export_zoo.py)")
    os.makedirs(work, exist_ok=True)
    spec = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "hw", "intel-10980xe.json")
    extra = {"shufflenet": ("--fusion", "none"), "mobilenet_v2": ("--hw", spec)}  # mobilenet: with a prediction
    reports = {name: profile(rooftop, os.path.join(zoo, f), work, name, extra.get(name, ()))
               for name, f in models.items()}
    cj, ch = os.path.join(work, "compare.json"), os.path.join(work, "compare.html")
    subprocess.run([rooftop, "compare", os.path.join(zoo, models["resnet18"]), "--runs", "2", "--warmup", "1",
                    "--threads", "1", "--quiet", "--json", cj, "--html", ch], check=True, stdout=subprocess.DEVNULL)
    with open(cj, encoding="utf-8") as f:
        comp = json.load(f)
    big_html = os.path.join(work, "synthetic2000.html")
    big_layers = synthetic(reports["shufflenet"][1], reports["shufflenet"][0], 2000, big_html)

    with tempfile.TemporaryDirectory() as tmp:
        browser = Browser(exe, tmp)
        try:
            for name in ("resnet18", "mobilenet_v2"):
                report, html = reports[name]
                r = check_page(browser, html, report["layers"], name, shot=os.path.join(work, name + ".png"))
                check_prediction(r, report, name)
                print(f"ok: {name}: {len(report['layers'])} layers = chart points = table rows, 0 errors, "
                      f"screenshot {os.path.join(work, name + '.png')}")
            check_page(browser, ch, comp["fused"]["layers"], "compare resnet18", shot=os.path.join(work, "compare.png"),
                       groups=len(comp["groups"]))
            print(f"ok: compare resnet18: {len(comp['groups'])} fused groups, {len(comp['fused']['layers'])} points")
            report, html = reports["shufflenet"]
            r = check_page(browser, html, report["layers"], "shufflenet")
            print(f"speed: shufflenet_v2_x1_0 raw, unfused ({report['model']['nodes_original']} original nodes, "
                  f"{len(report['layers'])} layers): load {r['loadMs']:.0f} ms (render {r['renderMs']:.1f} ms), "
                  f"sort by time {r['sortMs']:.1f} ms")
            r = check_page(browser, big_html, big_layers, "synthetic 2000")
            print(f"speed: synthetic 2,000 layers ({r['pageSize']} rows per page): load {r['loadMs']:.0f} ms "
                  f"(render {r['renderMs']:.1f} ms), sort by time {r['sortMs']:.1f} ms")
        finally:
            browser.close()
    print("ok: HTML reports render in headless Chromium")


if __name__ == "__main__":
    main()
