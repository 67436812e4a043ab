// chatsock.js — the chat WebSocket.  A browser cannot put the token on a
// WebSocket, so each connection takes a one-time ticket first (POST
// /api/chat/ticket, valid 30 s) and opens /api/chat/stream?ticket=...
// It reconnects with backoff while it is wanted; the banner shows it down.

import { api } from './api.js';
import { Backoff } from './backoff.js';
import { connection } from './banner.js';

export class ChatSocket {
  // onMessage(obj) for every server message; onState("open"|"down").
  constructor(onMessage, onState) {
    this.onMessage = onMessage;
    this.onState = onState || (() => {});
    this.ws = null;
    this.wanted = false;
    this.backoff = new Backoff();
  }

  get open() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  start() {
    if (this.wanted) return;
    this.wanted = true;
    this.connect();
  }

  stop() {
    this.wanted = false;
    this.abort?.abort();
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    connection('chat', false);
  }

  async connect() {
    while (this.wanted) {
      this.abort = new AbortController();
      try {
        const { ticket } = await api.post('/api/chat/ticket');
        if (!this.wanted) return;
        await this.openWith(ticket);
        return;
      } catch (e) {
        if (!this.wanted || e.status === 401) return;
        connection('chat', true, e.message);
        this.onState('down');
        await this.backoff.wait(this.abort.signal);
      }
    }
  }

  openWith(ticket) {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/api/chat/stream?ticket=` +
      encodeURIComponent(ticket);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.ws = ws;
        this.backoff.reset();
        connection('chat', false);
        this.onState('open');
        resolve();
      };
      ws.onmessage = (ev) => {
        let msg;
        try { msg = JSON.parse(ev.data); } catch { return; }
        this.onMessage(msg);
      };
      ws.onclose = (ev) => {
        if (!opened) {
          reject(new Error('the WebSocket was refused'));
          return;
        }
        if (this.ws === ws) this.ws = null;
        this.onState('down', ev.code);
        if (this.wanted) {
          connection('chat', true, 'closed ' + ev.code);
          this.backoff.wait().then(() => this.connect());
        }
      };
    });
  }

  send(obj) {
    if (!this.open) throw new Error('the chat connection is not open yet');
    this.ws.send(JSON.stringify(obj));
  }
}
