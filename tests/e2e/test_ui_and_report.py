"""The MLflow UI in a real headless Chromium, `make report`, and `make ui` — against a store filled
by a real sweep with one finished, one diverged and one failed run (every view of how it trained:
a hand-written sweep draws them all)."""

import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import unquote

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from PIL import Image
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from chainrule.experiment import training_views
from chainrule.sweeps import report
from tests.conftest import ROOT, Store, env_for_make, fault_injection_env

from .servers import free_port, stop_group, wait_healthy

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A store with one sweep: lr 0.5 finishes, 10000 diverges, 0.05 fails (injected)."""
    store = Store(tmp_path_factory.mktemp("store"))
    result = store.train(
        "-m", "model.hidden_width=3", "train.lr=0.05,0.5,10000", "train.iterations=150", check=False,
        env_extra=fault_injection_env(store.folder / "fault", 0.05, "disk on fire"),
    )
    assert result.returncode == 1, result.stdout + result.stderr  # the failed job makes the sweep fail
    runs = store.runs()
    parent = next(r for r in runs if r.data.tags.get("chainrule.role") == "sweep")
    return store, parent, [r for r in runs if r is not parent]


@pytest.fixture(scope="module")
def server(filled):
    """`mlflow ui` over the filled store, on a free loopback port."""
    store, _, _ = filled
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", store.uri, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        env=os.environ | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},  # as make ui runs it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        stop_group(proc)


def report_config(uri, output_dir, *overrides):
    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        return compose("report", overrides=[f"tracking.uri={uri}", f"output_dir={output_dir}", *overrides])


def test_report_ranks_the_sweep_and_keeps_failed_and_diverged_runs(filled, tmp_path, capsys):
    store, parent, children = filled
    table = report.run(report_config(store.uri, tmp_path), ROOT)
    printed = capsys.readouterr().out

    assert len(table) == 3 and set(table["run_id"]) == {c.info.run_id for c in children}
    assert table.loc[0, "train.lr"] == "0.5" and table.loc[0, "status"] == "FINISHED"  # the only one with scores
    assert set(table.loc[1:, "status"]) == {"FAILED", "FINISHED"}
    assert table.set_index("train.lr").loc["10000.0", "diverged"]
    assert pd.isna(table.loc[1, "val/log_loss"]) and pd.isna(table.loc[2, "val/log_loss"])
    assert f"Best: {table.loc[0, 'run']}" in printed

    name = parent.info.run_name
    assert (tmp_path / f"{name}.md").read_text().startswith(f"# Sweep {name}")
    assert len(pd.read_csv(tmp_path / f"{name}.csv")) == 3
    logged = {a.path for a in store.client.list_artifacts(parent.info.run_id, "report")}
    assert logged == {f"report/{name}.md", f"report/{name}.csv"}


def test_report_by_metric_rows_and_parent(filled, tmp_path):
    store, parent, _ = filled
    table = report.run(report_config(store.uri, tmp_path, f"parent={parent.info.run_id}", "metric=test/accuracy", "rows=1"), ROOT)
    assert len(table) == 1 and table.loc[0, "train.lr"] == "0.5"


def test_report_reads_a_tracking_server_like_the_embedded_store(filled, server, tmp_path):
    store, _, _ = filled
    embedded = report.run(report_config(store.uri, tmp_path / "a"), ROOT)
    served = report.run(report_config(server, tmp_path / "b"), ROOT)
    pd.testing.assert_frame_equal(served, embedded)


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_ui_shows_the_sweep_its_children_and_a_childs_loss_curve(filled, server, browser, tmp_path):
    store, parent, children = filled
    wait = WebDriverWait(browser, 90)
    experiment_id = parent.info.experiment_id
    browser.get(f"{server}/#/experiments/{experiment_id}/runs?workflowType=machine_learning")

    parent_link = f"//a[.//span[text()='{parent.info.run_name}']]"
    wait.until(EC.presence_of_element_located((By.XPATH, parent_link)))
    assert browser.find_elements(By.XPATH, "//*[contains(text(), 'chainrule runs: the NumPy core')]")  # the description
    browser.save_screenshot(str(tmp_path / "1-experiment.png"))

    child = next(c for c in children if c.data.params["train.lr"] == "0.5")
    child_link = f"//a[.//span[text()='{child.info.run_name}']]"
    for _ in range(10):  # the expander may need a second click while the table settles
        browser.find_element(By.XPATH, f"{parent_link}/ancestor::*[@role='row'][1]//button[contains(@data-component-id,'runnamecellrenderer')]").click()
        try:
            WebDriverWait(browser, 3).until(EC.element_to_be_clickable((By.XPATH, child_link)))
            break
        except TimeoutException:
            continue
    for other in children:
        assert browser.find_elements(By.XPATH, f"//a[.//span[text()='{other.info.run_name}']]"), other.info.run_name
    browser.save_screenshot(str(tmp_path / "2-children.png"))

    browser.find_element(By.XPATH, child_link).click()
    wait.until(EC.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Artifacts'] | //*[@role='tab' and normalize-space()='Artifacts']"))).click()
    wait.until(EC.element_to_be_clickable((By.XPATH, "//*[text()='figures']"))).click()
    wait.until(EC.element_to_be_clickable((By.XPATH, "//*[text()='loss_curve.png']"))).click()
    wait.until(EC.presence_of_element_located((By.XPATH, "//*[normalize-space()='figures/loss_curve.png']")))
    image = wait.until(lambda d: next(
        (i for i in d.find_elements(By.TAG_NAME, "img") if d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", i) == 640),
        None,
    ))  # the loss curve is 640 px wide (6.4 in at 100 dpi)
    assert image.is_displayed()
    browser.save_screenshot(str(tmp_path / "3-loss-curve.png"))
    assert all((tmp_path / name).stat().st_size > 10_000 for name in ("1-experiment.png", "2-children.png", "3-loss-curve.png"))


def scroll_until(browser, xpath: str, tries: int = 20):
    """The elements at ``xpath``, scrolling every scrollable panel down until they are rendered (the
    metrics page draws only the chart sections in view)."""
    for _ in range(tries):
        if found := browser.find_elements(By.XPATH, xpath):
            return found
        browser.execute_script(
            "for (const e of document.querySelectorAll('*')) if (e.scrollHeight > e.clientHeight + 50"
            " && /auto|scroll/.test(getComputedStyle(e).overflowY)) e.scrollTop += 600;")
        time.sleep(1)
    raise AssertionError(f"never rendered: {xpath}")


def loaded_image(browser, within, size: tuple[int, int] | None = None):
    """A displayed <img> in ``within`` that has loaded (of ``size`` pixels, if given), or None."""
    for image in within.find_elements(By.TAG_NAME, "img"):
        shape = browser.execute_script("const i = arguments[0]; return i.complete ? [i.naturalWidth, i.naturalHeight] : null", image)
        if shape and shape[0] and (size is None or tuple(shape) == size) and image.is_displayed():
            return image
    return None


def test_the_ui_shows_how_a_child_trained_step_by_step(filled, server, browser, tmp_path):
    store, parent, children = filled
    child = next(c for c in children if c.data.params["train.lr"] == "0.5")
    run_id = child.info.run_id
    wait = WebDriverWait(browser, 90, ignored_exceptions=[StaleElementReferenceException])  # the page re-renders as it loads
    browser.get(f"{server}/#/experiments/{parent.info.experiment_id}/runs/{run_id}/model-metrics")

    # the gradients' flow: one chart per weight matrix under grad_norm (the first section)
    wait.until(EC.presence_of_element_located((By.XPATH, "//*[starts-with(normalize-space(), 'grad_norm')]")))
    for block in ("W1", "w"):
        wait.until(EC.presence_of_element_located((By.XPATH, f"//h4[normalize-space()='{block}']")))
    browser.save_screenshot(str(tmp_path / "1-grad-norm-charts.png"))

    # the decision surface's image series and its step slider, moved from the first snapshot to the last
    (title,) = scroll_until(browser, "//h4[normalize-space()='decision_surface']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", title)
    card = title.find_element(By.XPATH, "./ancestor::*[.//*[@role='slider']][1]")
    slider = card.find_element(By.XPATH, ".//*[@role='slider']")
    steps = training_views.snapshot_steps(150, 12)  # the filled sweep's iterations, figures.snapshots' default
    assert (slider.get_attribute("aria-valuemin"), slider.get_attribute("aria-valuemax")) == ("0", str(steps[-1]))

    def shown(screenshot: str | None = None) -> tuple[int, str]:
        image = wait.until(lambda _: loaded_image(browser, card))
        if screenshot:  # the card with the image in view (its run's params are listed above it)
            browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", image)
            card.screenshot(str(tmp_path / screenshot))
        source = unquote(image.get_attribute("src"))
        return int(re.search(r"decision_surface\+step\+(\d+)\+", source).group(1)), source

    seen = [shown("2-first-snapshot.png")]
    while int(slider.get_attribute("aria-valuenow")) < steps[-1] and len(seen) <= len(steps):
        ActionChains(browser).click(slider).send_keys(Keys.ARROW_RIGHT).perform()  # the slider moves step by logged step
        wait.until(lambda _: shown()[1] != seen[-1][1])
        seen.append(shown())
    shown("3-last-snapshot.png")
    assert [step for step, _ in seen] == steps  # every snapshot, a new image each, first to last

    # the animation and the network and gradient-flow figures, in the artifact viewer
    browser.get(f"{server}/#/experiments/{parent.info.experiment_id}/runs/{run_id}/artifacts")
    wait.until(EC.element_to_be_clickable((By.XPATH, "//*[text()='figures']"))).click()
    for n, name in enumerate(("training.gif", "network.png", "gradient_flow.png"), 4):
        with Image.open(store.client.download_artifacts(run_id, f"figures/{name}", str(tmp_path))) as logged:
            size = logged.size
        wait.until(EC.element_to_be_clickable((By.XPATH, f"//*[text()='{name}']"))).click()
        wait.until(EC.presence_of_element_located((By.XPATH, f"//*[normalize-space()='figures/{name}']")))
        wait.until(lambda d: loaded_image(d, d, size))  # the logged file itself, shown
        browser.save_screenshot(str(tmp_path / f"{n}-{name}.png"))
    assert all(shot.stat().st_size > 5_000 for shot in tmp_path.glob("[1-6]-*.png"))


def test_make_ui_prints_the_runs_table_address_and_stops_on_ctrl_c(filled):
    store, parent, _ = filled
    port = free_port()
    proc = subprocess.Popen(["make", "--no-print-directory", "ui", f"PORT={port}"], cwd=ROOT,
                            env=env_for_make(MLFLOW_TRACKING_URI=store.uri),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends: the whole group
        output, _ = proc.communicate(timeout=30)
    except BaseException:
        stop_group(proc)
        raise
    expected = f"http://127.0.0.1:{port}/#/experiments/{parent.info.experiment_id}/runs?workflowType=machine_learning"
    assert expected in output

    def leftovers():
        return subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()

    deadline = time.monotonic() + 15
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert leftovers() == []  # the server and all its workers are gone


def test_the_model_registry_page_shows_the_sweeps_champion_and_its_tags(filled, server, browser, tmp_path):
    store, parent, children = filled
    best = next(c for c in children if c.data.params["train.lr"] == "0.5")  # the only child that finished well
    assert parent.data.tags["chainrule.registered_version"] == "1"  # the sweep failed, yet its best child qualifies
    wait = WebDriverWait(browser, 90, ignored_exceptions=[StaleElementReferenceException])
    browser.get(f"{server}/#/models/chainrule-moons")
    version_row = "//*[@role='row'][.//a[normalize-space()='Version 1']]"
    alias = "//*[contains(@data-component-id, 'aliastag') and @title='champion']"  # the tag "@ champion"
    wait.until(EC.presence_of_element_located((By.XPATH, version_row + alias)))
    browser.save_screenshot(str(tmp_path / "1-registered-model.png"))

    browser.find_element(By.XPATH, f"{version_row}//a[normalize-space()='Version 1']").click()
    wait.until(EC.presence_of_element_located((By.XPATH, alias)))
    for shown in ("chainrule.sweep", parent.info.run_name, "val/log_loss", best.info.run_name):  # its tags and source run
        wait.until(EC.presence_of_element_located((By.XPATH, f"//*[normalize-space(text())='{shown}']")))
    browser.save_screenshot(str(tmp_path / "2-champion-version.png"))
    assert all((tmp_path / name).stat().st_size > 10_000 for name in ("1-registered-model.png", "2-champion-version.png"))
