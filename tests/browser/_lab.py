"""A real JupyterLab in headless Chromium, for the browser tests and the latency benchmark.

`running_lab()` starts ``python -m jupyter lab`` (this interpreter) on 127.0.0.1 with a random
free port and token in a temporary root, quiet and offline (the settings of JupyterLab's own
Galata harness, ``jupyterlab.galata.configure_jupyter_server``: no browser, no news, no update
check, the app exposed as ``window.jupyterapp``), and stops it and its kernels whatever happens.
`launch_chromium()` starts Debian's chromium through Playwright (never ``playwright install``).
The notebook helpers open a notebook, run it, fail on any error output and screenshot outputs.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("SHRINKVIZ_CHROMIUM", "/usr/bin/chromium"))  # Debian's
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# User settings of the temporary lab: never ask about news, never phone home, and attach every
# cell to the DOM (windowing would detach off-screen outputs the tests read).
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is missing (pip install -e '.[test]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Process ids below `pid`, read from /proc (kernels run in their own sessions)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Lab:
    """A running JupyterLab: base `url` (ends with /), `token`, server `root` directory."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path
    _workspaces: int = field(default=0, repr=False)

    def api(self, path: str, method: str = "GET", timeout: float = 5.0):
        req = urllib.request.Request(
            self.url + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 (127.0.0.1)
            body = resp.read()
        return json.loads(body) if body else None

    def copy_notebook(self, src: str | os.PathLike, name: str | None = None) -> str:
        """Copy a notebook into the server root; return its path relative to the root."""
        dest = self.root / (name or Path(src).name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        return dest.relative_to(self.root).as_posix()

    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write a notebook of code cells (Python 3 kernel) into the root; return its path."""
        import nbformat

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, self.root / name)
        return name

    def page_url(self) -> str:
        """A fresh workspace each time, so no page inherits another's open tabs."""
        self._workspaces += 1
        return f"{self.url}lab/workspaces/w{self._workspaces}?token={self.token}"

    def logs(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""


def _wait_ready(lab: Lab, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lab.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited ({lab.process.returncode}):\n{lab.logs()}")
        with contextlib.suppress(OSError):
            lab.api("api/status", timeout=2)
            return
        time.sleep(0.25)
    raise TimeoutError(f"JupyterLab did not answer /api/status in {timeout:.0f} s:\n{lab.logs()}")


def _stop(lab: Lab) -> None:
    """Shut down cleanly (kernels first), then terminate, then kill the process group."""
    proc = lab.process
    pids = _descendants(proc.pid)
    with contextlib.suppress(Exception):
        for kernel in lab.api("api/kernels"):
            lab.api(f"api/kernels/{kernel['id']}", method="DELETE", timeout=10)
    with contextlib.suppress(Exception):
        lab.api("api/shutdown", method="POST")
    for sig, wait in ((None, 10), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if sig is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=wait)
            break
    for pid in pids:  # anything of ours still alive (a kernel in its own session)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running_lab(root: Path | None = None, timeout: float = 90.0, app: str = "lab"):
    """Start JupyterLab (``app="lab"``) or Jupyter Notebook 7 (``app="notebook"``) on
    127.0.0.1 (random port and token); yield a `Lab`; always stop it and its kernels."""
    cls = {"lab": "LabApp", "notebook": "JupyterNotebookApp"}[app]
    with tempfile.TemporaryDirectory(prefix="shrinkviz-lab-") as tmp:
        tmp = Path(tmp)
        root = Path(root) if root else tmp / "root"
        root.mkdir(parents=True, exist_ok=True)
        for name, value in USER_SETTINGS.items():
            path = tmp / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(value))
        for d in ("config", "runtime", "ipython", "workspaces"):
            (tmp / d).mkdir()
        port, token = free_port(), secrets.token_hex(24)
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "JUPYTER_CONFIG_DIR": str(tmp / "config"),  # no user config leaks in
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "IPYTHONDIR": str(tmp / "ipython"),
            "PYTHONUNBUFFERED": "1",
        }
        cmd = [
            sys.executable,
            "-m",
            "jupyter",
            app,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={token}",
            "--ServerApp.password=",
            "--ServerApp.terminals_enabled=False",
            f"--{cls}.expose_app_in_browser=True",
            f"--{cls}.user_settings_dir={tmp / 'settings'}",
            f"--{cls}.workspaces_dir={tmp / 'workspaces'}",
            *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),
        ]
        if app == "lab":
            cmd += [
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.news_url=",
                "--LabApp.extension_manager=readonly",  # no PyPI queries from the lab
            ]
        log = tmp / f"jupyter-{app}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                cmd,
                cwd=root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        lab = Lab(f"http://127.0.0.1:{port}/", token, root, proc, log)
        try:
            _wait_ready(lab, timeout)
            yield lab
        finally:
            _stop(lab)


def launch_chromium(playwright, **kwargs):
    """Debian's chromium, headless, through Playwright (never `playwright install`)."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, **kwargs
    )


def open_lab(browser, lab: Lab, viewport=(1400, 1000), timeout: float = 60_000):
    """A new page logged in with the token, returned once JupyterLab is restored."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.bring_to_front()  # timers (Play) run at full speed only in the page in front
    page.set_default_timeout(timeout)
    page.goto(lab.page_url())
    page.wait_for_selector("#jp-main-dock-panel")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell")
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")
    return page


# In-page helpers: find the notebook panel by id among the main area's widgets.
_JS_PANEL = """(id) => Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === id)"""


def open_notebook(page, path: str) -> str:
    """Open `path` (relative to the root) as a notebook; wait for its kernel; return panel id."""
    return page.evaluate(
        """async (path) => {
            const app = window.jupyterapp;
            const w = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
            await w.context.ready;
            await w.sessionContext.ready;
            app.shell.activateById(w.id);
            return w.id;
        }""",
        path,
    )


def kernel_status(page, panel_id: str) -> str:
    return page.evaluate(
        f"""(id) => {{
        const w = ({_JS_PANEL})(id);
        const k = w.sessionContext.session && w.sessionContext.session.kernel;
        return k ? k.status : 'no kernel';
    }}""",
        panel_id,
    )


def wait_idle(page, panel_id: str, timeout: float = 300.0) -> None:
    """Wait until the kernel is idle and no cell is queued or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = page.evaluate(
            f"""(id) => {{
            const w = ({_JS_PANEL})(id);
            const k = w.sessionContext.session && w.sessionContext.session.kernel;
            const running = Array.from(w.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
                .some(p => p.textContent.includes('*'));
            return !k || k.status !== 'idle' || running;
        }}""",
            panel_id,
        )
        if not busy:
            return
        time.sleep(0.2)
    raise TimeoutError(f"kernel still busy after {timeout:.0f} s")


def run_all(page, panel_id: str, timeout: float = 300.0) -> None:
    """Run every cell (Run > Run All Cells) and wait until the kernel is idle again."""
    page.evaluate(
        """async (id) => {
        const app = window.jupyterapp;
        app.shell.activateById(id);
        await app.commands.execute('notebook:run-all-cells');
    }""",
        panel_id,
    )
    wait_idle(page, panel_id, timeout)


def errors(page, panel_id: str) -> list[str]:
    """Error outputs of the notebook's model and widgets that failed to display."""
    return page.evaluate(
        f"""(id) => {{
        const w = ({_JS_PANEL})(id);
        const found = [];
        let i = 0;
        for (const cell of w.content.model.cells) {{
            i++;
            if (cell.type !== 'code') continue;
            for (const out of cell.outputs.toJSON()) {{
                if (out.output_type === 'error')
                    found.push(`cell ${{i}}: ${{out.ename}}: ${{out.evalue}}`);
            }}
        }}
        for (const el of w.node.querySelectorAll('.jupyter-widgets-error-widget'))
            found.push('widget error: ' + el.parentElement.textContent.slice(0, 300));
        for (const el of w.node.querySelectorAll('.jp-OutputArea-output'))
            if (el.textContent.startsWith('Error displaying widget'))
                found.push(el.textContent.slice(0, 300));
        return found;
    }}""",
        panel_id,
    )


# A bqplot figure draws each mark into a `g[clip-path]` of svg.svg-figure (Scatter: path.dot,
# Lines: path.line, Bars: rect, Label: text).
_JS_BLANK = """(el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return 'zero size';
    for (const fig of el.querySelectorAll('.bqplot.figure, .bqplot')) {
        if (!fig.querySelector('svg')) continue;
        const marks = fig.querySelectorAll(
            'g[clip-path] path, g[clip-path] rect, g[clip-path] text');
        const drawn = Array.from(marks).filter(m => {
            const b = m.getBoundingClientRect();
            return b.width > 0 || b.height > 0;
        });
        if (!drawn.length) return 'a bqplot figure without drawn marks';
    }
    for (const img of el.querySelectorAll('img'))
        if (!img.complete || img.naturalWidth === 0) return 'an image that did not load';
    return null;
}"""


def output_problem(element) -> str | None:
    """Why an output element is blank, or None."""
    return element.evaluate(_JS_BLANK)


def settled_problem(element, settle: float = 10.0) -> str | None:
    """``output_problem`` after up to ``settle`` seconds for the figures to draw (a figure
    may still be drawing right after the kernel went idle)."""
    deadline = time.monotonic() + settle
    while (problem := output_problem(element)) and time.monotonic() < deadline:
        time.sleep(0.25)
    return problem


def _fit_viewport(page, element, margin: int = 320) -> None:
    """Grow the page so a tall output fits on screen (the notebook scrolls, not the page)."""
    box = element.bounding_box()
    size = page.viewport_size
    if box and box["height"] + margin > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": int(box["height"]) + margin})


def screenshot_outputs(page, panel_id: str, prefix: str, settle: float = 10.0) -> list[Path]:
    """Screenshot every output of the notebook to test-artifacts/; fail on a blank one.

    Each output gets up to `settle` seconds to show its marks (`settled_problem`).
    """
    ARTIFACTS.mkdir(exist_ok=True)
    outputs = page.locator(
        f"#{panel_id} .jp-CodeCell .jp-Cell-outputArea"
        " > .jp-OutputArea-child > .jp-OutputArea-output"
        ":not(:has(img.shrinkviz-static))"  # an explorer's export picture, hidden while live
    )
    shots, problems = [], []
    for i in range(outputs.count()):
        el = outputs.nth(i)
        _fit_viewport(page, el)
        el.scroll_into_view_if_needed()
        problem = settled_problem(el, settle)
        path = ARTIFACTS / f"{prefix}-output{i:02d}.png"
        el.screenshot(path=path)
        shots.append(path)
        if problem:
            problems.append(f"output {i} ({path.name}): {problem}")
    assert not problems, "blank outputs:\n" + "\n".join(problems)
    return shots


def kernel_run(page, panel_id: str, code: str) -> str:
    """Run `code` in the notebook's kernel outside any cell; return its stdout, raise on error."""
    reply = page.evaluate(
        f"""async ([id, code]) => {{
        const w = ({_JS_PANEL})(id);
        const future = w.sessionContext.session.kernel.requestExecute({{code, silent: false,
                                                                         store_history: false}});
        let out = '';
        future.onIOPub = (msg) => {{
            if (msg.header.msg_type === 'stream' && msg.content.name === 'stdout')
                out += msg.content.text;
        }};
        const reply = await future.done;
        return {{...reply.content, out}};
    }}""",
        [panel_id, code],
    )
    if reply["status"] != "ok":
        raise RuntimeError(f"{reply.get('ename')}: {reply.get('evalue')} in\n{code}")
    return reply["out"]


def kernel_eval(page, panel_id: str, expr: str):
    """The value of a Python expression in the notebook's kernel, through JSON."""
    out = kernel_run(page, panel_id, f"import json as _j; print(_j.dumps({expr}))")
    return json.loads(out)
