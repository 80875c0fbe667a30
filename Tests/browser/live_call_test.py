#!/usr/bin/python3
"""A live call in a real browser (issue 23 §4 and §6): an agent sets ready in the console's header, a citizen who
phoned before presses 0, the agent's registered SIPp phone rings, and the agent's console pops the caller's number
and earlier ticket while a supervisor's wallboard shows the agent ringing, then on the call, and the day's figures.
Driven by Tests/EndToEndTests/ConsoleBrowserTests.swift (testTheScreenPopAndTheWallboardOnARealCall), which starts
the gateway, the agent's phone and the users, and compares RESULTS with `queue stats --json` afterwards.

Environment (besides console_test.py's BASE_URL, OUT_DIR, USERS, RESULTS):
  SIPP_CMD       JSON list: the SIPp caller pressing 0 (agent-transfer.xml)
  SIPP_DIR       SIPp's working folder (holds speech.al)
  CALLER         the caller's number
  EARLIER_CODE   the tracking code of that number's earlier voice report
The agent also files "a new case from this call" from the pop (its code goes to RESULTS as callCase).
  ABANDON_CMD    JSON list: a second SIPp caller who presses 0 while the agent is in wrap-up and hangs up after ~10 s
  ABANDON_CALLER its number; the agent's open callback page must list it without a reload
  SCREENSHOT_DIR optional: also save the README's screenshots there (console-screen-pop.png, console-wallboard.png,
                 console-callbacks.png)
"""
import contextlib
import json
import os
import subprocess
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import console_test as c

CALLER = os.environ["CALLER"]
EARLIER = os.environ["EARLIER_CODE"]


# The board is replaced every second: each read is one script (atomic against the page's own updates), never an
# element kept across calls, which the next update would leave stale.
def tile(driver, key):
    return driver.execute_script(
        "var v = document.querySelector(\"#wallboard [data-k='\" + arguments[0] + \"'] .wb-value\");"
        " return v ? v.textContent.trim() : null;", key)


def agent_state(driver, name):
    return driver.execute_script(
        "var r = document.querySelector(\"#wallboard tr[data-agent='\" + arguments[0] + \"']\");"
        " return r ? r.getAttribute('data-state') : null;", name)


def screenshot(driver, name, readme=None):
    driver.save_screenshot(os.path.join(c.OUT, name))
    if readme and os.environ.get("SCREENSHOT_DIR"):
        driver.save_screenshot(os.path.join(os.environ["SCREENSHOT_DIR"], readme))


