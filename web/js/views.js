// views.js — the view table.  A view is a module in ../views/ exporting
// `mount(el, ctx)` (which may return an unmount function); adding one is
// that module and one line here.  The order is the navigation's.

import * as chat from '../views/chat.js';

export const views = [
  { id: 'chat', title: 'Chat', key: 'c', module: chat },
];
