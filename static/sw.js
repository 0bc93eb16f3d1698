/* lxp service worker: the learner's pages readable offline.
 *
 * Pages of the path (Today, the path, blocks) are fetched from the network first and kept in
 * a cache; when the network is gone, the cached copy is shown. The page asks the worker to
 * fetch the next few blocks ahead of time. Static files are served from the cache first.
 * Signing out deletes the cache (see offline.js), so a shared phone keeps nothing.
 * Push messages are shown as notifications; tapping one opens its link (see push.js).
 */
"use strict";

const PAGES = "lxp-pages-v1";
const STATIC = "lxp-static-v1";
const OFFLINE_PATHS = [/^\/today$/, /^\/path$/, /^\/learn\/[^/]+$/, /^\/job-aids$/];
// Pages vary by cookie (the session); the cache is per browser profile anyway, so match by path.
const MATCH = { ignoreVary: true, ignoreSearch: true };

function pathOf(url) {
  return new URL(url, self.location.origin).pathname;
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "cache" || !Array.isArray(event.data.urls)) return;
  event.waitUntil(
    caches.open(PAGES).then((cache) =>
      Promise.all(
        event.data.urls.map((url) =>
          fetch(url, { credentials: "same-origin", headers: { "X-LXP-Prefetch": "1" } })
            .then((response) => (response.ok && !response.redirected ? cache.put(pathOf(url), response) : null))
            .catch(() => null)
        )
      )
    )
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;

  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.match(request).then(
        (cached) =>
          cached ||
          fetch(request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(STATIC).then((cache) => cache.put(request, copy));
            }
            return response;
          })
      )
    );
    return;
  }

  // A tapped notification opens its tracked link (/t/…), which counts the open and redirects;
  // offline, the person still lands on Today rather than on an error.
  if (request.mode === "navigate" && url.pathname.startsWith("/t/")) {
    event.respondWith(
      fetch(request).catch(() =>
        caches.match("/today", MATCH).then(
          (cached) => cached || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } })
        )
      )
    );
    return;
  }

  if (request.mode === "navigate" && OFFLINE_PATHS.some((pattern) => pattern.test(url.pathname))) {
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && !response.redirected) {
            const copy = response.clone();
            caches.open(PAGES).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        .catch(() =>
          caches.match(url.pathname, MATCH).then((cached) => cached || caches.match("/today", MATCH)).then(
            (cached) => cached || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } })
          )
        )
    );
  }
});

/* Web Push: lxp sends JSON {title, body, link, tag} (see lxp/channels/webpush.py). */
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { body: event.data ? event.data.text() : "" };
  }
  const options = { body: message.body || "", data: { link: message.link || "/" }, icon: "/static/favicon.svg" };
  if (message.tag) {
    options.tag = message.tag;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(message.title || "lxp", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  // Only paths on lxp: a link is never allowed to take the person to another site.
  const target = new URL((event.notification.data && event.notification.data.link) || "/", self.location.origin);
  const url = target.origin === self.location.origin ? target.href : self.location.origin + "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => client.url === url && "focus" in client);
      // A new window rather than navigating one the person may be typing in.
      return open ? open.focus() : self.clients.openWindow(url);
    })
  );
});
