// views.js — the view table.  A view is a module in ../views/ exporting
// `mount(el, ctx)` (which may return an unmount function); adding one is
// that module and one line here.  The order is the navigation's.

import * as chat from '../views/chat.js';
import * as agents from '../views/agents.js';
import * as sessions from '../views/sessions.js';
import * as seeds from '../views/seeds.js';
import * as memory from '../views/memory.js';
import * as audit from '../views/audit.js';
import * as config from '../views/config.js';
import * as scheduler from '../views/scheduler.js';
import * as budgets from '../views/budgets.js';
import * as permissions from '../views/permissions.js';
import * as skills from '../views/skills.js';
import * as personas from '../views/personas.js';
import * as approvals from '../views/approvals.js';
import * as resources from '../views/resources.js';
import * as system from '../views/system.js';
import * as tokens from '../views/tokens.js';
import * as spaces from '../views/spaces.js';

export const views = [
  { id: 'chat', title: 'Chat', key: 'c', module: chat },
  { id: 'agents', title: 'Agents', key: 'a', module: agents },
  { id: 'sessions', title: 'Sessions', key: 's', module: sessions },
  { id: 'seeds', title: 'Seeds', key: 'd', module: seeds },
  { id: 'memory', title: 'Memory', key: 'm', module: memory },
  { id: 'audit', title: 'Audit', key: 'u', module: audit },
  { id: 'config', title: 'Config', key: 'g', module: config },
  { id: 'scheduler', title: 'Scheduler', key: 'q', module: scheduler },
  { id: 'budgets', title: 'Budgets', key: 'b', module: budgets },
  { id: 'permissions', title: 'Permissions', key: 'p', module: permissions },
  { id: 'skills', title: 'Skills', key: 'l', module: skills },
  { id: 'personas', title: 'Personas', key: 'n', module: personas },
  { id: 'approvals', title: 'Approvals', key: 'i', module: approvals },
  { id: 'resources', title: 'Resources', key: 'r', module: resources },
  { id: 'system', title: 'System', key: 'y', module: system },
  { id: 'tokens', title: 'Tokens', key: 'k', module: tokens },
  { id: 'spaces', title: 'Spaces', key: 'e', module: spaces },
];
