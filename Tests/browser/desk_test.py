#!/usr/bin/python3
"""Part 2 of the console in a real browser (headless Chromium through Selenium), against `hotline1022 web`:
a citizen files a report in the public form and looks it up; the city's app files one through Open311 (and a
wrong key gets 401); a unit member on a phone resolves with a photo uploaded from the page; the reviewer confirms
(the citizen's result message is checked by the Swift test); the weekly .docx and CSV are downloaded from the
report page; an administrator edits the menu, sees the problem with its line, installs, and rolls back.
Driven by Tests/EndToEndTests/ConsoleBrowserTests.swift.

Environment:
  BASE_URL        the console, e.g. http://127.0.0.1:18080
  OUT_DIR         screenshots, page sources and downloads (kept by the Swift test when it fails)
  USERS           JSON object: name -> password (admin, lan: agent, hoa: unit member of P-LECHAN)
  API_KEY         the Open311 key of the app client
  HOTLINE_CLI     JSON list: the binary and its --db/--config-dir, for the agent's completion
  RESULTS         where to write the figures the Swift test checks (JSON)
Exit status 0 when every check passed; otherwise 1, with screenshots of every browser in OUT_DIR. The README's
screenshots come from ConsoleScreenshot (seeded data), not from this run.
"""
import csv
import io
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


def browser(name, width=1366, height=900, mobile=False):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--lang=vi-VN", "--no-first-run", "--disable-extensions",
                     "--hide-scrollbars"):
        options.add_argument(argument)
    if mobile:
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0},
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/120.0 Mobile Safari/537.36"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(20)
    drivers[name] = driver
    return driver


def wait(driver, condition, timeout=10, what="condition"):
    try:
        # A submitted form navigates and live pages re-render: an element read mid-way is stale, detached or
        # not there yet; each means "not yet", and a real failure still ends in the timeout below.
        return WebDriverWait(driver, timeout, poll_frequency=0.05,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException,
                                                 WebDriverException)).until(lambda d: condition(d))
    except Exception as error:
        raise AssertionError(f"timed out after {timeout} s waiting for {what}") from error


def text(driver):
    return driver.find_element(By.TAG_NAME, "body").text


def sign_in(driver, name):
    driver.get(BASE + "/dang-nhap")
    driver.find_element(By.ID, "ten").send_keys(name)
    driver.find_element(By.ID, "mat_khau").send_keys(USERS[name])
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(driver, lambda d: not d.current_url.endswith("/dang-nhap"), what=f"{name} to sign in")
    return driver.get_cookie("hotline_session")["value"]


def shot(driver, name):
    driver.save_screenshot(os.path.join(OUT, name))


