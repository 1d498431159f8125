/*
 * Access to the aggregator's API: the one place an access key is added to
 * requests. The key comes from `#key=…` in the URL (then removed from the
 * address bar and remembered in localStorage), from localStorage, or from
 * the key prompt (key-prompt.js) after the server refused a request.
 */

const keyName = 'aggregator.key';
let accessKey = readKey();
const refusedListeners = [];

function readKey() {
  const match = /(?:^#|&)key=([^&]*)/.exec(location.hash);
  if (match) {
    const key = decodeURIComponent(match[1]);
    remember(key);
    // Keep the key out of the address bar, history and screenshots.
    history.replaceState(null, '', location.pathname + location.search);
    return key || null;
  }
  try {
    return localStorage.getItem(keyName);
  } catch {
    return null;
  }
}

function remember(key) {
  try {
    if (key) localStorage.setItem(keyName, key);
    else localStorage.removeItem(keyName);
  } catch {}
}

/** Uses (and remembers) `key` for every request from now on. */
export function setKey(key) {
  accessKey = key || null;
  remember(key);
}

/**
 * Calls `listener({status, hadKey})` whenever the server refuses a request for
 * its key: 401 (no key, or not a valid one) or 403 (a key of the other kind).
 */
export function onKeyRefused(listener) {
  refusedListeners.push(listener);
}

/** fetch() with the access key, if any. Every request of the dashboard goes through here. */
export async function api(path, init = {}) {
  const headers = new Headers(init.headers);
  if (accessKey) headers.set('authorization', `Bearer ${accessKey}`);
  const res = await fetch(path, { ...init, headers, cache: 'no-store' });
  if (res.status === 401 || res.status === 403) {
    const refusal = { status: res.status, hadKey: Boolean(accessKey) };
    for (const listener of refusedListeners) listener(refusal);
  }
  return res;
}

/** Whether a response was a refusal for the key (the caller stops; the prompt takes over). */
export const refusedKey = (res) => res.status === 401 || res.status === 403;
