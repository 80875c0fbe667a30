#!/usr/bin/python3
"""The delivery state of a citizen's messages on the case page, in a real browser (headless Chromium through
Selenium), against `hotline1022 web`. Driven by Tests/EndToEndTests/MessageDeliveryBrowserTests.swift, which
prepares a forwarded case whose acknowledgement could not be sent (a landline).

Environment: BASE_URL, CODE (the case), USER and PASSWORD (an agent), OUT_DIR (screenshots and page sources,
kept by the Swift test when it fails), RESULTS (JSON figures), SCREENSHOT_DIR (optional: the README's
console-case-messages.png). Exit status 0 when every check passed.
"""
import json
import os
import sys
import time
import traceback
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

BASE = os.environ["BASE_URL"].rstrip("/")
CODE = os.environ["CODE"]
OUT = os.environ["OUT_DIR"]
results = {"failedStep": "start"}


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def wait_for_console(seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(BASE + "/dang-nhap", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.2)
    raise AssertionError("the console did not answer within %d s" % seconds)


def wait_until(what, condition, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if condition():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise AssertionError(what)


def main():
    wait_for_console()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1366,900", "--lang=vi-VN", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    try:
        results["failedStep"] = "sign-in"
        driver.get(BASE + "/dang-nhap")
        driver.find_element(By.ID, "ten").send_keys(os.environ["USER"])
        driver.find_element(By.ID, "mat_khau").send_keys(os.environ["PASSWORD"])
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        deadline = time.time() + 10
        while "/dang-nhap" in driver.current_url and time.time() < deadline:
            time.sleep(0.05)
        check("/dang-nhap" not in driver.current_url, "signed in")

        results["failedStep"] = "queue"
        driver.get(BASE + "/hang-doi")
        # The live queue redraws its rows from the server's list, so a row found a moment ago may be replaced:
        # find it again on every poll rather than hold an element that can go stale.
        seen = {"text": ""}

        def row_says_not_told():
            rows = driver.find_elements(By.CSS_SELECTOR, f"tr.case-row[data-code='{CODE}']")
            seen["text"] = rows[0].text if len(rows) == 1 else "(%d rows)" % len(rows)
            return "chưa nhận được tin" in seen["text"]

        try:
            wait_until("the case whose citizen was not told is in the hotline's queue", row_says_not_told)
        except AssertionError:
            raise AssertionError("its clock says the citizen was not told: " + seen["text"])

        results["failedStep"] = "case page"
        driver.get(BASE + "/phieu/" + CODE)
        panel = driver.find_element(By.ID, "tin-nhan")
        state = panel.find_element(By.CSS_SELECTOR, "li.message .delivery").text
        results["stateShown"] = state
        check(state == "THẤT BẠI", "the acknowledgement shows as failed, not " + state)
        check("số cố định" in panel.text, "with the reason: " + panel.text)
        check("SMS" in panel.text, "and the carrier tried: " + panel.text)
        driver.execute_script("arguments[0].scrollIntoView()", panel)
        driver.save_screenshot(os.path.join(OUT, "case-messages.png"))
        if os.environ.get("SCREENSHOT_DIR"):
            panel.screenshot(os.path.join(os.environ["SCREENSHOT_DIR"], "console-case-messages.png"))

        results["failedStep"] = "empty note refused"
        panel.find_element(By.CSS_SELECTOR, "form.informed button[type=submit]").click()
        wait_until("an empty note is refused with the field's error",
                   lambda: driver.find_element(By.ID, "ghi_chu-error").is_displayed())

        results["failedStep"] = "call back recorded"
        driver.get(BASE + "/phieu/" + CODE)
        driver.find_element(By.ID, "ghi_chu").send_keys("Đã gọi số 0225 3842 000, báo mã số " + CODE)
        driver.find_element(By.CSS_SELECTOR, "form.informed button[type=submit]").click()
        wait_until("the call back is confirmed", lambda: "Đã ghi nhận" in driver.find_element(By.TAG_NAME, "main").text)
        driver.get(BASE + "/phieu/" + CODE)
        panel = driver.find_element(By.ID, "tin-nhan")
        check(not panel.find_elements(By.CSS_SELECTOR, "form.informed"), "no form once the citizen was told")
        check("Đã gọi báo" in panel.text, "the panel says who called back: " + panel.text)
        driver.get(BASE + "/hang-doi")
        time.sleep(1)  # the live queue settles (it redraws from the server's list)
        check(not driver.find_elements(By.CSS_SELECTOR, f"tr.case-row[data-code='{CODE}']"), "the case left the queue")
        results["failedStep"] = None
    except Exception:
        traceback.print_exc()
        try:
            driver.save_screenshot(os.path.join(OUT, "failure.png"))
            with open(os.path.join(OUT, "failure.html"), "w", encoding="utf-8") as f:
                f.write(driver.page_source)
        except Exception:
            pass
        return 1
    finally:
        with open(os.environ["RESULTS"], "w", encoding="utf-8") as f:
            json.dump(results, f)
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