def full_page_shot(driver, name, width):
    """The whole page's height in one picture."""
    height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 2600)")
    driver.set_window_size(width, height + 120)
    time.sleep(0.2)
    shot(driver, name)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def http(path, session=None, method="GET", data=None, headers=None):
    request = urllib.request.Request(path if path.startswith("http") else BASE + path, method=method, data=data)
    if session:
        request.add_header("Cookie", "hotline_session=" + session)
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with OPENER.open(request, timeout=15) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def open311_post(fields):
    body = urllib.parse.urlencode(fields).encode()
    return http("/open311/v2/requests.json", method="POST", data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"})


def run():
    photo = os.path.join(OUT, "hien-truong.png")

    step[0] = "a citizen files a report in the public form"
    citizen = browser("citizen", 390, 844, mobile=True)
    citizen.get(BASE + "/tra-cuu")
    citizen.save_screenshot(photo)  # a real PNG to send as the site's photo
    citizen.get(BASE + "/phan-anh")
    shown_at = time.time()
    Select(citizen.find_element(By.ID, "linh_vuc")).select_by_value("infrastructure")
    description = "Cột đèn chiếu sáng trước số 45 Tô Hiệu bị đổ nghiêng từ sáng nay, nguy hiểm cho người đi đường."
    citizen.find_element(By.ID, "mo_ta").send_keys(description)
    Select(citizen.find_element(By.ID, "dia_ban")).select_by_visible_text("Lê Chân")
    citizen.find_element(By.ID, "dia_diem").send_keys("45 Tô Hiệu")
    citizen.find_element(By.ID, "anh").send_keys(photo)
    citizen.find_element(By.ID, "ho_ten").send_keys("Trần Thị Mai")
    citizen.find_element(By.ID, "dien_thoai").send_keys("0912 345 678")
    # The form token is accepted only a few seconds after the form was shown (a person reads and types).
    time.sleep(max(0, 3.3 - (time.time() - shown_at)))
    citizen.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()
    wait(citizen, lambda d: d.find_elements(By.ID, "tracking-code"), what="the tracking code")
    portal_code = citizen.find_element(By.ID, "tracking-code").text.strip()
    results["portalCode"] = portal_code
    log(f"portal report {portal_code}")

    step[0] = "the citizen looks it up"
    citizen.find_element(By.ID, "lookup-link").click()
    wait(citizen, lambda d: d.find_elements(By.ID, "public-view"), what="the public view")
    view = citizen.find_element(By.ID, "public-view").text
    check(portal_code in view and "Chờ tiếp nhận" in view, f"the lookup shows the code and status: {view!r}")
    check("Trang tin 1022" in view, "the lookup shows the channel")
    page = text(citizen)
    check("Trần Thị Mai" not in page and "0912" not in page and "345 678" not in page, "no personal data in the public view")
    status, _, _ = http("/phan-anh", method="POST", data=b"mo_ta=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 400, f"a form without its signed token is refused ({status})")

    step[0] = "Open311: a wrong key gets 401, a good one files a ticket with channel app"
    status, _, body = open311_post({"api_key": "h1022_" + "0" * 64, "service_code": "infrastructure_incident",
                                    "description": "Nắp cống vỡ giữa đường Lạch Tray"})
    check(status == 401, f"a wrong API key gets 401, not {status}: {body[:200]!r}")
    results["wrongKeyStatus"] = status
    status, _, body = open311_post({"api_key": os.environ["API_KEY"], "service_code": "infrastructure_incident",
                                    "description": "Nắp cống vỡ giữa đường Lạch Tray, xe máy dễ sập bánh.",
                                    "address_string": "120 Lạch Tray, Lê Chân", "lat": "20.8449", "long": "106.6881",
                                    "phone": "0987654321"})
    check(status == 201, f"Open311 POST: {status} {body[:300]!r}")
    app_code = json.loads(body)[0]["service_request_id"]
    results["appCode"] = app_code
    status, _, body = http(f"/open311/v2/requests/{app_code}.json")
    item = json.loads(body)[0]
    check(status == 200 and item["status"] == "open" and item["channel"] == "app", f"GET the request: {status} {item}")
    check("phone" not in json.dumps(item) and "0987654321" not in json.dumps(item), "no personal data in the API's view")

    step[0] = "the agent completes the portal report (CLI) and it goes to P-LECHAN"
    cli = json.loads(os.environ["HOTLINE_CLI"])
    done = subprocess.run([cli[0], "agent", "complete", portal_code, "--name", "Trần Thị Mai", "--address", "45 Tô Hiệu",
                           "--summary", "Cột đèn đổ nghiêng trước 45 Tô Hiệu", "--category", "infrastructure",
                           "--topic", "infrastructure_incident", "--ward", "Lê Chân", "--as", "lan"] + cli[1:],
                          capture_output=True, text=True, timeout=60)
    check(done.returncode == 0, f"agent complete: {done.stderr}")

    step[0] = "the unit member sees the inbox on a phone"
    hoa = browser("hoa", 390, 844, mobile=True)
    sign_in(hoa, "hoa")
    check(hoa.current_url.endswith("/don-vi"), f"a unit member lands on the inbox: {hoa.current_url}")
    card = hoa.find_element(By.CSS_SELECTOR, f"li.card[data-code='{portal_code}']")
    clock = card.find_element(By.CSS_SELECTOR, ".clock-text").text
    check(clock.startswith("còn "), f"a countdown on the card: {clock!r}")
    width = hoa.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(width[0] <= width[1] + 1, f"the inbox does not scroll sideways on a phone: {width}")
    shot(hoa, "console-unit-phone.png")

    step[0] = "accept, then resolve with a photo uploaded from the page"
    card.find_element(By.CSS_SELECTOR, "a.code").click()
    wait(hoa, lambda d: d.find_elements(By.ID, "tiep-nhan"), what="the accept form")
    hoa.find_element(By.CSS_SELECTOR, "#tiep-nhan button").click()
    wait(hoa, lambda d: d.find_elements(By.ID, "done"), what="accepted")
    hoa.get(BASE + f"/don-vi/phieu/{portal_code}")
    capture = hoa.find_element(By.ID, "anh")
    check(capture.get_attribute("accept") == "image/*" and capture.get_attribute("capture") is not None,
          "the photo field opens the phone's camera (accept=image/* capture)")
    result_text = "Đã dựng lại và cố định cột đèn trước 45 Tô Hiệu lúc 15 giờ, đèn sáng bình thường."
    hoa.find_element(By.ID, "ket_qua").send_keys(result_text)
    # Without a photo first: refused, and the result text is kept.
    hoa.find_element(By.CSS_SELECTOR, "#ket-qua button[type=submit]").click()
    wait(hoa, lambda d: d.find_elements(By.ID, "step-error"), what="the refusal without evidence")
    wait(hoa, lambda d: "minh chứng" in d.find_element(By.ID, "step-error").text, what="minh chứng")
    check(hoa.find_element(By.ID, "ket_qua").get_attribute("value") == result_text, "the typed result is kept")
    after = os.path.join(OUT, "sau-xu-ly.png")
    hoa.save_screenshot(after)  # another real PNG: the photo after the work (the citizen's is not new evidence)
    hoa.find_element(By.ID, "anh").send_keys(after)
    hoa.find_element(By.CSS_SELECTOR, "#ket-qua button[type=submit]").click()
    wait(hoa, lambda d: d.find_elements(By.ID, "done"), what="the result sent")
    wait(hoa, lambda d: "Đã gửi kết quả" in text(d), what="Đã gửi kết quả")
    hoa.get(BASE + f"/don-vi/phieu/{portal_code}")
    shot(hoa, "unit-case-phone.png")

    step[0] = "the reviewer sees the result with the photo inline and confirms"
    lan = browser("lan")
    lan_session = sign_in(lan, "lan")
    lan.get(BASE + "/duyet")
    item = lan.find_element(By.ID, f"r-{portal_code}")
    check(result_text in item.text, "the result text is shown")
    img = item.find_element(By.CSS_SELECTOR, "img.thumb")
    wait(lan, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img),
         what="the evidence photo to load inline")
    results["evidenceWidth"] = lan.execute_script("return arguments[0].naturalWidth", img)
    status, headers, _ = http(img.get_attribute("src"), lan_session)
    check(status == 200 and headers.get("Content-Type", "").startswith("image/png"), f"evidence served as an image: {status} {headers}")
    status, _, _ = http(img.get_attribute("src"))
    check(status == 303, f"evidence without a session goes to sign-in ({status})")
    item.find_element(By.CSS_SELECTOR, "form.xac-nhan button").click()
    wait(lan, lambda d: d.find_elements(By.ID, "done"), what="confirmed")
    wait(lan, lambda d: "Đã xác nhận" in text(d), what="Đã xác nhận")

    step[0] = "the citizen sees it completed and rates it"
    citizen.get(BASE + f"/tra-cuu?ma={portal_code}")
    wait(citizen, lambda d: "Đã hoàn thành" in d.find_element(By.ID, "public-view").text, what="Đã hoàn thành")
    time.sleep(3.1)
    citizen.find_element(By.CSS_SELECTOR, "#rating-form input[name=diem][value='5']").click()
    citizen.find_element(By.ID, "so_cuoi").send_keys("5678")
    citizen.find_element(By.CSS_SELECTOR, "#rating-form button[type=submit]").click()
    wait(citizen, lambda d: d.find_elements(By.ID, "done"), what="the rating thanked")
    wait(citizen, lambda d: "5/5" in d.find_element(By.ID, "public-view").text, what="5/5")

    step[0] = "the report dashboard, the weekly .docx and the CSV"
    lan.get(BASE + "/bao-cao")
    for chart in ("bieu-do-xu-huong", "bieu-do-chuyen-muc", "bieu-do-don-vi"):
        check(lan.find_elements(By.CSS_SELECTOR, f"#{chart} svg"), f"the {chart} chart is inline SVG")
    channels = lan.find_element(By.ID, "theo-kenh").text
    check("Trang tin 1022" in channels and "Smart Hải Phòng" in channels, f"every channel counted: {channels!r}")
    full_page_shot(lan, "console-reports.png", 1366)
    lan.set_window_size(1366, 900)
    href = lan.find_element(By.ID, "tai-weekly-docx").get_attribute("href")
    status, headers, docx = http(href, lan_session)
    check(status == 200 and docx[:2] == b"PK", f"the weekly .docx: {status} {headers.get('Content-Type')}")
    check("attachment" in headers.get("Content-Disposition", ""), "downloaded as a file")
    with open(os.path.join(OUT, "weekly.docx"), "wb") as f:
        f.write(docx)
    results["docxPath"] = os.path.join(OUT, "weekly.docx")
    import docx as python_docx
    document = python_docx.Document(os.path.join(OUT, "weekly.docx"))
    paragraphs = [p.text for p in document.paragraphs]
    results["docxParagraphs"] = paragraphs
    results["docxTables"] = len(document.tables)
    results["docxCells"] = [p.text for t in document.tables for row in t.rows for cell in row.cells for p in cell.paragraphs]
    status, headers, data = http(lan.find_element(By.ID, "tai-weekly-csv").get_attribute("href"), lan_session)
    check(status == 200 and data[:3] == b"\xef\xbb\xbf", f"the CSV starts with a BOM: {data[:8]!r}")
    results["csvBOM"] = True
    results["csvRows"] = len(list(csv.reader(io.StringIO(data.decode("utf-8-sig")))))

    step[0] = "the administrator sees the problem of a menu with its line"
    admin = browser("admin")
    sign_in(admin, "admin")
    admin.get(BASE + "/quan-tri/kich-ban")
    editor = admin.find_element(By.ID, "plan")
    original = editor.get_attribute("value")
    check('"version"' in original, "the live plan is in the editor")
    broken = original.replace('"type": "hangup"', '"type": "hangupp"', 1)
    expected_line = broken[:broken.index('"hangupp"')].count("\n") + 1
    admin.execute_script("arguments[0].value = arguments[1]", editor, broken)
    admin.find_element(By.ID, "check").click()
    wait(admin, lambda d: d.find_elements(By.ID, "problems"), what="the problems")
    problems = admin.find_element(By.ID, "problems").text
    check(f"dòng {expected_line}," in problems and "hangupp" in problems and "$.nodes." in problems,
          f"the problem names line {expected_line} and its JSON path: {problems!r}")
    results["problemLine"] = expected_line
    # A syntax error: the parser's own line and column.
    syntax = original.replace('"version"', '"version" :: ', 1)
    admin.execute_script("arguments[0].value = arguments[1]", admin.find_element(By.ID, "plan"), syntax)
    admin.find_element(By.ID, "check").click()
    wait(admin, lambda d: d.find_elements(By.ID, "problems"), what="the syntax error")
    syntax_line = syntax[:syntax.index('"version"')].count("\n") + 1
    wait(admin, lambda d: f"dòng {syntax_line}," in d.find_element(By.ID, "problems").text, what=f"dòng {syntax_line},")

    step[0] = "the administrator draws, simulates and installs an edited menu"
    edited = original.replace('"version": "', '"version": "browser-test-', 1)
    admin.execute_script("arguments[0].value = arguments[1]", admin.find_element(By.ID, "plan"), edited)
    admin.find_element(By.ID, "graph").click()
    wait(admin, lambda d: d.find_elements(By.ID, "dialplan-graph"), what="the graph")
    wait(admin, lambda d: d.execute_script("return document.getElementById('dialplan-graph').naturalWidth"), what="the SVG graph to draw")
    admin.find_element(By.ID, "simulate").click()
    wait(admin, lambda d: d.find_elements(By.ID, "simulation"), what="the simulation")
    simulation = admin.find_element(By.ID, "simulation").text
    check("cuộc gọi từ" in simulation and "♪" in simulation, f"the simulated call in Vietnamese: {simulation[:300]!r}")
    admin.find_element(By.ID, "graph").click()
    wait(admin, lambda d: d.find_elements(By.ID, "dialplan-graph"), what="the graph again")
    full_page_shot(admin, "console-menu-editor.png", 1366)
    admin.set_window_size(1366, 900)
    admin.find_element(By.ID, "install").click()
    wait(admin, lambda d: d.find_elements(By.ID, "done"), what="installed")
    wait(admin, lambda d: "Đã cài kịch bản browser-test-" in text(d), what="Đã cài kịch bản browser-test-")
    rows = admin.find_elements(By.CSS_SELECTOR, "#history tbody tr")
    check(len(rows) >= 2, f"the history keeps the plan before and the one installed ({len(rows)} rows)")
    check("browser-test-" in rows[0].text and "đang dùng" in rows[0].text, rows[0].text)

    step[0] = "the administrator rolls back"
    older = admin.find_elements(By.CSS_SELECTOR, "#history button.rollback")
    check(older, "an earlier version to roll back to")
    older[0].click()
    wait(admin, lambda d: "Đã quay lại" in d.find_element(By.ID, "done").text, what="rolled back")
    shown = admin.find_element(By.ID, "plan").get_attribute("value")
    check(shown == original, f"the editor shows the original plan again ({len(shown)} characters, not {len(original)})")
    results["rolledBack"] = True


def main():
    started = time.time()
    status = 0
    try:
        run()
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
            json.dump(results, f, ensure_ascii=False)
        for driver in drivers.values():
            try:
                driver.quit()
            except Exception:
                pass
    sys.exit(status)


if __name__ == "__main__":
    main()
