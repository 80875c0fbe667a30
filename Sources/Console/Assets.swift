/// The console's style sheet and scripts, served from the binary (no CDN, no inline script: the CSP forbids it).
enum Assets {
    static let css = #"""
:root { --ink: #1b1b1b; --muted: #5a5a5a; --line: #d0d0d0; --bg: #f6f6f4; --accent: #0b5cad; --danger: #b00020;
        --warn: #8a5a00; --ok: #1d6b2f; --held: #6b3fa0; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { font-size: 16px; }
body { margin: 0; font-family: "Noto Sans", "Segoe UI", Roboto, Arial, sans-serif; color: var(--ink); background: var(--bg);
       line-height: 1.4; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, textarea:focus, tr:focus { outline: 3px solid #ffbf47; outline-offset: 1px; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem; padding: .5rem 1rem; background: #0b2e4f;
             color: #fff; }
header.top a { color: #fff; text-decoration: none; font-weight: 600; }
header.top a.current { text-decoration: underline; }
header.top .brand { font-weight: 700; margin-right: .5rem; }
header.top .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
header.top form { margin: 0; }
header.top button { background: transparent; color: #fff; border: 1px solid #fff; border-radius: 3px; padding: .15rem .6rem;
                    cursor: pointer; }
header.top form.presence { display: flex; gap: .4rem; align-items: center; flex-wrap: wrap; }
header.top form.presence .presence-live { font-weight: 600; }
header.top form.presence[data-state="ready"] .presence-live { color: #9ff0b4; }
header.top form.presence[data-state="break"] .presence-live, header.top form.presence[data-state="offline"] .presence-live { color: #ffd27a; }
header.top .screen-pop { position: fixed; top: 3.2rem; right: 1rem; z-index: 20; width: min(28rem, 92vw); max-height: 70vh; overflow: auto; background: #fff; color: #1b1b1b; border: 2px solid #c0392b; border-radius: 6px; padding: .6rem .8rem; box-shadow: 0 4px 16px rgba(0,0,0,.25); }
header.top .screen-pop h2 { font-size: 1.1rem; margin: 0 0 .3rem; }
header.top .screen-pop a { color: #0b4f8a; }
header.top .screen-pop button { background: var(--accent); color: #fff; border: 0; border-radius: 3px; padding: .35rem .8rem; margin: .4rem 0 0; font-weight: 600; }
header.top form.presence select, header.top form.presence input { padding: .2rem .3rem; border: 0; border-radius: 3px; width: auto; font-size: .9rem; }
header.top form.presence input { width: 9rem; }
header.top form.search input { width: 14rem; max-width: 40vw; padding: .25rem .4rem; border: 0; border-radius: 3px; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: .25rem 0 .75rem; }
h2 { font-size: 1.1rem; margin: 1rem 0 .5rem; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: .75rem 1rem; margin-bottom: 1rem; }
.muted { color: var(--muted); }
.toolbar { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; margin-bottom: .5rem; }
/* The wallboard: tiles that fill 1366×768 and scale with the screen's width on a TV. */
body.wallboard-page main { max-width: none; }
.wb-title { display: flex; justify-content: space-between; align-items: baseline; font-size: clamp(1.2rem, 1.8vw, 2.6rem); margin: .2rem 0 .6rem; }
.wb-grid { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: .6rem; }
.wb-tile { background: #fff; border: 1px solid var(--line); border-left: .45rem solid var(--accent); border-radius: 6px; padding: .5rem .7rem; display: flex; flex-direction: column; }
.wb-tile.good { border-left-color: var(--ok); }
.wb-tile.warn { border-left-color: #d08a00; background: #fff8e6; }
.wb-tile.bad { border-left-color: var(--danger); background: #fdecee; }
.wb-label { font-size: clamp(.85rem, 1.05vw, 1.6rem); color: var(--muted); }
.wb-value { font-size: clamp(2rem, 3.6vw, 5.5rem); font-weight: 700; line-height: 1.1; font-variant-numeric: tabular-nums; }
.wb-note { font-size: clamp(.8rem, .95vw, 1.4rem); color: var(--muted); }
table.wb-agents { margin-top: .7rem; font-size: clamp(.95rem, 1.15vw, 1.8rem); }
table.wb-agents caption { text-align: left; font-weight: 600; padding: .2rem 0; }
table.wb-agents tr[data-state="ready"] .wb-state { color: var(--ok); font-weight: 600; }
table.wb-agents tr[data-state="ringing"] .wb-state, table.wb-agents tr[data-state="onCall"] .wb-state { color: var(--accent); font-weight: 600; }
table.wb-agents tr[data-state="break"] .wb-state, table.wb-agents tr[data-state="offline"] .wb-state { color: var(--warn); }
form.wb-listen { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .2rem 0 0; }
form.wb-listen select { width: auto; padding: .15rem .3rem; }
p.wb-foot { margin: .4rem 0 .2rem; }
@media (max-width: 900px) { .wb-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.live { font-size: .9rem; color: var(--muted); }
.live.on::before { content: "●"; color: var(--ok); margin-right: .3rem; }
.live.off::before { content: "●"; color: var(--danger); margin-right: .3rem; }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 4px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eceae4; font-size: .85rem; white-space: nowrap; }
tr.case-row { cursor: pointer; }
tr.case-row:hover { background: #f0f5fb; }
tr.case-row.selected { background: #dbe9f8; box-shadow: inset 4px 0 0 var(--accent); }
tr.case-row.fresh { animation: fresh 3s ease-out; }
@keyframes fresh { from { background: #fff3b0; } to { background: transparent; } }
tr.case-row.overdue td.due { color: #fff; background: var(--danger); font-weight: 700; }
tr.case-row.soon td.due { color: var(--warn); font-weight: 700; }
.clock { white-space: nowrap; }
.clock-label { display: block; font-size: .78rem; color: inherit; opacity: .85; white-space: normal; }
td.due { width: 15rem; }
td.when { white-space: nowrap; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .78rem; font-weight: 700;
         border: 1px solid currentColor; white-space: nowrap; }
.badge.secret { color: var(--danger); }
.badge.held { color: var(--held); }
.badge.mine { color: var(--ok); }
.badge.status { color: var(--muted); }
button, .button { font: inherit; padding: .35rem .8rem; border-radius: 3px; border: 1px solid #6b6b6b; background: #fff;
                  cursor: pointer; color: var(--ink); text-decoration: none; display: inline-block; }
button.primary { background: var(--ok); border-color: var(--ok); color: #fff; font-weight: 600; }
button.danger { background: #fff; border-color: var(--danger); color: var(--danger); }
button:disabled { opacity: .5; cursor: not-allowed; }
.case { display: grid; grid-template-columns: 1fr; gap: 1rem; }
@media (min-width: 1000px) { .case { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); } }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem .8rem; margin: 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
audio { width: 100%; margin: .25rem 0; }
.transcript { white-space: pre-wrap; background: #fafafa; border-left: 4px solid var(--line); padding: .5rem .75rem; }
form.case-form .field { margin-bottom: .75rem; }
label { display: block; font-weight: 600; margin-bottom: .2rem; }
label.inline { display: inline; font-weight: normal; }
input[type=text], input[type=password], input[type=email], input[type=search], select, textarea {
  font: inherit; width: 100%; max-width: 40rem; padding: .35rem .45rem; border: 2px solid #6b6b6b; border-radius: 2px; background: #fff; }
textarea { min-height: 4.5rem; }
.field.has-error { border-left: 5px solid var(--danger); padding-left: .75rem; }
.field-error { color: var(--danger); font-weight: 700; margin: .15rem 0 .25rem; }
.input-error { border-color: var(--danger) !important; }
.error-summary { border: 4px solid var(--danger); padding: .75rem 1rem; margin-bottom: 1rem; background: #fff; }
.error-summary h2 { margin-top: 0; }
.error-summary a { color: var(--danger); font-weight: 700; }
.notice { border-left: 6px solid var(--accent); background: #fff; padding: .6rem .9rem; margin-bottom: 1rem; }
.notice.error { border-color: var(--danger); }
.notice.held { border-color: var(--held); }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .5rem; }
ul.plain { list-style: none; padding: 0; margin: 0; }
ul.plain li { padding: .3rem 0; border-bottom: 1px dashed var(--line); }
.help-dialog { position: fixed; inset: 10% auto auto 50%; transform: translateX(-50%); background: #fff; border: 2px solid var(--ink);
               padding: 1rem 1.5rem; max-width: 90vw; z-index: 10; box-shadow: 0 6px 30px rgba(0,0,0,.3); }
.help-dialog[hidden] { display: none; }
kbd { border: 1px solid #999; border-bottom-width: 2px; border-radius: 3px; padding: 0 .3rem; font-family: monospace; background: #f4f4f4; }
.signin { max-width: 26rem; margin: 3rem auto; }
.signin input { max-width: none; }
header.top nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
ul.cards { list-style: none; padding: 0; margin: 0 0 1rem; display: grid; gap: .75rem;
           grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); }
.card { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--accent); border-radius: 4px; padding: .75rem 1rem; }
.card.overdue { border-left-color: var(--danger); }
.card.soon { border-left-color: var(--warn); }
.card .card-head { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
.card .code { font-weight: 700; font-size: 1.05rem; }
.card p { margin: .35rem 0; }
.card .is-overdue .clock-text { color: var(--danger); font-weight: 700; }
.card .due { margin: .4rem 0; }
button.big, .button.big { font-size: 1.1rem; padding: .65rem 1.2rem; width: 100%; max-width: 28rem; }
form.step { margin-bottom: 1rem; }
form.step h2 { margin-top: 0; }
input[type=file] { font: inherit; max-width: 100%; }
input[type=date], input[type=month], input[type=number], input[type=tel] { font: inherit; padding: .35rem .45rem; border: 2px solid #6b6b6b; border-radius: 2px; }
ul.evidence { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .75rem; }
ul.evidence li { max-width: 14rem; }
img.thumb { max-width: 14rem; max-height: 10rem; border: 1px solid var(--line); border-radius: 3px; display: block; }
.result-text, .content-text { white-space: pre-wrap; }
.result-text { background: #f3f8f1; border-left: 4px solid var(--ok); padding: .5rem .75rem; }
.review-actions { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; margin-top: .75rem; }
.review-actions form.tra-lai { flex: 1 1 20rem; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .75rem; margin: 0; }
dl.figures div { border: 1px solid var(--line); border-radius: 4px; padding: .5rem .75rem; }
dl.figures dt { color: var(--muted); font-size: .85rem; }
dl.figures dd { margin: 0; font-size: 1.35rem; font-weight: 700; }
.charts { display: grid; grid-template-columns: 1fr; gap: 0 1rem; }
@media (min-width: 1200px) { .charts { grid-template-columns: 1fr 1fr; } }
figure.chart { margin: 0 0 1rem; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
caption { text-align: left; font-weight: 700; padding: .35rem 0; }
.downloads .toolbar { margin: .5rem 0; }
textarea.code-editor { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .85rem; min-height: 28rem; max-width: none;
                       white-space: pre; tab-size: 2; }
textarea.json { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .85rem; min-height: 18rem; max-width: none; }
ol.problems { padding-left: 1.2rem; }
ol.problems li { margin: .25rem 0; }
ol.problems .where { font-family: monospace; font-weight: 700; }
button.linelink { border: 0; padding: 0; background: none; color: var(--accent); text-decoration: underline; font-family: monospace; }
.graph { overflow: auto; max-height: 40rem; background: #fff; border: 1px solid var(--line); }
.graph img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
pre.simulation { white-space: pre-wrap; background: #fafafa; border-left: 4px solid var(--line); padding: .5rem .75rem; max-height: 30rem; overflow: auto; }
table.prompts td { vertical-align: middle; }
table.prompts audio { min-width: 14rem; }
.key-once { font-family: monospace; font-size: 1rem; background: #fff3b0; padding: .5rem; word-break: break-all; }
.tracking-code { font-size: 1.8rem; font-weight: 700; letter-spacing: .05em; font-family: monospace; }
.public-page main { max-width: 48rem; }
.stars { display: flex; flex-wrap: wrap; gap: .5rem; }
.stars label { font-weight: normal; border: 1px solid var(--line); border-radius: 3px; padding: .35rem .6rem; background: #fff; }
.hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
@media (max-width: 700px) {
  main { padding: .5rem; }
  header.top { font-size: .85rem; padding: .35rem .6rem; gap: .2rem .8rem; }
  header.top .who { gap: .25rem .6rem; font-size: .8rem; width: 100%; }
  header.top button { padding: .05rem .45rem; font-size: .8rem; }
  h1 { font-size: 1.2rem; }
  header.top .who { margin-left: 0; }
  th.wide, td.wide { display: none; }
  header.top form.search input { width: 9rem; }
}
"""#

    /// Live queue (server-sent events, countdowns, optional sound or notification), keyboard shortcuts, player.
    static let js = #"""
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";

  // ---- countdowns, in Vietnamese -------------------------------------------------------------
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
        m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + " ngày " + h + " giờ";
    if (h > 0) return h + " giờ " + two(m) + " phút";
    return m + " phút " + two(sec) + " giây";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due]").forEach(function (el) {
      var due = Number(el.getAttribute("data-due"));
      if (!due) return;
      var left = due - now, text = el.querySelector(".clock-text") || el;
      text.textContent = left < 0 ? "quá hạn " + span(left) : "còn " + span(left);
      var row = el.closest("tr.case-row, li.card");
      if (row && el.classList.contains("main-clock")) {
        row.classList.toggle("overdue", left < 0);
        row.classList.toggle("soon", left >= 0 && left < 15 * 60 * 1000);
      }
      el.classList.toggle("is-overdue", left < 0);
    });
  }
  tick();
  setInterval(tick, 1000);

  // ---- the queue: rows, selection, live updates ----------------------------------------------
  var tbody = document.getElementById("queue-body");
  var selected = 0;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.case-row")); }
  function select(i, scroll) {
    var r = rows();
    if (!r.length) return;
    selected = Math.max(0, Math.min(i, r.length - 1));
    r.forEach(function (row, k) { row.classList.toggle("selected", k === selected); row.setAttribute("aria-selected", k === selected ? "true" : "false"); });
    if (scroll) r[selected].scrollIntoView({ block: "nearest" });
  }
  function selectedCode() { var r = rows()[selected]; return r ? r.getAttribute("data-code") : null; }
  function bindRows() {
    rows().forEach(function (row, k) {
      row.addEventListener("click", function (e) {
        if (e.target.closest("a, button, form, input, select, textarea, audio")) return;
        window.location.href = row.getAttribute("data-href");
      });
      row.addEventListener("focus", function () { select(k, false); });
    });
  }
  if (tbody) { bindRows(); select(0, false); }

  var seen = {};
  rows().forEach(function (r) { seen[r.getAttribute("data-code")] = true; });
  var notify = document.getElementById("notify");
  if (notify) {
    notify.checked = localStorage.getItem("hotline-notify") === "1";
    notify.addEventListener("change", function () {
      localStorage.setItem("hotline-notify", notify.checked ? "1" : "0");
      if (notify.checked && window.Notification && Notification.permission === "default") Notification.requestPermission();
    });
  }
  function announce(codes) {
    if (!notify || !notify.checked || !codes.length) return;
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx) {
        var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
        osc.frequency.value = 880; gain.gain.value = 0.15; osc.connect(gain); gain.connect(ctx.destination);
        osc.start(); osc.stop(ctx.currentTime + 0.25);
      }
    } catch (e) { /* no sound: the row still flashes */ }
    if (window.Notification && Notification.permission === "granted") {
      new Notification("Phản ánh mới tại Tổng đài 1022", { body: codes.join(", ") });
    }
  }
  var refreshing = false, again = false;
  function refresh() {
    if (!tbody) return;
    if (refreshing) { again = true; return; }
    refreshing = true;
    var keep = selectedCode();
    fetch("/hang-doi/danh-sach", { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (r.status === 200) return r.text(); throw new Error("HTTP " + r.status); })
      .then(function (html) {
        tbody.innerHTML = html;
        var fresh = [];
        rows().forEach(function (r, k) {
          var code = r.getAttribute("data-code");
          if (!seen[code]) { r.classList.add("fresh"); fresh.push(code); seen[code] = true; }
          if (code === keep) selected = k;
        });
        var count = document.getElementById("queue-count");
        if (count) count.textContent = String(rows().length);
        bindRows(); select(selected, false); tick();
        announce(fresh);
      })
      .catch(function () { /* the next event retries */ })
      .then(function () { refreshing = false; if (again) { again = false; refresh(); } });
  }
  var live = document.getElementById("live");
  // The page's "live" mark follows its event stream.
  function showLive(source) {
    source.addEventListener("open", function () { if (live) { live.className = "live on"; live.textContent = "Đang cập nhật trực tiếp"; } });
    source.addEventListener("error", function () { if (live) { live.className = "live off"; live.textContent = "Mất kết nối, đang thử lại…"; } });
  }
  if (tbody && window.EventSource) {
    var source = new EventSource("/su-kien");
    showLive(source);
    source.addEventListener("draft", refresh);
    source.addEventListener("queue", refresh);
    setInterval(refresh, 60000);  // claims run out without an event
  }

  // ---- the callback list: fetched again when the queue log moves (an abandon, a callback asked or tried) ----
  var callbackBody = document.getElementById("callback-body");
  if (callbackBody && window.EventSource) {
    var callbackSource = new EventSource("/su-kien"), callbackTimer = null;
    showLive(callbackSource);
    function refreshCallbacks() {
      // Never under the agent's hands: while they choose an outcome, the refresh waits.
      if (callbackBody.contains(document.activeElement)) { callbackTimer = setTimeout(refreshCallbacks, 2000); return; }
      callbackTimer = null;
      fetch("/goi-lai/danh-sach", { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
        .then(function (html) {
          callbackBody.innerHTML = html;  // the server's own rendering, every value escaped there
          var count = document.getElementById("callback-count");
          if (count) count.textContent = String(callbackBody.querySelectorAll("tr.callback-row:not(.done)").length);
          callbackBody.setAttribute("data-updates", String(Number(callbackBody.getAttribute("data-updates") || "0") + 1));
        })
        .catch(function () { /* the next event retries */ });
    }
    callbackSource.addEventListener("callbacks", function () {
      // A typhoon writes the queue log many times a second: at most one fetch a second.
      if (callbackTimer === null) callbackTimer = setTimeout(refreshCallbacks, 1000);
    });
  }

  // ---- the wallboard: the server sends the whole board again every second ------------------------------
  var board = document.querySelector("[data-wallboard]");
  if (board && window.EventSource) {
    var boardSource = new EventSource("/bang-tong-dai/su-kien");
    var lags = [];
    showLive(boardSource);
    boardSource.addEventListener("wallboard", function (e) {
      board.innerHTML = e.data;  // the server's own rendering of the board, every value escaped there
      var grid = board.querySelector("[data-at]");
      if (grid) {
        // How long after the figures were read the screen showed them (kept for the benchmark).
        lags.push(Date.now() - Number(grid.getAttribute("data-at")));
        if (lags.length > 2000) lags.shift();
        board.setAttribute("data-lags", lags.join(","));
      }
      board.setAttribute("data-updates", String(Number(board.getAttribute("data-updates") || "0") + 1));
    });
  }

  // ---- keyboard shortcuts: j/k move, Enter open, c claim, ? help; never while typing -----------
  var help = document.getElementById("help");
  function typing(e) {
    var t = e.target;
    if (!t || !t.tagName) return false;
    var tag = t.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || t.isContentEditable;
  }
  // ---- the agent's state in the live queue (the header's control) -------------------------------------
  var presence = document.querySelector("form[data-presence]");
  function showPresence() {
    if (!presence) return;
    fetch("/trang-thai", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (!p) return;
        var live = presence.querySelector(".presence-live");
        var select = presence.querySelector("select");
        presence.hidden = false;
        if (!p.hasPhone) {
          live.textContent = "Chưa có điện thoại ở hàng chờ";
          select.disabled = true;
          presence.querySelector("button").disabled = true;
          return;
        }
        if (document.activeElement !== select) select.value = p.requested;
        var text = p.liveLabel || (p.requested === "break" && p.reason ? "Tạm nghỉ: " + p.reason : p.requestedLabel);
        if (!p.liveLabel) text += " (cổng thoại chưa báo)";
        live.textContent = text;
        presence.setAttribute("data-state", p.live || p.requested);
        showScreenPop(p.caller, p.liveLabel);
      })
      .catch(function () {});
  }
  if (presence) {
    presence.querySelector('input[name="ve"]').value = window.location.pathname + window.location.search;
    showPresence();
    window.setInterval(showPresence, 1000);
  }
  // ---- the screen pop: who calls while the agent's phone rings or they talk (texts only, never HTML) -----
  var pop = document.getElementById("screen-pop"), popCall = null;
  function showScreenPop(caller, label) {
    if (!pop) return;
    if (!caller) { pop.hidden = true; popCall = null; return; }
    pop.querySelector(".pop-state").textContent = label || "";
    pop.querySelector(".pop-number").textContent = caller.number;
    pop.querySelector(".pop-repeat").hidden = !caller.repeat;
    pop.querySelector(".pop-summary").textContent = caller.summary;
    pop.querySelector(".pop-search").href = caller.search;
    pop.setAttribute("data-call", caller.call);
    pop.querySelector('.pop-case input[name="cuoc_goi"]').value = caller.call;
    var linked = pop.querySelector(".pop-linked");
    linked.hidden = !caller.linked;
    linked.textContent = caller.linked ? "Ghi âm cuộc gọi này gắn vào phiếu " + caller.linked : "";
    if (popCall !== caller.call) {
      var list = pop.querySelector(".pop-tickets");
      while (list.firstChild) list.removeChild(list.firstChild);
      caller.tickets.forEach(function (t) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = t.href; a.textContent = t.code; li.appendChild(a);
        li.appendChild(document.createTextNode(" · " + t.status + " · " + t.received + (t.due ? " · " + t.due : "")));
        if (t.confidential) {
          var b = document.createElement("span"); b.className = "badge secret"; b.textContent = "Bảo mật";
          li.appendChild(document.createTextNode(" ")); li.appendChild(b);
        }
        li.appendChild(document.createElement("br"));
        li.appendChild(document.createTextNode(t.summary));
        if (t.open) {
          // The citizen rings about this open case: the call's conversation goes with it.
          var f = document.createElement("form"), c = document.createElement("input"), m = document.createElement("input");
          var token = document.createElement("input"), go = document.createElement("button");
          f.method = "post"; f.action = "/cuoc-goi/gan"; f.className = "pop-attach";
          c.type = "hidden"; c.name = "cuoc_goi"; c.value = caller.call;
          m.type = "hidden"; m.name = "ma"; m.value = t.code;
          // The same token the page's own forms carry (the pop's "new case" form has one).
          var kept = pop.querySelector('.pop-case input[type="hidden"]:not([name="cuoc_goi"])');
          token.type = "hidden"; token.name = kept ? kept.name : "csrf"; token.value = csrf;
          go.type = "submit"; go.textContent = "Gắn cuộc gọi vào phiếu này";
          f.appendChild(c); f.appendChild(m); f.appendChild(token); f.appendChild(go);
          li.appendChild(f);
        }
        list.appendChild(li);
      });
      popCall = caller.call;
    }
    pop.hidden = false;
  }
  function setPresence(state) {
    if (!presence || presence.hidden || presence.querySelector("select").disabled) return false;
    presence.querySelector("select").value = state;
    presence.submit();
    return true;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    if ((e.key === "r" || e.key === "b") && setPresence(e.key === "r" ? "ready" : "break")) { e.preventDefault(); return; }
    if (e.key === "?") { if (help) help.hidden = !help.hidden; e.preventDefault(); return; }
    if (e.key === "Escape" && help && !help.hidden) { help.hidden = true; return; }
    if (tbody && (e.key === "j" || e.key === "k")) {
      select(selected + (e.key === "j" ? 1 : -1), true);
      var r = rows()[selected]; if (r) r.focus();
      e.preventDefault();
      return;
    }
    if (tbody && e.key === "Enter" && (e.target === document.body || (e.target.classList && e.target.classList.contains("case-row")))) {
      var row = rows()[selected];
      if (row) { window.location.href = row.getAttribute("data-href"); e.preventDefault(); }
      return;
    }
    if (e.key === "c") {
      var form = null;
      if (tbody) { var cr = rows()[selected]; form = cr ? cr.querySelector("form.claim") : null; }
      else form = document.querySelector("form.claim");
      if (form) { form.submit(); e.preventDefault(); }
    }
  });
  var closeHelp = document.getElementById("help-close");
  if (closeHelp && help) closeHelp.addEventListener("click", function () { help.hidden = true; });

  // ---- the menu editor: a problem's line selected in the text ------------------------------------
  var editor = document.getElementById("plan");
  document.querySelectorAll("button.linelink[data-line]").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!editor) return;
      var line = Number(b.getAttribute("data-line")), lines = editor.value.split("\n"), start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
      var end = start + (lines[line - 1] || "").length;
      editor.focus();
      editor.setSelectionRange(start, end);
      var lh = parseFloat(getComputedStyle(editor).lineHeight) || 16;
      editor.scrollTop = Math.max(0, (line - 5) * lh);
    });
  });

  // ---- the case page: error summary first, refusal text -----------------------------------------
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
  var audio = document.getElementById("recording");
  if (audio) {
    audio.addEventListener("error", function () {
      var note = document.getElementById("recording-error");
      if (note) note.hidden = false;
    });
  }
})();
"""#
}
