/* lxp offline: register the service worker, queue completions made offline, replay them.
 *
 * Progressive enhancement: without JavaScript the "I have done this" form posts normally.
 * With it, the form is sent as JSON; when that fails for want of a network, the completion
 * is kept in IndexedDB (with its event id and the time it happened) and sent again when a
 * page opens and when the connection returns. A quiz answered offline is queued the same way
 * (it is marked once it arrives); online, each answer is kept on the server as it is given,
 * so the learner resumes the quiz on any device. Background Sync is not used: iOS Safari and
 * Firefox lack it. The server records an event id once, so a replay never counts twice.
 */
(function () {
  "use strict";

  var DB_NAME = "lxp-offline";
  var STORE = "completions";
  var KEEP_MS = 30 * 24 * 3600 * 1000; // at least a week; a month, then give up
  var PAGES = "lxp-pages-v1";

  // Who is signed in on this page (empty when nobody is). A queued entry belongs to the person
  // who made it: on a shared phone the next person's session must never send it as theirs.
  function person() {
    var meta = document.querySelector('meta[name="lxp-person"]');
    return meta ? meta.content : "";
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "event_id" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { resolve(request ? request.result : undefined); };
        transaction.onerror = function () { reject(transaction.error); };
      });
    });
  }

  function queue(entry) { return withStore("readwrite", function (s) { return s.put(entry); }); }
  function forget(eventId) { return withStore("readwrite", function (s) { return s.delete(eventId); }); }
  function queued() { return withStore("readonly", function (s) { return s.getAll(); }); }

  // Resolves true when the server has the completion (or refuses it for good), false to retry.
  function send(entry, inBackground) {
    var headers = { "Content-Type": "application/json", "X-CSRFToken": csrfToken() };
    if (inBackground) headers["X-LXP-Replay"] = "1";
    return fetch(entry.url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual", // a redirect means "sign in first": keep it for later
      headers: headers,
      body: JSON.stringify(entry.body)
    }).then(function (response) {
      if (response.ok) return response.json().then(function (data) { return data; });
      // Refused now, in front of the learner (points left unticked): post the form
      // itself, so the page says why and keeps what they entered.
      if (response.status === 422 && !inBackground) return { refused: true };
      if (response.status === 404 || response.status === 409 || response.status === 422) return { dropped: true };
      return null;
    });
  }

  var replaying = false;
  function replay() {
    if (replaying || !navigator.onLine || !person()) return Promise.resolve();
    replaying = true;
    return queued().then(function (entries) {
      return entries.reduce(function (chain, entry) {
        return chain.then(function () {
          if (Date.now() - entry.queued_at > KEEP_MS) return forget(entry.event_id);
          if (entry.person && entry.person !== person()) return undefined; // kept for its owner
          return send(entry, true).then(function (result) {
            if (result && result.message) tell(result.message);
            if (result) return forget(entry.event_id);
          }, function () { /* still offline */ });
        });
      }, Promise.resolve());
    }).then(function () { replaying = false; showQueued(); }, function () { replaying = false; });
  }

  // What the server said of something sent from the queue (a quiz's mark), on this page.
  function tell(message) {
    var box = document.querySelector("[data-offline-results]");
    if (!box) return;
    var line = document.createElement("p");
    line.className = "flash flash-success";
    line.textContent = message;
    box.appendChild(line);
    box.hidden = false;
  }

  function showQueued() {
    var note = document.querySelector("[data-offline-queue]");
    if (!note) return;
    queued().then(function (all) {
      var entries = all.filter(function (entry) { return !entry.person || entry.person === person(); });
      note.hidden = entries.length === 0;
      note.querySelector("[data-count]").textContent = String(entries.length);
    });
  }

  // The player form's own fields (a reflection's text, the points ticked), name -> values:
  // the block's kind reads its response from them, as from the form posted without JavaScript.
  function ownFields(data) {
    var fields = {};
    data.forEach(function (value, name) {
      if (name === "csrf_token" || name === "event_id" || name === "started_at") return;
      (fields[name] = fields[name] || []).push(String(value));
    });
    return fields;
  }

  function enhanceDoneForm(form) {
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.name === "skip") return;
      event.preventDefault();
      var data = new FormData(form);
      var started = parseInt(data.get("started_at"), 10);
      var entry = {
        event_id: data.get("event_id"),
        person: person(),
        url: form.getAttribute("data-offline-complete"),
        queued_at: Date.now(),
        body: {
          event_id: data.get("event_id"),
          occurred_at: new Date().toISOString(),
          seconds: isNaN(started) ? null : Math.max(Math.round(Date.now() / 1000) - started, 0),
          fields: ownFields(data)
        }
      };
      send(entry).then(function (result) {
        if (result && result.next) { window.location.assign(result.next); return; }
        if (result && result.refused) { form.submit(); return; }
        if (result && result.dropped) { window.location.assign("/today"); return; }
        throw new Error("not sent");
      }).catch(function () {
        queue(entry).then(function () {
          var saved = document.querySelector("[data-offline-saved]");
          if (saved) saved.hidden = false;
          var button = form.querySelector("button[type=submit]");
          if (button) button.disabled = true;
        });
      });
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  function chosenIn(form, name) {
    var checked = form.querySelectorAll('input[name="' + CSS.escape(name) + '"]:checked');
    return Array.prototype.map.call(checked, function (input) { return parseInt(input.value, 10); });
  }

  function questionNames(form) {
    var names = [];
    Array.prototype.forEach.call(form.querySelectorAll("fieldset.quiz-question input"), function (input) {
      if (names.indexOf(input.name) < 0) names.push(input.name);
    });
    return names;
  }

  function enhanceQuizForm(form) {
    form.addEventListener("change", function (event) {
      var name = event.target && event.target.name;
      if (!name || !navigator.onLine || questionNames(form).indexOf(name) < 0) return;
      send({ url: form.getAttribute("data-save-answer"), body: {
        event_id: newId(), occurred_at: new Date().toISOString(), question: name, chosen: chosenIn(form, name)
      } }, true).catch(function () { /* kept on the page; the attempt itself is what counts */ });
    });
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) return; // online: the form posts and the page shows the marks
      event.preventDefault();
      var data = new FormData(form);
      var answers = {};
      var complete = questionNames(form).every(function (name) {
        answers[name] = chosenIn(form, name);
        return answers[name].length > 0;
      });
      var incomplete = form.querySelector("[data-offline-incomplete]");
      if (incomplete) incomplete.hidden = complete;
      if (!complete) return;
      var started = parseInt(data.get("started_at"), 10);
      queue({
        event_id: data.get("event_id"),
        person: person(),
        url: form.getAttribute("data-offline-attempt"),
        queued_at: Date.now(),
        body: {
          event_id: data.get("event_id"),
          occurred_at: new Date().toISOString(),
          seconds: isNaN(started) ? null : Math.max(Math.round(Date.now() / 1000) - started, 0),
          answers: answers
        }
      }).then(function () {
        var saved = form.querySelector("[data-offline-saved]");
        if (saved) saved.hidden = false;
        var button = form.querySelector("button[type=submit]");
        if (button) button.disabled = true;
      });
    });
  }

  // The offline page: the address that could not open, and the pages this phone keeps, by title.
  function listKeptPages() {
    var list = document.querySelector("[data-offline-pages]");
    if (!list) return;
    var here = document.querySelector("[data-offline-here]");
    if (here && window.location.pathname !== "/offline") {
      here.textContent = window.location.pathname;
      document.querySelector("[data-offline-address]").hidden = false;
    }
    var retry = document.querySelector("[data-offline-retry]");
    if (retry) retry.addEventListener("click", function () { window.location.reload(); });
    if (!window.caches) return;
    caches.open(PAGES).then(function (cache) {
      return cache.keys().then(function (requests) {
        var pages = requests.filter(function (request) { return new URL(request.url).pathname.indexOf("/__lxp/") !== 0; });
        return Promise.all(pages.map(function (request) {
          return cache.match(request).then(function (response) { return response.text(); }).then(function (text) {
            var title = new DOMParser().parseFromString(text, "text/html").title || request.url;
            return { path: new URL(request.url).pathname, title: title.replace(/ · lxp$/, "") };
          });
        }));
      });
    }).then(function (pages) {
      pages.sort(function (a, b) { return a.path === "/today" ? -1 : b.path === "/today" ? 1 : a.title.localeCompare(b.title); });
      pages.forEach(function (page) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = page.path;
        link.textContent = page.title;
        item.appendChild(link);
        list.appendChild(item);
      });
      document.querySelector("[data-offline-none]").hidden = pages.length > 0;
    }).catch(function () { /* nothing kept */ });
  }

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var holder = document.querySelector("[data-offline-urls]");
      if (holder && registration.active) {
        registration.active.postMessage({ type: "cache", urls: JSON.parse(holder.getAttribute("data-offline-urls")),
                                          version: holder.getAttribute("data-offline-version") || "" });
      }
    }).catch(function () { /* no offline reading on this browser */ });
  }

  listKeptPages();
  if (!window.indexedDB || !window.fetch) return;
  Array.prototype.forEach.call(document.querySelectorAll("form[data-offline-complete]"), enhanceDoneForm);
  Array.prototype.forEach.call(document.querySelectorAll("form[data-offline-attempt]"), enhanceQuizForm);
  Array.prototype.forEach.call(document.querySelectorAll("form.sign-out"), function (form) {
    form.addEventListener("submit", function () { if (window.caches) caches.delete(PAGES); });
  });
  window.addEventListener("online", replay);
  replay();
  showQueued();
})();
