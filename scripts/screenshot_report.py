"""Open a run's report.html in Debian's headless chromium, click a cell and save a
screenshot (the README's docs/report.png). The browser test drives the same `chromium()`.

    python scripts/screenshot_report.py runs/default docs/report.png [--cell eu:information_exchange]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

# no background traffic: this machine's network is closed, and a report needs none
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1500,1000")


def chromium():
    """A Selenium driver for the system chromium and chromedriver (None when not installed)."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (binary and driver):
        return None
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--cell", default="eu:information_exchange", help="jurisdiction:element to click")
    args = parser.parse_args()
    from selenium.webdriver.common.by import By

    browser = chromium()
    if browser is None:
        raise SystemExit("chromium and chromedriver are needed: apt-get install chromium chromium-driver")
    try:
        browser.get((args.run / "report.html").resolve().as_uri())
        jurisdiction, element = args.cell.split(":")
        browser.find_element(By.CSS_SELECTOR, f'td.cell[data-j="{jurisdiction}"][data-e="{element}"]').click()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(args.out))
    finally:
        browser.quit()
    print(f"screenshot → {args.out}")


if __name__ == "__main__":
    main()
