/* lxp push: turn notifications on or off for this phone, from the profile page.
 *
 * Progressive enhancement: the section stays hidden unless the browser can receive push
 * messages (service worker, PushManager, Notification). Permission is asked only when the
 * person taps "Turn on", never on page load. The subscription is made through the service
 * worker registration that offline.js also uses (/sw.js), with the server's VAPID public key,
 * and sent to the server; "Turn off" removes it on the server and in the browser.
 */
(function () {
  "use strict";

  var section = document.querySelector("[data-push]");
  if (!section) return;
  // iOS Safari offers push only to a home-screen app (display: standalone): say how to get there.
  var apple = /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  var standalone = navigator.standalone === true ||
    (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  if (apple && !standalone) {
    section.hidden = false;
    section.querySelector("[data-push-ios]").hidden = false;
    return;
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) ||
      !("Notification" in window) || !window.fetch) return;

  var subscriptionsUrl = section.getAttribute("data-subscriptions-url");
  var keyUrl = section.getAttribute("data-key-url");
  var status = section.querySelector("[data-push-status]");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function show(state) {
    section.hidden = false;
    section.querySelector("[data-push-off]").hidden = state !== "off";
    section.querySelector("[data-push-on]").hidden = state !== "on";
    section.querySelector("[data-push-blocked]").hidden = state !== "blocked";
  }

  function say(text) { status.textContent = text || ""; }

  function registration() {
    return navigator.serviceWorker.register("/sw.js").then(function () { return navigator.serviceWorker.ready; });
  }

  function send(method, body) {
    return fetch(subscriptionsUrl, {
      method: method,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.ok || (method === "DELETE" && response.status === 404)) return response;
      return response.json().catch(function () { return {}; }).then(function (problem) {
        var error = new Error(problem.title || "refused");
        error.said = problem.title; // the server's own words, in the person's language
        throw error;
      });
    });
  }

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(subscription, key) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true; // the browser does not tell; assume it is ours
    current = new Uint8Array(current);
    if (current.length !== key.length) return false;
    for (var i = 0; i < key.length; i++) if (current[i] !== key[i]) return false;
    return true;
  }

  function askPermission() {
    // Older Safari takes a callback instead of returning a promise.
    return new Promise(function (resolve) {
      var answer = Notification.requestPermission(resolve);
      if (answer && answer.then) answer.then(resolve);
    });
  }

  function turnOn() {
    say("");
    askPermission().then(function (permission) {
      if (permission !== "granted") { show(permission === "denied" ? "blocked" : "off"); return null; }
      return Promise.all([
        registration(),
        fetch(keyUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      ]).then(function (results) {
        var pushManager = results[0].pushManager;
        var key = keyBytes(results[1].public_key);
        return pushManager.getSubscription().then(function (existing) {
          if (existing && !sameKey(existing, key)) return existing.unsubscribe().then(function () { return null; });
          return existing;
        }).then(function (existing) {
          return existing || pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        });
      }).then(function (subscription) {
        return send("POST", subscription.toJSON());
      }).then(function () { show("on"); });
    }).catch(function (error) {
      // The browser's own errors (no push service reachable, …) are in its language, not theirs.
      say((error && error.said) || section.getAttribute("data-failed"));
    });
  }

  function turnOff() {
    say("");
    registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) return null;
      return send("DELETE", { endpoint: subscription.endpoint }).then(function () { return subscription.unsubscribe(); });
    }).then(function () { show("off"); }).catch(function () { say(section.getAttribute("data-failed")); });
  }

  section.querySelector("[data-push-subscribe]").addEventListener("click", turnOn);
  section.querySelector("[data-push-unsubscribe]").addEventListener("click", turnOff);

  if (Notification.permission === "denied") { show("blocked"); return; }
  registration().then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (subscription) {
    if (subscription && Notification.permission === "granted") {
      show("on");
      // The server may have dropped it (a push service said it was gone, or another person
      // took it on this browser); sending it again is harmless and keeps both in step.
      send("POST", subscription.toJSON()).catch(function () { /* shown as on; retried next visit */ });
    } else {
      show("off");
    }
  }).catch(function () { /* no service worker here: the section stays hidden */ });
})();