@contextlib.contextmanager
def sipp_run(command_env, log_name):
    """A SIPp run from the driver's command (JSON in the environment), its stderr kept in OUT_DIR; killed if it
    is still running when the block ends."""
    log = open(os.path.join(c.OUT, log_name), "w")
    proc = subprocess.Popen(json.loads(os.environ[command_env]), cwd=os.environ["SIPP_DIR"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=log)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()


def run():
    step, results = c.step, c.results
    step[0] = "the agent signs in and sets ready"
    lan = c.browser("lan")
    c.sign_in(lan, "lan", c.USERS["lan"])
    c.wait(lan, lambda d: d.current_url.endswith("/hang-doi"), what="the queue after sign-in")
    c.wait(lan, lambda d: d.find_element(By.CSS_SELECTOR, "form.presence").is_displayed(), what="the state control")
    presence = lan.find_element(By.CSS_SELECTOR, "form.presence")
    Select(lan.find_element(By.ID, "presence-state")).select_by_value("ready")
    presence.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    c.wait(lan, lambda d: d.find_element(By.CSS_SELECTOR, ".presence-live").text.startswith("Sẵn sàng"), timeout=15,
           what="ready, as the gateway reports it (the phone is registered)")
    c.check("chưa đăng ký" not in lan.find_element(By.CSS_SELECTOR, ".presence-live").text, "the phone is registered")
    c.check(not lan.find_element(By.ID, "screen-pop").is_displayed(), "no pop before a call")

    step[0] = "the supervisor opens the wallboard"
    minh = c.browser("minh")
    c.sign_in(minh, "minh", c.USERS["minh"])
    c.wait(minh, lambda d: d.current_url.endswith("/hang-doi"), what="the supervisor's queue after sign-in")
    minh.find_element(By.LINK_TEXT, "Bảng theo dõi").click()
    c.wait(minh, lambda d: "Đang cập nhật trực tiếp" in d.find_element(By.ID, "live").text, what="the wallboard's stream")
    c.wait(minh, lambda d: agent_state(d, "lan") == "ready", timeout=10, what="lan ready on the wallboard")
    c.check(tile(minh, "offered") == "0", "no caller yet today")
    minh.execute_script("window.__states = []; setInterval(function () {"
                        " var r = document.querySelector(\"#wallboard tr[data-agent='lan']\");"
                        " var s = r && r.getAttribute('data-state');"
                        " if (s && window.__states[window.__states.length - 1] !== s) window.__states.push(s); }, 50);")

    step[0] = "a citizen who phoned before presses 0: the agent's phone rings and the console pops the caller"
    with sipp_run("SIPP_CMD", "sipp-live-call.stderr") as sipp:
        c.wait(lan, lambda d: d.find_element(By.ID, "screen-pop").is_displayed(), timeout=25, what="the screen pop")
        results["popAtMs"] = int(time.time() * 1000)
        pop = lan.find_element(By.ID, "screen-pop")
        c.check(pop.find_element(By.CSS_SELECTOR, ".pop-number").text == CALLER, f"the caller's number in the pop: {pop.text}")
        c.wait(lan, lambda d: EARLIER in d.find_element(By.CSS_SELECTOR, "#screen-pop .pop-tickets").text, timeout=5,
               what="the earlier ticket in the pop")
        c.check(pop.find_element(By.CSS_SELECTOR, ".pop-repeat").is_displayed(), "the repeat-caller flag")
        c.check("1 trong số đó đang mở" in pop.find_element(By.CSS_SELECTOR, ".pop-summary").text,
                f"the open count: {pop.text}")
        link = pop.find_element(By.CSS_SELECTOR, f".pop-tickets a[href='/phieu/{EARLIER}']")
        c.check(link.text == EARLIER, "the ticket links to its case")
        screenshot(lan, "screen-pop.png", "console-screen-pop.png")

        step[0] = "a new case from this call, from the pop"
        pop.find_element(By.CSS_SELECTOR, ".pop-case button").click()
        c.wait(lan, lambda d: "/phieu/" in d.current_url, timeout=10, what="the call's case page")
        new_code = lan.current_url.rstrip("/").rsplit("/", 1)[1]
        c.check(new_code != EARLIER, "a new case, not the earlier one")
        c.wait(lan, lambda d: CALLER in c.text(d), timeout=5, what="the caller's number on the new case")
        results["callCase"] = new_code
        c.wait(lan, lambda d: new_code in d.find_element(By.CSS_SELECTOR, "#screen-pop .pop-linked").text, timeout=5,
               what="the pop saying the call's recording goes with the new case")

        step[0] = "the wallboard shows the agent on the call"
        c.wait(minh, lambda d: agent_state(d, "lan") == "onCall", timeout=15, what="lan on the call on the wallboard")
        c.wait(minh, lambda d: tile(d, "answered") == "1", timeout=5, what="one answered call on the wallboard")
        c.check(tile(minh, "offered") == "1", "one caller offered")
        height = minh.execute_script("return [document.documentElement.scrollHeight, window.innerHeight,"
                                     " document.documentElement.scrollWidth, window.innerWidth]")
        c.check(height[2] <= height[3] + 1, f"the wallboard scrolls sideways at 1366x768: {height}")
        c.check(height[0] <= height[1] + 1, f"the wallboard does not fit 1366x768: {height}")
        screenshot(minh, "wallboard.png", "console-wallboard.png")
        minh.set_window_size(1920, 1080)
        time.sleep(1.2)
        wide = minh.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        c.check(wide[0] <= wide[1] + 1, f"the wallboard scrolls sideways on a TV: {wide}")
        screenshot(minh, "wallboard-tv.png")
        minh.set_window_size(1366, 768)

        step[0] = "the call ends: wrap-up follows, the pop stays"
        sipp.wait(timeout=40)
    results["sippStatus"] = sipp.returncode
    c.check(sipp.returncode == 0, f"the SIPp caller ended with {sipp.returncode} (see sipp-live-call.stderr)")
    c.wait(minh, lambda d: agent_state(d, "lan") == "wrapUp", timeout=10, what="lan in wrap-up")
    # In wrap-up the pop stays with the call just ended, so the case can still be made from it.
    c.wait(lan, lambda d: d.find_element(By.ID, "screen-pop").is_displayed()
           and d.find_element(By.CSS_SELECTOR, "#screen-pop .pop-number").text == CALLER, timeout=5,
           what="the pop kept through wrap-up")

    step[0] = "a caller abandons while the agent is in wrap-up: the open callback page lists them without a reload"
    abandoner = os.environ["ABANDON_CALLER"]
    with sipp_run("ABANDON_CMD", "sipp-abandon.stderr") as abandon:
        lan.find_element(By.LINK_TEXT, "Gọi lại").click()
        c.wait(lan, lambda d: d.current_url.endswith("/goi-lai"), what="the callback page")
        c.wait(lan, lambda d: "Đang cập nhật trực tiếp" in d.find_element(By.ID, "live").text, what="the callback page's stream")
        before = lan.find_element(By.ID, "callback-count").text
        lan.execute_script("window.__sameCallbackPage = true;")
        c.wait(lan, lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#callback-body tr[data-number='{abandoner}']")) == 1,
               timeout=30, what="the abandoned caller on the callback list, live")
        c.check(lan.execute_script("return window.__sameCallbackPage === true"), "the list changed without a reload")
        row = lan.find_element(By.CSS_SELECTOR, f"#callback-body tr[data-number='{abandoner}']")
        c.check("Bỏ máy khi đang chờ" in row.text, f"the reason: {row.text}")
        c.check(len(row.find_elements(By.CSS_SELECTOR, "button.call-back")) == 1, "its Gọi lại button")
        c.check(lan.find_element(By.ID, "callback-count").text == str(int(before) + 1),
                f"the count went from {before} to {lan.find_element(By.ID, 'callback-count').text}")
        results["callbackUpdates"] = int(lan.find_element(By.ID, "callback-body").get_attribute("data-updates") or "0")
        screenshot(lan, "callbacks-live.png", "console-callbacks.png")
        abandon.wait(timeout=30)
    results["abandonStatus"] = abandon.returncode
    c.check(abandon.returncode == 0, f"the abandoning SIPp caller ended with {abandon.returncode} (see sipp-abandon.stderr)")

    step[0] = "the conversation's recording plays on the call's case"
    lan.get(c.BASE + "/phieu/" + results["callCase"])
    def recording_shown(d):
        d.refresh()
        return len(d.find_elements(By.CSS_SELECTOR, "audio#recording")) == 1
    c.wait(lan, recording_shown, timeout=15, what="the conversation's recording on the case page")
    states = minh.execute_script("return window.__states")
    c.check("onCall" in states and states.index("onCall") > states.index("ready"), f"the wallboard's states: {states}")
    results["states"] = states
    time.sleep(1.5)  # one more board after the last queue record
    results["wallboard"] = {k: tile(minh, k) for k in ("waiting", "offered", "answered", "abandoned", "callbacksDue")}
    board = minh.find_element(By.ID, "wallboard")
    results["lags"] = [int(x) for x in (board.get_attribute("data-lags") or "").split(",") if x]
    results["updates"] = int(board.get_attribute("data-updates") or "0")


if __name__ == "__main__":
    c.main(run)
