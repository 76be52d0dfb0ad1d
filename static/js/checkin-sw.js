// Service worker of the door scanner (served at /checkin/sw.js, scope /checkin/): the scanner page and its
// assets open without network once loaded. Data (ticket list, queued scans) lives in IndexedDB, not here.
// The route that serves this file fills in the asset list and their hash (eventhub/checkin/routes.py
// `service_worker`): a deploy that changes any asset changes this script, so scanners install the new cache
// and drop the old one.
const ASSETS = /* the asset URLs, as JSON */ __ASSETS__;
const CACHE = "eventhub-checkin-__VERSION__";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function isScannerPage(url) {
  return /^\/checkin\/events\/\d+\/scan$/.test(url.pathname);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // scans and uploads always go to the network
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isScannerPage(url) || url.pathname === "/checkin/manifest.webmanifest") {
    // Network first (fresh page and CSRF token), the cached copy when offline.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    }).catch(() => caches.match(request, { ignoreSearch: url.pathname.endsWith(".webmanifest") })));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request, { ignoreSearch: true }).then((hit) => hit || fetch(request)));
  }
});
