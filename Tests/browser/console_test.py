#!/usr/bin/python3
"""The agents' console in a real browser (headless Chromium through Selenium), against a running
`hotline1022 serve`. Driven by Tests/EndToEndTests/ConsoleBrowserTests.swift, which starts the gateway, adds the
users and reads RESULTS afterwards.

Environment:
  BASE_URL       the console, e.g. http://127.0.0.1:18080
  OUT_DIR        where screenshots and page sources go (kept by the Swift test when it fails)
  SIPP_CMD       JSON list: the SIPp command line of one voice report
  SIPP_DIR       SIPp's working folder (holds speech.al)
  USERS          JSON object: name -> password (lan, binh: agents; hoa: unit member; cuong: for the lockout)
  RESULTS        where to write the figures the Swift test checks (JSON)
  SCREENSHOT_DIR optional: also save the README's screenshot there (console-queue.png)
Exit status 0 when every check passed; otherwise 1, with screenshots of every browser in OUT_DIR.
"""
import json
import os
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ["BASE_URL"].rstrip("/")
OUT = os.environ["OUT_DIR"]
USERS = json.loads(os.environ["USERS"])
RESULTS = os.environ["RESULTS"]
results = {}
drivers = {}
step = ["start"]


def log(message):
    print(f"[browser {time.strftime('%H:%M:%S')}] {message}", flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def browser(name, width=1366, height=768):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--autoplay-policy=no-user-gesture-required",
                     "--lang=vi-VN", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    drivers[name] = driver
    return driver


def wait(driver, condition, timeout=10, poll=0.05, what="condition"):
    try:
        # The live queue re-renders rows as server-sent events arrive, and a submitted form navigates: an
        # element read mid-render or mid-navigation is gone (stale, "does not belong to the document") or not
        # there yet; each means "not yet", and a real failure still ends in the timeout below.
        return WebDriverWait(driver, timeout, poll_frequency=poll,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException,
                                                 WebDriverException)).until(lambda d: condition(d))
    except Exception as error:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from error


