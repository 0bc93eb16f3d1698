/* lxp service worker: the learner's pages readable offline, from the first visit on.
 *
 * On install it keeps the shell (CSS, JS, icons at their fingerprinted addresses, and the
 * offline page; /offline/shell.json lists them), so a page opened offline is styled and its
 * "I have done this" is queued by offline.js even on the first visit. Learner pages (Today, the
 * path, blocks, job aids, sessions, the inbox, coaching) are fetched from the network first
 * and their last copy kept; offline, that copy is shown, and any page without one gets the
 * offline page, which says so and lists what the phone has (never another page's content).
 * Today asks the worker to fetch the next few blocks ahead, but only when the plan changed or
 * a day has passed, each with If-None-Match, so a repeat visit moves next to nothing.
 * Static files are served from the cache first. Signing out deletes the pages (see
 * offline.js), so a shared phone keeps nothing personal.
 * Push messages are shown as notifications; tapping one opens its link (see push.js).
 */
"use strict";

const PAGES = "lxp-pages-v1";
const STATIC = "lxp-static-v1";
const SHELL = "lxp-shell-v1";
const SHELL_LIST = "/offline/shell.json";
const OFFLINE_PAGE = "/offline";
const KEPT_PATHS = [/^\/today$/, /^\/path$/, /^\/learn\/[^/]+$/, /^\/job-aids$/, /^\/sessions(\/\d+)?$/,
  /^\/inbox$/, /^\/coaching(\/\d+)?$/];
// Pages vary by cookie (the session); the cache is per browser profile anyway, so match by path.
const MATCH = { ignoreVary: true, ignoreSearch: true };
// Where the worker notes when it last fetched ahead, and for which plan (in PAGES: signing out forgets it).
const PREFETCHED = "/__lxp/prefetched";
const DAY_MS = 24 * 3600 * 1000;

function pathOf(url) {
  return new URL(url, self.location.origin).pathname;
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    fetch(SHELL_LIST, { credentials: "same-origin", cache: "no-store" })
      .then((response) => response.json())
      .then((shell) =>
        Promise.all([
          caches.open(STATIC).then((cache) => cache.addAll(shell.static)),
          caches.open(SHELL).then((cache) =>
            fetch(shell.offline, { credentials: "same-origin" }).then((page) => cache.put(OFFLINE_PAGE, page))
          ),
        ])
      )
      .then(() => self.skipWaiting())
  );
});
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

function offlinePage() {
  return caches.open(SHELL).then((cache) => cache.match(OFFLINE_PAGE, MATCH)).then(
    (page) => page || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } })
  );
}

// One page fetched ahead: with If-None-Match when a copy is kept, so an unchanged page costs a 304.
function refresh(cache, url) {
  const path = pathOf(url);
  return cache.match(path, MATCH).then((kept) => {
    const headers = { "X-LXP-Prefetch": "1" };
    const etag = kept && kept.headers.get("ETag");
    if (etag) headers["If-None-Match"] = etag;
    return fetch(url, { credentials: "same-origin", headers: headers, cache: "no-store" }).then((response) => {
      if (response.status === 304) return null;
      return response.ok && !response.redirected ? cache.put(path, response) : null;
    });
  }).catch(() => null);
}

function prefetch(urls, version, from) {
  return caches.open(PAGES).then((cache) =>
    cache.match(PREFETCHED).then((noted) => (noted ? noted.json() : {})).then((last) => {
      const current = last.version === version && Date.now() - (last.at || 0) < DAY_MS;
      return Promise.all(urls.map((url) => cache.match(pathOf(url), MATCH).then((kept) => ({ url, kept }))))
        .then((entries) =>
          entries.filter((entry) => pathOf(entry.url) !== from && !(current && entry.kept)).map((entry) => entry.url)
        )
        .then((due) => Promise.all(due.map((url) => refresh(cache, url))))
        .then(() => {
          if (current) return null;
          const note = JSON.stringify({ version: version, at: Date.now() });
          return cache.put(PREFETCHED, new Response(note, { headers: { "Content-Type": "application/json" } }));
        });
    })
  );
}

self.addEventListener("message", (event) => {
  if (!event.data || event.data.type !== "cache" || !Array.isArray(event.data.urls)) return;
  // The page that asks was just fetched (and kept) by its own navigation: not again.
  const from = event.source && event.source.url ? pathOf(event.source.url) : null;
  event.waitUntil(prefetch(event.data.urls, String(event.data.version || ""), from));
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
  if (request.mode !== "navigate") return;

  // A tapped notification opens its tracked link (/t/…), which counts the open and redirects;
  // offline, the person still lands on Today rather than on an error.
  if (url.pathname.startsWith("/t/")) {
    event.respondWith(
      fetch(request).catch(() =>
        caches.match("/today", MATCH).then((cached) => cached || offlinePage())
      )
    );
    return;
  }

  if (KEPT_PATHS.some((pattern) => pattern.test(url.pathname))) {
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
          caches.open(PAGES).then((cache) => cache.match(url.pathname, MATCH)).then((cached) => cached || offlinePage())
        )
    );
    return;
  }
  event.respondWith(fetch(request).catch(() => offlinePage()));
});

/* Web Push: lxp sends JSON {title, body, link, tag} (see lxp/channels/webpush.py). */
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { body: event.data ? event.data.text() : "" };
  }
  const options = { body: message.body || "", data: { link: message.link || "/" }, icon: "/static/icons/icon-192.png" };
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
