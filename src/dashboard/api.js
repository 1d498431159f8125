/*
 * Access to the aggregator's API: the one place an access key is added to
 * requests. The key comes from `#key=…` in the URL (then removed from the
 * address bar and remembered in localStorage), or from localStorage.
 */

const keyName = 'aggregator.key';
const accessKey = readKey();

function readKey() {
  const match = /(?:^#|&)key=([^&]*)/.exec(location.hash);
  if (match) {
    const key = decodeURIComponent(match[1]);
    try {
      if (key) localStorage.setItem(keyName, key);
      else localStorage.removeItem(keyName);
    } catch {}
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

/** fetch() with the access key, if any. Every request of the dashboard goes through here. */
export function api(path, init = {}) {
  const headers = new Headers(init.headers);
  if (accessKey) headers.set('authorization', `Bearer ${accessKey}`);
  return fetch(path, { ...init, headers, cache: 'no-store' });
}
