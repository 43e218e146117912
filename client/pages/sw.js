// The pages' service worker: the guest's pass opens with no network (docs/pages.md, "The pass
// without a network"). scripts/build-pages.mjs writes it into the build with VERSION (a hash of
// every file built, config.js included) and FILES (the guest page and what it loads), so each
// deploy is a new worker with its own cache, and the old cache is deleted once it takes over.
// Only the pages' own files are cached: never an API answer, never a pass (those stay in the
// page's localStorage).
const VERSION = "__VERSION__";
const FILES = __FILES__;
const CACHE = `guestlist-${VERSION}`;
/** Every guest link is the same page: one copy serves them all, the link's own path included. */
const GUEST_PAGE = "/guest.html";
const isGuestPath = (path) => /^\/p\/[^/]+\/[^/]+\/?$/.test(path) || path === GUEST_PAGE;

/** Fetches into the cache whatever of FILES it lacks. */
async function fill() {
  const cache = await caches.open(CACHE);
  for (const file of FILES) {
    if (await cache.match(file)) continue;
    let res = await fetch(file, { cache: "no-cache" });
    if (res.redirected) res = new Response(await res.blob(), { status: res.status, headers: res.headers });
    if (res.ok) await cache.put(file, res);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(fill().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith("guestlist-") && name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

// The page asks again each time it shows a pass: a cache emptied since (a deleted account) is filled.
self.addEventListener("message", (event) => {
  if (event.data === "cache") event.waitUntil(fill());
});

/** The cached copy at once when there is one (the files of this version never change); else the network, kept. */
async function cacheFirst(request, key) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key, { ignoreSearch: true });
  if (hit) return hit;
  let res = await fetch(request);
  // A host that redirects /guest.html (to /guest, say) answers a redirect, which a navigation
  // must not be given: the body is kept as a plain answer.
  if (res.redirected) res = new Response(await res.blob(), { status: res.status, headers: res.headers });
  if (res.ok) await cache.put(key, res.clone());
  return res;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return; // the API is never touched
  if (request.mode === "navigate") {
    // A guest link: the saved page at once (it shows the saved pass, then asks the network for
    // news). Other pages are left to the network.
    if (isGuestPath(url.pathname)) event.respondWith(cacheFirst(GUEST_PAGE, GUEST_PAGE));
    return;
  }
  if (FILES.includes(url.pathname) || url.pathname.startsWith("/assets/")) event.respondWith(cacheFirst(request, url.pathname));
});
