// events.js — the kernel's event stream (GET /api/events), read with
// fetch() and a ReadableStream because an EventSource cannot send the
// Authorization header.  It sends Last-Event-ID itself, so after a lost
// connection it resumes where it stopped; reconnects with backoff; tells
// the shell when it is down (the banner) and up.

import { auth, signalUnauthorized } from './api.js';
import { Backoff } from './backoff.js';
import { connection } from './banner.js';

export class EventStream {
  constructor() {
    this.lastId = null;
    this.listeners = new Set();
    this.stopped = true;
    this.backoff = new Backoff();
  }

  // fn({id, type, data}) for every event; returns the unsubscribe.
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.run();
  }

  stop() {
    this.stopped = true;
    this.ctrl?.abort();
    connection('events', false);
  }

  async run() {
    while (!this.stopped) {
      this.ctrl = new AbortController();
      try {
        const headers = { Accept: 'text/event-stream',
          Authorization: 'Bearer ' + auth.token };
        if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
        const resp = await fetch('/api/events', { headers, cache: 'no-store',
          credentials: 'omit', signal: this.ctrl.signal });
        if (resp.status === 401) {
          this.stopped = true;
          signalUnauthorized('the token was refused; sign in again');
          return;
        }
        if (!resp.ok || !resp.body) throw new Error('HTTP ' + resp.status);
        connection('events', false);
        this.backoff.reset();
        await this.read(resp.body);
        if (!this.stopped) throw new Error('the stream ended');
      } catch (e) {
        if (this.stopped) return;
        connection('events', true, e.message);
        await this.backoff.wait(this.ctrl.signal);
      }
    }
  }

  async read(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value.replace(/\r\n/g, '\n');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        this.dispatch(block);
      }
    }
  }

  // One event block: "id:", "event:", "data:" lines; ":" comments.
  dispatch(block) {
    let id = null, type = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let value = c < 0 ? '' : line.slice(c + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') id = value;
      else if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== null) this.lastId = id;
    if (data.length === 0) return;
    let parsed;
    try { parsed = JSON.parse(data.join('\n')); } catch { parsed = data.join('\n'); }
    for (const fn of this.listeners) {
      try { fn({ id, type, data: parsed }); } catch (e) { console.warn(e); }
    }
  }
}

export const events = new EventStream();
