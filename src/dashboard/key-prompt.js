/*
 * The read-key prompt: shown when the server refuses the dashboard's requests
 * for want of a key (401) or for the wrong kind of key (403), instead of
 * retrying for ever. The key entered is used for every request from then on
 * (api.js) and remembered in localStorage.
 */
import { setKey } from './api.js';

const $ = (id) => document.getElementById(id);

/** Shows the prompt; `onKey()` is called once a key has been entered. */
export function askForKey({ status, hadKey }, onKey) {
  const form = $('key-form');
  $('key-message').textContent =
    status === 403
      ? 'That key may not read: enter a read key.'
      : hadKey
        ? 'That key was not accepted: enter a valid read key.'
        : 'This server needs a read key to show its data.';
  form.hidden = false;
  $('key-input').value = '';
  $('key-input').focus();
  form.onsubmit = (e) => {
    e.preventDefault();
    const key = $('key-input').value.trim();
    if (!key) return;
    setKey(key);
    form.hidden = true;
    onKey();
  };
}
