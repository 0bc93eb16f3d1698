/* lxp's side of a package player: loads the sandboxed frame and sends the unit's commits on.
 *
 * The frame posts each commit here (see package_runtime.js). A commit is kept in localStorage
 * until lxp has acknowledged it, and sent again with the same sequence number after a dropped
 * connection or a reload, so a commit is never lost and never counted twice (lxp ignores a
 * sequence number it already has). Before the frame loads, what is still waiting is sent, so a
 * learner coming back resumes from their latest state.
 *
 * A SCORM 2004 package with several SCOs plays as one step: lxp's answer to the launch names the
 * SCO to play and what the learner may ask for next (previous, next, a part by choice), shown
 * as the navigation bar; a SCO that ends with a navigation request (continue, previous, choice,
 * exitAll, suspendAll) is followed once its last commit is sent. Messages from frames inside
 * the unit's frame count as the unit's own (units that load their content in an inner frame).
 */
(function () {
  "use strict";
  var holder = document.querySelector("[data-package-commit]");
  if (!holder) return;
  var frame = holder.querySelector("iframe");
  var url = holder.getAttribute("data-package-commit");
  var key = "lxp-package-commits:" + url;
  var lastSeq = 0;
  var sessionStart = Date.now();
  var sending = false;
  var delay = 1000;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function queue() {
    try { return JSON.parse(window.localStorage.getItem(key)) || []; } catch (error) { return []; }
  }

  function keep(entries) {
    try { window.localStorage.setItem(key, JSON.stringify(entries)); } catch (error) { /* private mode: memory only */ }
    memory = entries;
  }
  var memory = queue();

  function current() {
    var stored = queue();
    return stored.length || !memory.length ? stored : memory;
  }

  function show(answer) {
    holder.querySelector("[data-package-offline]").hidden = true;
    if (answer && answer.completed) holder.querySelector("[data-package-done]").hidden = false;
  }

  function flush() {
    var entries = current();
    if (sending || !entries.length) return Promise.resolve();
    sending = true;
    var entry = entries[0];
    return window.fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(entry)
    }).then(function (response) {
      if (response.status >= 500) throw new Error("server " + response.status);
      // Sent (or refused for good: a 4xx will not get better by sending it again).
      keep(current().filter(function (e) { return e.seq !== entry.seq; }));
      delay = 1000;
      return response.ok ? response.json().then(show) : null;
    }).catch(function () {
      holder.querySelector("[data-package-offline]").hidden = false;
      window.setTimeout(flush, delay);
      delay = Math.min(delay * 2, 30000);
    }).then(function () {
      sending = false;
      if (current().length && delay === 1000) return flush();
    });
  }

  var bar = holder.querySelector("[data-package-nav]");
  var waiting = null;  // a navigation the running SCO was asked to end itself for

  function fromUnit(source) {
    for (var w = source, depth = 0; w && depth < 10; depth += 1) {
      if (w === frame.contentWindow) return true;
      if (w === w.parent) return false;
      w = w.parent;
    }
    return false;
  }

  function go(request) {
    if (waiting !== null) return;
    waiting = window.setTimeout(function () { waiting = null; flush().then(function () { start(request); }); }, 3000);
    frame.contentWindow.postMessage({ lxp: "package-nav", request: request }, "*");
  }

  function showNav(answer) {
    if (!bar || !answer.nav) return;
    bar.hidden = false;
    bar.querySelector('[data-nav="previous"]').disabled = answer.nav.previous !== "true";
    bar.querySelector('[data-nav="continue"]').disabled = answer.nav.continue !== "true";
    var list = bar.querySelector("[data-package-parts]");
    list.textContent = "";
    (answer.parts || []).forEach(function (part) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = part.title;
      button.disabled = part.id === answer.sco || (answer.nav.choice || {})[part.id] !== "true";
      if (part.id === answer.sco) button.setAttribute("aria-current", "step");
      button.addEventListener("click", function () { go("{target=" + part.id + "}choice"); });
      item.appendChild(button);
      list.appendChild(item);
    });
  }
  if (bar) {
    bar.querySelector('[data-nav="previous"]').addEventListener("click", function () { go("previous"); });
    bar.querySelector('[data-nav="continue"]').addEventListener("click", function () { go("continue"); });
  }

  window.addEventListener("message", function (event) {
    if (!fromUnit(event.source)) return;
    var data = event.data;
    if (data && data.lxp === "package-nav" && typeof data.request === "string") {  // no running SCO to end
      if (waiting !== null) { window.clearTimeout(waiting); waiting = null; }
      flush().then(function () { start(data.request); });
      return;
    }
    if (!data || data.lxp !== "package-commit" || typeof data.token !== "string") return;
    lastSeq = Math.max(Date.now(), lastSeq + 1, (Number(data.baseSeq) || 0) + 1);
    var entries = current();
    var last = entries[entries.length - 1];
    // Each commit holds the whole state: one still waiting is replaced, unless it ended a session.
    if (last && !last.terminated && !(sending && entries.length === 1)) entries.pop();
    entries.push({
      token: data.token, seq: lastSeq, cmi: data.cmi, terminated: !!data.terminated,
      seconds: Math.round((Date.now() - sessionStart) / 1000)
    });
    if (data.terminated) sessionStart = Date.now();
    keep(entries);
    var request = data.terminated && typeof data.nav === "string" ? data.nav : "";
    if (data.terminated && waiting !== null) { window.clearTimeout(waiting); waiting = null; }
    if (bar && request && request !== "_none_") {
      flush().then(function () { start(request); });
    } else {
      flush();
    }
  });
  window.addEventListener("online", flush);
  frame.addEventListener("load", function () { sessionStart = Date.now(); });

  // Start (or resume) the attempt once what is waiting has been sent, then load the unit; with a
  // navigation request, go where it leads.
  function start(request) {
    request = typeof request === "string" ? request : null;
    return window.fetch(frame.getAttribute("data-launch"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body: JSON.stringify(request ? { nav: request } : {})
    }).then(function (response) {
      if (request && response.status >= 400 && response.status < 500) return null;  // not allowed from here
      if (response.status >= 400 && response.status < 500) {
        holder.querySelector("[data-package-missing]").hidden = false;  // will not get better by retrying
        return null;
      }
      if (!response.ok) throw new Error("launch " + response.status);
      return response.json();
    }).then(function (answer) {
      if (!answer) return;
      if (answer.leave) { window.location.assign(answer.leave); return; }
      showNav(answer);
      if (answer.play) frame.src = answer.play;
      if (answer.action === "end") {
        frame.hidden = true;
        if (answer.completed) holder.querySelector("[data-package-done]").hidden = false;
      }
    }).catch(function () {
      holder.querySelector("[data-package-offline]").hidden = false;
      window.addEventListener("online", function () { start(request); }, { once: true });
    });
  }
  flush().then(start);
})();
