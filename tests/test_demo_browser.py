"""`errseg demo` in a real browser: headless Chromium uploads a photo, types a vocabulary, sees the overlay.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); skipped, saying so, without.
``ERRSEG_DEMO_SCREENSHOT=docs/demo.png`` also saves the screenshot there (README's picture).
"""
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from conftest import REPO
from PIL import Image

from mmseg_errseg.demo import EXAMPLES

CHROMIUM = next(filter(None, map(shutil.which, ('chromium', 'chromium-browser'))), None)
CHROMEDRIVER = shutil.which('chromedriver')
pytestmark = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason='no headless Chromium: install Debian\'s chromium and chromium-driver '
    '(apt-get install -y chromium chromium-driver; .ci/run does so where apt is available)')


@pytest.fixture(scope='module')
def demo_url():
    """`errseg demo` (no checkpoint: the tiny random model) on a free port of 127.0.0.1."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(REPO))
    server = subprocess.Popen([sys.executable, '-m', 'mmseg_errseg', 'demo', '--port', str(port)], cwd=REPO,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f'http://127.0.0.1:{port}/'
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f'errseg demo did not serve {url}:\n{server.communicate()[0][-3000:]}')
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope='module')
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                '--window-size=1400,1100', '--force-device-scale-factor=1'):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_upload_type_and_see_the_overlay(demo_url, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    wait = WebDriverWait(browser, 180)
    browser.get(demo_url)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '#image input[type=file]')))
    assert 'random weights' in browser.find_element(By.TAG_NAME, 'body').text
    browser.find_element(By.CSS_SELECTOR, '#image input[type=file]').send_keys(EXAMPLES[0][0])
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, '#image img')))
    box = browser.find_element(By.CSS_SELECTOR, '#vocabulary textarea')
    box.clear()
    box.send_keys('cat; blanket, throw; wall')
    browser.find_element(By.CSS_SELECTOR, '#segment').click()
    overlay = wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, '#overlay img')))
    wait.until(lambda _: browser.execute_script('return arguments[0].complete && arguments[0].naturalWidth',
                                                overlay))
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, '#kept'), 'blanket, throw'))
    shot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert('RGB')
    shot.save(tmp_path / 'demo.png')
    target = os.environ.get('ERRSEG_DEMO_SCREENSHOT')
    if target:  # README's picture, kept small: 256 colours
        shot.quantize(256).save(target, optimize=True)
    # not blank: the page, and the overlay's own pixels, vary
    assert np.asarray(shot).std() > 10
    rect = overlay.rect
    region = np.asarray(shot)[int(rect['y']):int(rect['y'] + rect['height']),
                              int(rect['x']):int(rect['x'] + rect['width'])]
    assert region.size and region.std() > 10 and len(np.unique(region.reshape(-1, 3), axis=0)) > 50
