// views.js — the view table.  A view is a module in ../views/ exporting
// `mount(el, ctx)` (which may return an unmount function); adding one is
// that module and one line here.  The order is the navigation's.

import * as chat from '../views/chat.js';
import * as memory from '../views/memory.js';
import * as audit from '../views/audit.js';
import * as config from '../views/config.js';
import * as system from '../views/system.js';
import * as resources from '../views/resources.js';

export const views = [
  { id: 'chat', title: 'Chat', key: 'c', module: chat },
  { id: 'memory', title: 'Memory', key: 'm', module: memory },
  { id: 'audit', title: 'Audit', key: 'u', module: audit },
  { id: 'config', title: 'Config', key: 'g', module: config },
  { id: 'system', title: 'System', key: 'y', module: system },
  { id: 'resources', title: 'Resources', key: 'r', module: resources },
];
