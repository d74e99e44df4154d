"""report.html / report.md / plots: content, self-containment, and rendering in headless Chromium."""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from deployed import BOARD, deployed_dir
from tfedge.report import write_reports
from tfedge.report.plots import PLOTS

pytestmark = pytest.mark.qemu

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]

# Appended to a copy of the report: once the page has loaded, write each image's decoded size into the DOM.
PROBE = """<script>
window.addEventListener("load", () => {
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify([...document.images].map(i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight]));
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="session")
def deployed(tmp_path_factory):
    return deployed_dir(tmp_path_factory)


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("chromium not found: the report test renders report.html in it; install with: sudo apt-get install chromium")
    return path


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_html_is_self_contained_with_every_plot(deployed):
    html = (deployed / "report.html").read_text()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([^"]+)"', html)
    assert [html_lib.unescape(alt) for alt, _ in images] == [title for _draw, title in PLOTS.values()]
    for _alt, data in images:
        width, height = _png_size(base64.b64decode(data))
        assert width > 400 and height > 200
    # nothing to fetch: no external script, stylesheet, image or font
    assert not re.search(r'(src|href)="(?!data:)', html)
    report = json.loads((deployed / "report.json").read_text())
    for stage in report["stages"]:
        assert f"<td>{stage['name']}</td>" in html
    for layer in report["board"]["layers"]:
        assert f"{layer['instructions']:,}" in html
    assert f"{report['board']['flash_bytes']:,} B of" in html


def test_report_names_keras_layers_and_the_users_model(deployed):
    html = (deployed / "report.html").read_text()
    report = json.loads((deployed / "report.json").read_text())
    # titled by the recipe's model (demo_cnn), not the exported file's name
    assert "<title>tfedge deploy: demo_cnn on " in html and "<h1>tfedge deploy: demo_cnn on " in html
    # the per-layer table says which Keras layer each row is (demo_cnn's layers conv1 ... fc2)
    assert "<th>Keras layer</th>" in html
    for name in ("conv1", "conv2", "conv3", "fc1", "fc2"):
        assert f"<td>{name}</td>" in html
    assert [layer["layer"] for layer in report["board"]["layers"]][:3] == ["conv1", "conv2", "pool1"]
    # one RAM figure, labelled with what it counts
    assert f"RAM (static + stack used)</td><td>{report['board']['ram_bytes']:,} B of" in html


def test_markdown_links_the_plot_files(deployed):
    md = (deployed / "report.md").read_text()
    links = re.findall(r"!\[[^\]]+\]\((plots/[a-z_]+\.png)\)", md)
    assert len(links) == len(PLOTS)
    for link in links:
        assert _png_size((deployed / link).read_bytes())[0] > 400
    assert "| prune" in md and "| int8" in md and "CONV_2D" in md


def test_chromium_loads_the_page_and_decodes_every_image(deployed, tmp_path):
    chromium = _chromium()
    page = tmp_path / "probe.html"
    page.write_text((deployed / "report.html").read_text().replace("</body>", PROBE + "</body>"))
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60).stdout
    probe = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert probe, dom[-2000:]
    images = json.loads(probe.group(1).replace("&quot;", '"'))
    assert len(images) == len(PLOTS)
    html = (deployed / "report.html").read_text()
    for (alt, complete, width, height), data in zip(images, re.findall(r'base64,([^"]+)"', html)):
        assert complete and (width, height) == _png_size(base64.b64decode(data)), alt

    shot = tmp_path / "report.png"
    subprocess.run([*common, f"--screenshot={shot}", "--window-size=1200,3600", (deployed / "report.html").as_uri()],
                   capture_output=True, timeout=60, check=True)
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (3600, 1200)
    # the page drew something across its height: plots and tables, not a blank or error page
    rows_with_ink = np.mean(pixels[..., :3].min(axis=(1, 2)) < 0.5)
    assert rows_with_ink > 0.3


def test_report_without_board_figures_shows_the_stages_only(deployed, tmp_path):
    report = json.loads((deployed / "report.json").read_text())
    optimize_only = {"recipe": report["recipe"], "stages": [{k: v for k, v in s.items() if k != "board"}
                                                            for s in report["stages"]]}
    files = write_reports(optimize_only, tmp_path)
    assert files.plots == {}
    html = files.html.read_text()
    assert "<img" not in html and "<td>prune</td>" in html and BOARD not in html
