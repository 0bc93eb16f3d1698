/* lxp's side of a package player: loads the sandboxed frame and sends the unit's commits on.
 *
 * The frame posts each commit here (see package_runtime.js). A commit is kept in localStorage
 * until lxp has acknowledged it, and sent again with the same sequence number after a dropped
 * connection or a reload, so a commit is never lost and never counted twice (lxp ignores a
 * sequence number it already has). Before the frame loads, what is still waiting is sent, so a
 * learner coming back resumes from their latest state.
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

  window.addEventListener("message", function (event) {
    if (event.source !== frame.contentWindow) return;
    var data = event.data;
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
    flush();
  });
  window.addEventListener("online", flush);
  frame.addEventListener("load", function () { sessionStart = Date.now(); });

  // Start (or resume) the attempt once what is waiting has been sent, then load the unit.
  function start() {
    return window.fetch(frame.getAttribute("data-launch"), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (response.status >= 400 && response.status < 500) {
        holder.querySelector("[data-package-missing]").hidden = false;  // will not get better by retrying
        return null;
      }
      if (!response.ok) throw new Error("launch " + response.status);
      return response.json();
    }).then(function (answer) {
      if (answer) frame.src = answer.play;
    }).catch(function () {
      holder.querySelector("[data-package-offline]").hidden = false;
      window.addEventListener("online", start, { once: true });
    });
  }
  flush().then(start);
})();