def sign_in(driver, name, password):
    driver.get(BASE + "/dang-nhap")
    driver.find_element(By.ID, "ten").send_keys(name)
    driver.find_element(By.ID, "mat_khau").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def cookie(driver):
    c = driver.get_cookie("hotline_session")
    check(c is not None, "no session cookie after sign-in")
    check(c.get("httpOnly") is True, "the session cookie is HttpOnly")
    check(c.get("sameSite") == "Strict", f"the session cookie is SameSite=Strict, not {c.get('sameSite')}")
    return c["value"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(path, session=None, method="GET", data=None, headers=None):
    request = urllib.request.Request(BASE + path, method=method, data=data)
    if session:
        request.add_header("Cookie", "hotline_session=" + session)
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def text(driver):
    return driver.find_element(By.TAG_NAME, "body").text


def no_horizontal_scroll(driver, what):
    width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(width[0] <= width[1] + 1, f"{what} scrolls sideways on a phone: {width[0]} px wide in {width[1]} px")


def run():
    lan = browser("lan")
    binh = browser("binh")

    step[0] = "sign in"
    sign_in(lan, "lan", USERS["lan"])
    wait(lan, lambda d: d.current_url.endswith("/hang-doi"), what="the queue after sign-in")
    wait(lan, lambda d: "Hàng đợi phản ánh" in text(d), what="the queue page")
    lan_session = cookie(lan)
    sign_in(binh, "binh", USERS["binh"])
    wait(binh, lambda d: d.current_url.endswith("/hang-doi"), what="binh's queue after sign-in")
    for d in (lan, binh):
        wait(d, lambda d: "Đang cập nhật trực tiếp" in d.find_element(By.ID, "live").text, what="the live stream to open")
    check(not lan.find_elements(By.CSS_SELECTOR, "tr.case-row"), "the queue starts empty")

    step[0] = "the agent's state in the header"
    # binh has no phone in the live queue: the control says so and cannot be used.
    wait(binh, lambda d: d.find_element(By.CSS_SELECTOR, "form.presence").is_displayed(), what="binh's state control")
    wait(binh, lambda d: "Chưa có điện thoại" in d.find_element(By.CSS_SELECTOR, ".presence-live").text,
         what="binh shown without a phone")
    check(binh.find_element(By.ID, "presence-state").get_attribute("disabled") is not None, "no phone, no control")
    # lan has one that is not registered: the gateway's own report says so.
    wait(lan, lambda d: "chưa đăng ký điện thoại" in d.find_element(By.CSS_SELECTOR, ".presence-live").text, timeout=15,
         what="lan shown ready with no phone registered")
    presence = lan.find_element(By.CSS_SELECTOR, "form.presence")
    presence.find_element(By.NAME, "ly_do").send_keys("Họp giao ban")
    Select(lan.find_element(By.ID, "presence-state")).select_by_value("break")
    presence.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(lan, lambda d: "Tạm nghỉ: Họp giao ban" in d.find_element(By.CSS_SELECTOR, ".presence-live").text, timeout=15,
         what="the break as the gateway applied it")
    check(lan.current_url.endswith("/hang-doi"), "back on the page the agent was on")
    lan.save_screenshot(os.path.join(OUT, "presence-break.png"))
    lan.execute_script("document.activeElement.blur()")
    ActionChains(lan).send_keys("r").perform()
    wait(lan, lambda d: d.find_element(By.CSS_SELECTOR, ".presence-live").text.startswith("Sẵn sàng"), timeout=15,
         what="r: ready again")
    check(Select(lan.find_element(By.ID, "presence-state")).first_selected_option.get_attribute("value") == "ready",
          "the control shows ready")
    wait(lan, lambda d: "Đang cập nhật trực tiếp" in d.find_element(By.ID, "live").text, what="the live stream again")

    step[0] = "a call's draft appears without reload"
    lan.execute_script("""
        window.__noReload = 1022; window.__appeared = null;
        new MutationObserver(function () {
          if (!window.__appeared && document.querySelector('tr.case-row')) window.__appeared = Date.now();
        }).observe(document.getElementById('queue-body'), { childList: true, subtree: true });
    """)
    sipp_log = open(os.path.join(OUT, "sipp-console.stderr"), "w")
    sipp = subprocess.Popen(json.loads(os.environ["SIPP_CMD"]), cwd=os.environ["SIPP_DIR"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=sipp_log)
    try:
        wait(lan, lambda d: d.execute_script("return window.__appeared"), timeout=60, what="the call's draft in the queue")
    except AssertionError:
        sipp.kill()
        raise
    check(lan.execute_script("return window.__noReload") == 1022, "the page was reloaded")
    results["appearedAtMs"] = lan.execute_script("return window.__appeared")
    row = lan.find_element(By.CSS_SELECTOR, "tr.case-row")
    code = row.get_attribute("data-code")
    results["code"] = code
    log(f"draft {code} appeared")
    check("fresh" in row.get_attribute("class"), "a new case is highlighted")
    check(row.find_element(By.CSS_SELECTOR, ".clock").text.startswith("còn "), "a live countdown in Vietnamese")
    check("60 phút (Art. 7.3)" in row.text, "the Art. 7.3 clock is named")
    time.sleep(1.2)
    before, after = row.find_element(By.CSS_SELECTOR, ".clock-text").text, None
    time.sleep(1.1)
    after = row.find_element(By.CSS_SELECTOR, ".clock-text").text
    check(before != after, f"the countdown moves ({before!r} then {after!r})")
    wait(binh, lambda d: d.find_elements(By.CSS_SELECTOR, f"tr.case-row[data-code='{code}']"), what="the draft in binh's queue")
    lan.save_screenshot(os.path.join(OUT, "queue.png"))
    if os.environ.get("SCREENSHOT_DIR"):
        lan.save_screenshot(os.path.join(os.environ["SCREENSHOT_DIR"], "console-queue.png"))

    step[0] = "keyboard shortcuts"
    body = lan.find_element(By.TAG_NAME, "body")
    ActionChains(lan).send_keys("?").perform()
    check(lan.find_element(By.ID, "help").is_displayed(), "? shows the shortcuts")
    ActionChains(lan).send_keys("?").perform()
    check(not lan.find_element(By.ID, "help").is_displayed(), "? hides them again")
    search = lan.find_element(By.ID, "top-q")
    search.click()
    search.send_keys("jk?c")
    check(search.get_attribute("value") == "jk?c", "typing in the search box types")
    check(not lan.find_element(By.ID, "help").is_displayed(), "no shortcut fires while typing")
    check(lan.current_url.endswith("/hang-doi"), "no shortcut fires while typing (c did not claim)")
    search.clear()
    lan.execute_script("document.activeElement.blur()")
    ActionChains(lan).send_keys("j").send_keys("k").perform()
    check("selected" in lan.find_element(By.CSS_SELECTOR, f"tr.case-row[data-code='{code}']").get_attribute("class"),
          "j/k select a case")
    ActionChains(lan).send_keys("\ue007").perform()  # Enter
    wait(lan, lambda d: d.current_url.endswith("/phieu/" + code), what="Enter to open the case")

    step[0] = "the recording plays"
    wait(lan, lambda d: d.execute_script(
        "var a = document.getElementById('recording'); return a && a.readyState >= 1 && a.duration > 0 && !a.error"),
        timeout=10, what="the audio element to load")
    results["audioDuration"] = lan.execute_script("return document.getElementById('recording').duration")
    played = lan.execute_async_script("""
        var done = arguments[arguments.length - 1], a = document.getElementById('recording');
        a.muted = true;
        a.play().then(function () { setTimeout(function () { done(a.currentTime); }, 800); })
                .catch(function (e) { done('error: ' + e); });
    """)
    check(isinstance(played, (int, float)) and played > 0, f"the recording plays (currentTime {played})")
    lan.execute_script("var a = document.getElementById('recording'); a.pause(); a.currentTime = a.duration / 2;")
    status, headers, whole = http(f"/phieu/{code}/ghi-am", lan_session)
    check(status == 200 and whole[:4] == b"RIFF", f"the whole recording: {status}")
    status, headers, part = http(f"/phieu/{code}/ghi-am", lan_session, headers={"Range": "bytes=100-199"})
    check(status == 206, f"a Range request gets 206, not {status}")
    check(headers.get("Content-Range") == f"bytes 100-199/{len(whole)}", f"Content-Range {headers.get('Content-Range')}")
    check(part == whole[100:200], "the range is those bytes")
    results["rangeStatus"] = status
    results["recordingBytes"] = len(whole)

    step[0] = "claim with c; a second agent sees it held"
    ActionChains(lan).send_keys("c").perform()
    wait(lan, lambda d: "Bạn đang xử lý" in text(d), what="the claim")
    wait(binh, lambda d: "Đang do lan xử lý" in d.find_element(By.CSS_SELECTOR, f"tr.case-row[data-code='{code}']").text,
         timeout=5, what="binh's queue to show lan holds it (no reload)")
    binh.get(BASE + "/phieu/" + code)
    wait(binh, lambda d: "Đang do lan xử lý" in text(d), what="binh's case page says lan holds it")
    check(not binh.find_elements(By.ID, "hoan-tat"), "no complete form for binh while lan holds it")
    binh.get(BASE + "/hang-doi")
    wait(binh, lambda d: "Đang cập nhật trực tiếp" in d.find_element(By.ID, "live").text, what="binh's live stream")

    step[0] = "POST without CSRF token"
    status, _, _ = http(f"/phieu/{code}/tra", lan_session, method="POST", data=b"",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 403, f"a POST without its CSRF token gets 403, not {status}")
    status, _, _ = http(f"/phieu/{code}/tra", lan_session, method="POST", data=b"csrf=" + b"0" * 64,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 403, f"a POST with a wrong CSRF token gets 403, not {status}")
    results["csrfStatus"] = status
    lan.refresh()
    wait(lan, lambda d: "Bạn đang xử lý" in text(d), what="the refused POSTs released nothing")

    step[0] = "validation messages beside the fields"
    lan.find_element(By.ID, "ten").clear()
    lan.find_element(By.CSS_SELECTOR, "#hoan-tat button.primary").click()
    wait(lan, lambda d: d.find_elements(By.CSS_SELECTOR, ".error-summary"), what="the error summary")
    summary_links = [a.get_attribute("href").split("#")[-1] for a in lan.find_elements(By.CSS_SELECTOR, ".error-summary a")]
    check("ten" in summary_links and "tom_tat" in summary_links, f"the summary links the fields: {summary_links}")
    check(lan.find_element(By.ID, "ten-error").is_displayed(), "the message beside the name field")
    check("họ tên" in lan.find_element(By.ID, "ten-error").text, lan.find_element(By.ID, "ten-error").text)
    lan.save_screenshot(os.path.join(OUT, "validation.png"))

    step[0] = "complete"
    hostile = "<script>window.__xss = 1</script> Đèn đường ngõ 12 không sáng"
    lan.find_element(By.ID, "ten").send_keys("Nguyễn Văn An")
    lan.find_element(By.ID, "dia_chi").clear()
    lan.find_element(By.ID, "dia_chi").send_keys("12 Lạch Tray")
    lan.find_element(By.ID, "tom_tat").clear()
    lan.find_element(By.ID, "tom_tat").send_keys(hostile)
    Select(lan.find_element(By.ID, "linh_vuc")).select_by_value("infrastructure")
    Select(lan.find_element(By.ID, "chuyen_muc")).select_by_value("infrastructure_incident")
    Select(lan.find_element(By.ID, "dia_ban")).select_by_visible_text("Lê Chân")
    lan.find_element(By.CSS_SELECTOR, "#hoan-tat button.primary").click()
    wait(lan, lambda d: "Đã hoàn tất" in text(d), what="the completion")
    wait(lan, lambda d: "P-LECHAN" in text(d), what="forwarded to the suggested unit")

    step[0] = "the case leaves the queue"
    wait(binh, lambda d: not d.find_elements(By.CSS_SELECTOR, f"tr.case-row[data-code='{code}']"), timeout=5,
         what="the case to leave binh's live queue")

    step[0] = "a summary with <script> shows as text"
    lan.get(BASE + "/phieu/" + code)
    shown = lan.find_element(By.CSS_SELECTOR, ".summary-text").text
    check(shown == hostile, f"the summary is shown as typed: {shown!r}")
    check(lan.execute_script("return typeof window.__xss") == "undefined", "the script did not run")
    check(lan.execute_script("return document.querySelectorAll('main script').length") == 0, "no script element in the page")
    lan.save_screenshot(os.path.join(OUT, "case.png"))

    step[0] = "search"
    lan.get(BASE + "/tim-kiem?q=" + urllib.parse.quote("den duong"))
    check(code in text(lan), "\"den duong\" finds \"đèn đường\"")
    lan.get(BASE + "/tim-kiem?q=5678")
    check(code in text(lan), "the caller's last digits find the case")

    step[0] = "a phone-sized screen"
    lan.set_window_size(390, 844)
    lan.get(BASE + "/hang-doi")
    no_horizontal_scroll(lan, "the queue")
    lan.get(BASE + "/phieu/" + code)
    no_horizontal_scroll(lan, "the case page")
    lan.save_screenshot(os.path.join(OUT, "case-phone.png"))
    lan.set_window_size(1366, 768)

    step[0] = "sign out"
    lan.find_element(By.CSS_SELECTOR, "header form[action='/dang-xuat'] button").click()
    wait(lan, lambda d: "Bạn đã đăng xuất" in text(d), what="the signed-out page")
    status, _, _ = http("/hang-doi", lan_session)
    check(status == 303, f"the old session opens nothing after sign-out ({status})")

    step[0] = "a unit member gets 403 on a hotline page"
    binh.delete_all_cookies()
    sign_in(binh, "hoa", USERS["hoa"])
    wait(binh, lambda d: d.current_url.endswith("/don-vi"), what="a unit member lands on the unit's inbox")
    binh.get(BASE + "/hang-doi")
    wait(binh, lambda d: "Không có quyền truy cập" in text(d), what="the 403 page for a unit member")
    hoa_session = cookie(binh)
    for path in ("/hang-doi", "/phieu/" + code, "/tim-kiem?q=den", "/su-kien"):
        status, _, _ = http(path, hoa_session)
        check(status == 403, f"a unit member gets 403 on {path}, not {status}")
    results["unitStatus"] = 403

    step[0] = "repeated wrong passwords lead to lockout"
    binh.delete_all_cookies()
    for attempt in range(4):
        sign_in(binh, "cuong", f"sai {attempt}")
        wait(binh, lambda d: "Tên đăng nhập hoặc mật khẩu không đúng" in text(d), what=f"wrong password {attempt + 1}")
    sign_in(binh, "cuong", USERS["cuong"])
    wait(binh, lambda d: "Đăng nhập sai nhiều lần" in text(d),
         what="even the right password refused right after repeated failures")
    check(binh.current_url.endswith("/dang-nhap"), "not signed in")
    binh.save_screenshot(os.path.join(OUT, "lockout.png"))

    out, _ = sipp.communicate(timeout=90)
    sipp_log.close()
    results["sippStatus"] = sipp.returncode
    check(sipp.returncode == 0, f"the SIPp call ended with {sipp.returncode} (see sipp-console.stderr)")


def main(body=None):
    """Runs `body` (this script's `run` by default; live_call_test.py passes its own) with screenshots on failure."""
    started = time.time()
    status = 0
    try:
        (body or run)()
        log(f"every check passed in {time.time() - started:.1f} s")
    except Exception:
        status = 1
        print(f"FAILED at step '{step[0]}':", flush=True)
        traceback.print_exc()
        for name, driver in drivers.items():
            try:
                path = os.path.join(OUT, f"failure-{name}.png")
                driver.save_screenshot(path)
                with open(os.path.join(OUT, f"failure-{name}.html"), "w") as f:
                    f.write(driver.page_source)
                print(f"screenshot of {name}'s browser at {driver.current_url}: {path}", flush=True)
            except Exception as error:
                print(f"no screenshot of {name}: {error}", flush=True)
    finally:
        results["seconds"] = round(time.time() - started, 1)
        results["failedStep"] = step[0] if status else None
        with open(RESULTS, "w") as f:
            json.dump(results, f)
        for driver in drivers.values():
            try:
                driver.quit()
            except Exception:
                pass
    sys.exit(status)


if __name__ == "__main__":
    main()
