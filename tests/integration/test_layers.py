"""The layer check (docs/architecture.md, "Layers").

Reads the sources only; it needs no binary.  Four rules:

1. Every file under src/ has a level: a row of the layer table in
   docs/architecture.md names it, or names a folder holding it (the
   longest matching folder row applies; a file row overrides it).
2. No `#include "..."` points up: a file includes only headers of its own
   level or below.  Same-level includes are fine.
3. The table tells the truth: a row marked `exists` names something on
   disk, a row marked `planned` names nothing yet.
4. The worker (`oxios __worker`) reaches no provider, store, memory or
   kernel code: starting at src/agent/worker.c, follow every include and,
   from each header, the sources that implement it (define a function or
   variable it declares); none of them may lie under src/store/, src/llm/,
   src/memory/ or src/kernel/.

The checking functions take plain data (rows, files, include lists), so
the self-tests at the end feed them a small synthetic table and include
graph and make sure each rule does fail when it must.
"""
import collections
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOC = os.path.join(ROOT, 'docs', 'architecture.md')

WORKER_ROOT = 'src/agent/worker.c'
WORKER_FORBIDDEN = ('src/store/', 'src/llm/', 'src/memory/', 'src/kernel/')
STATUSES = ('exists', 'planned')

Row = collections.namedtuple('Row', 'path level layer status')


# ---- the table ----

def _cells(line):
    """The cells of one Markdown table row (pipes escaped as \\| kept)."""
    parts = re.split(r'(?<!\\)\|', line.strip())
    return [p.strip() for p in parts[1:-1]]


def _table(text, name):
    """The body rows of the table between <!-- NAME:begin/end --> markers."""
    m = re.search(r'<!-- %s:begin -->\n(.*?)<!-- %s:end -->' % (name, name),
                  text, re.S)
    if m is None:
        raise ValueError('docs/architecture.md: no <!-- %s:begin --> ... '
                         '<!-- %s:end --> table' % (name, name))
    rows = []
    for line in m.group(1).splitlines():
        if not line.startswith('|'):
            continue
        cells = _cells(line)
        if all(re.fullmatch(r':?-+:?', c) for c in cells):
            continue  # the separator
        rows.append(cells)
    return rows[1:]  # without the header


def parse_doc(text):
    """(levels, rows): levels maps a level number to its layer name; rows
    are the layer table's, in order."""
    levels = {}
    for cells in _table(text, 'levels'):
        levels[int(cells[0])] = cells[1].strip('`')
    rows = []
    for cells in _table(text, 'layers'):
        rows.append(Row(cells[0].strip('`'), int(cells[1]),
                        cells[2].strip('`'), cells[3].strip('`')))
    return levels, rows


def level_of(path, rows):
    """The row that places `path` (relative to the root), or None: its own
    row, else the longest folder row holding it."""
    best = None
    for r in rows:
        if r.path == path:
            return r
        if r.path.endswith('/') and path.startswith(r.path):
            if best is None or len(r.path) > len(best.path):
                best = r
    return best


def check_table(levels, rows, exists):
    """Problems of the table itself; `exists(path)` says what is on disk."""
    problems = []
    seen = set()
    for r in rows:
        if r.path in seen:
            problems.append('%s: listed twice' % r.path)
        seen.add(r.path)
        if r.level not in levels:
            problems.append('%s: level %d is not in the levels table'
                            % (r.path, r.level))
        elif levels[r.level] != r.layer:
            problems.append('%s: level %d is "%s", not "%s"'
                            % (r.path, r.level, levels[r.level], r.layer))
        if r.status not in STATUSES:
            problems.append('%s: status "%s" (say exists or planned)'
                            % (r.path, r.status))
        elif r.status == 'exists' and not exists(r.path):
            problems.append('%s: marked exists, but there is no such %s '
                            '(remove the row, or mark it planned)'
                            % (r.path, 'folder' if r.path.endswith('/')
                               else 'file'))
        elif r.status == 'planned' and exists(r.path):
            problems.append('%s: marked planned, but it exists now: mark '
                            'it exists' % r.path)
    return problems


def check_placed(files, rows):
    """Files no row places."""
    return ['%s: no row of the layer table places it (add a row to '
            'docs/architecture.md)' % f
            for f in files if level_of(f, rows) is None]


def check_upward(includes, rows):
    """Upward includes.  `includes` maps a file to [(line, target)]."""
    problems = []
    for f in sorted(includes):
        src = level_of(f, rows)
        for line, target in includes[f]:
            dst = level_of(target, rows)
            if src is None or dst is None:
                continue  # check_placed() reports it
            if dst.level > src.level:
                problems.append(
                    '%s:%d: includes %s (level %d, %s) from level %d (%s)'
                    % (f, line, target, dst.level, dst.layer, src.level,
                       src.layer))
    return problems


# ---- the worker ----

def worker_closure(root, includes, implementers):
    """Every file the worker's code reaches from `root`: what it includes
    and, for each header, the sources implementing it.  Maps a file to how
    it was reached: (parent, line, how) with how 'include' or 'impl';
    the root maps to None."""
    seen = {root: None}
    queue = collections.deque([root])
    while queue:
        f = queue.popleft()
        nxt = [(t, line, 'include') for line, t in includes.get(f, ())]
        if f.endswith('.h'):
            nxt += [(s, 0, 'impl') for s in implementers.get(f, ())]
        for t, line, how in nxt:
            if t not in seen:
                seen[t] = (f, line, how)
                queue.append(t)
    return seen


def chain(closure, f):
    """How the worker reaches f, for people."""
    steps = []
    while closure[f] is not None:
        parent, line, how = closure[f]
        if how == 'include':
            steps.append('%s:%d includes %s' % (parent, line, f))
        else:
            steps.append('%s is implemented in %s' % (parent, f))
        f = parent
    return ' -> '.join(reversed(steps))


def check_worker(root, includes, implementers, forbidden=WORKER_FORBIDDEN):
    """The first forbidden file on each way in (what lies beyond it is
    not listed again), with the way."""
    closure = worker_closure(root, includes, implementers)
    problems = []
    for f in sorted(closure):
        if not f.startswith(forbidden):
            continue
        up, inside = closure[f], False
        while up is not None and not inside:
            inside = up[0].startswith(forbidden)
            up = closure[up[0]]
        if not inside:
            problems.append('the worker reaches %s: %s'
                            % (f, chain(closure, f)))
    return problems


# ---- reading the sources ----

def strip_comments(text):
    """C text with comments blanked (newlines kept, so lines still count);
    string and character literals are left alone."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"', re.M)


def parse_includes(path, text):
    """[(line, name)] of the quoted includes of one file."""
    text = strip_comments(text)
    return [(text.count('\n', 0, m.start()) + 1, m.group(1))
            for m in INCLUDE.finditer(text)]


def resolve(path, name, exists):
    """The file `#include "name"` in `path` means, relative to the root:
    next to the includer, else under src/ (meson's include directory); a
    header generated from NAME.in (version.h) is that template.  None if
    nothing matches."""
    for cand in (os.path.normpath(os.path.join(os.path.dirname(path), name)),
                 os.path.normpath(os.path.join('src', name))):
        if exists(cand):
            return cand
        if exists(cand + '.in'):
            return cand + '.in'
    return None


FUNC_DEF = re.compile(r'^([A-Za-z_]\w*)\(', re.M)
VAR_DEF = re.compile(r'^(?!static\b|typedef\b|extern\b)[A-Za-z_][^=;(\n]*?'
                     r'\b([A-Za-z_]\w*)\s*(?:\[[^\]\n]*\])?\s*=', re.M)
DECL = re.compile(r'\b([A-Za-z_]\w*)\s*\(')
EXTERN = re.compile(r'\bextern\b[^;]*?\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*;')


def exported(text):
    """Names a C file defines for others: functions in KNF (the name at
    column 0, its type on the line before, not static) and file-scope
    variables with an initialiser, not static."""
    text = strip_comments(text)
    names = set()
    lines = text.split('\n')
    for m in FUNC_DEF.finditer(text):
        no = text.count('\n', 0, m.start())
        prev = lines[no - 1].strip() if no > 0 else ''
        if not prev.startswith('static') and prev and not prev.endswith(';'):
            names.add(m.group(1))
    for m in VAR_DEF.finditer(text):
        names.add(m.group(1))
    return names


def declared(text):
    """Names a header declares: functions and extern variables."""
    text = strip_comments(text)
    return set(DECL.findall(text)) | set(EXTERN.findall(text))


def implementers_of(headers, sources):
    """Map each header to the sources defining something it declares.
    `headers` and `sources` map a path to its text."""
    exports = {s: exported(t) for s, t in sources.items()}
    out = {}
    for h, t in headers.items():
        names = declared(t)
        out[h] = sorted(s for s, e in exports.items() if e & names)
    return out


class Tree:
    """The real tree: files under src/, their includes, the table."""

    def __init__(self, root=ROOT):
        self.root = root
        self.files = []
        for d, dirs, fs in os.walk(os.path.join(root, 'src')):
            dirs[:] = sorted(x for x in dirs if not x.startswith('.'))
            for f in sorted(fs):
                if not f.startswith('.'):
                    self.files.append(os.path.relpath(os.path.join(d, f),
                                                      root))
        self.text = {}
        for f in self.files:
            if f.endswith(('.c', '.h')):
                with open(os.path.join(root, f), encoding='utf-8') as fp:
                    self.text[f] = fp.read()
        self.includes = {}
        self.unresolved = []
        for f, t in self.text.items():
            self.includes[f] = []
            for line, name in parse_includes(f, t):
                target = resolve(f, name, self.exists)
                if target is None:
                    self.unresolved.append('%s:%d: #include "%s" names no '
                                           'file under src/' % (f, line,
                                                                 name))
                else:
                    self.includes[f].append((line, target))
        with open(DOC, encoding='utf-8') as fp:
            self.levels, self.rows = parse_doc(fp.read())

    def exists(self, path):
        p = os.path.join(self.root, path)
        return os.path.isdir(p) if path.endswith('/') else os.path.isfile(p)

    def implementers(self):
        return implementers_of(
            {f: t for f, t in self.text.items() if f.endswith('.h')},
            {f: t for f, t in self.text.items() if f.endswith('.c')})


@pytest.fixture(scope='module')
def tree():
    return Tree()


def _fail(problems, what):
    if problems:
        pytest.fail('%d %s:\n  %s' % (len(problems), what,
                                      '\n  '.join(problems)), pytrace=False)


# ---- the checks of the real tree ----

def test_table_is_well_formed(tree):
    assert len(tree.levels) >= 8, tree.levels
    assert len(tree.rows) >= 20, 'the layer table looks cut short'
    _fail(check_table(tree.levels, tree.rows, tree.exists),
          'problems in the layer table of docs/architecture.md')


def test_every_file_is_placed(tree):
    assert 'src/agent/worker.c' in tree.files  # the walk saw the tree
    _fail(check_placed(tree.files, tree.rows), 'files without a level')


def test_every_include_resolves(tree):
    assert sum(len(v) for v in tree.includes.values()) > 300
    _fail(tree.unresolved, 'includes the check cannot follow')


def test_no_include_points_up(tree):
    _fail(check_upward(tree.includes, tree.rows),
          'upward includes (a lower level including a higher one; '
          'publish an event or register a callback instead)')


def test_worker_reaches_no_kernel_code(tree):
    impl = tree.implementers()
    closure = worker_closure(WORKER_ROOT, tree.includes, impl)
    # The walk found the worker's real code: its tools and its sandbox.
    for f in ('src/agent/tools.c', 'src/agent/tool_exec.c',
              'src/agent/proto.c', 'src/security/sandbox.c',
              'src/security/seccomp.c', 'src/util/xalloc.c'):
        assert f in closure, (f, sorted(closure))
    _fail(check_worker(WORKER_ROOT, tree.includes, impl),
          'paths from the worker into store/, llm/, memory/ or kernel/')


# ---- self-tests: each rule fails when it must ----

SYNTHETIC_DOC = """\
<!-- levels:begin -->
| Level | Layer | What |
|---|---|---|
| 2 | kernel | facade |
| 1 | services | gate |
| 0 | util | helpers |
<!-- levels:end -->

<!-- layers:begin -->
| Path | Level | Layer | Status | Notes |
|---|---|---|---|---|
| `src/util/` | 0 | util | exists | a \\| pipe in a note |
| `src/kernel/gate.c` | 1 | services | exists | |
| `src/kernel/gate.h` | 1 | services | exists | |
| `src/kernel/kernel.c` | 2 | kernel | exists | |
| `src/kernel/kernel.h` | 2 | kernel | exists | |
| `src/util/cancel.c` | 0 | util | planned | |
<!-- layers:end -->
"""


def synthetic():
    return parse_doc(SYNTHETIC_DOC)


def test_self_parse_table():
    levels, rows = synthetic()
    assert levels == {2: 'kernel', 1: 'services', 0: 'util'}
    assert rows[0] == Row('src/util/', 0, 'util', 'exists')
    assert len(rows) == 6
    assert level_of('src/util/buf.h', rows).level == 0
    assert level_of('src/kernel/kernel.c', rows).level == 2
    assert level_of('src/kernel/events.c', rows) is None


def test_self_reports_upward_include():
    _, rows = synthetic()
    includes = {
        'src/util/buf.c': [(7, 'src/util/buf.h'),
                           (9, 'src/kernel/gate.h')],   # 0 -> 1: up
        'src/kernel/gate.c': [(3, 'src/kernel/kernel.h'),  # 1 -> 2: up
                              (4, 'src/kernel/gate.h'),    # same level
                              (5, 'src/util/buf.h')],      # down
        'src/kernel/kernel.c': [(2, 'src/kernel/gate.h')],  # down
    }
    problems = check_upward(includes, rows)
    assert len(problems) == 2, problems
    assert problems[0].startswith('src/kernel/gate.c:3: includes '
                                  'src/kernel/kernel.h (level 2, kernel)')
    assert problems[1].startswith('src/util/buf.c:9: includes '
                                  'src/kernel/gate.h (level 1, services) '
                                  'from level 0 (util)')


def test_self_reports_unplaced_and_untrue_rows():
    levels, rows = synthetic()
    assert check_placed(['src/util/x.c', 'src/kernel/events.c'], rows) == [
        'src/kernel/events.c: no row of the layer table places it (add a '
        'row to docs/architecture.md)']
    on_disk = {'src/util/', 'src/kernel/gate.c', 'src/kernel/gate.h',
               'src/kernel/kernel.h', 'src/util/cancel.c'}
    problems = check_table(levels, rows + [Row('src/x/', 3, 'x', 'maybe')],
                           lambda p: p in on_disk)
    assert any(p.startswith('src/kernel/kernel.c: marked exists')
               for p in problems), problems
    assert any(p.startswith('src/util/cancel.c: marked planned')
               for p in problems), problems
    assert any('level 3 is not in the levels table' in p
               for p in problems), problems
    assert any('status "maybe"' in p for p in problems), problems


def test_self_reports_worker_chain():
    includes = {
        'src/agent/worker.c': [(19, 'src/agent/hands.h'),
                               (22, 'src/util/log.h')],
        'src/agent/hands.c': [(24, 'src/agent/hands.h'),
                              (30, 'src/kernel/gate.h')],
        'src/util/log.c': [(15, 'src/util/log.h')],
    }
    impl = {'src/agent/hands.h': ['src/agent/hands.c'],
            'src/util/log.h': ['src/util/log.c']}
    problems = check_worker('src/agent/worker.c', includes, impl)
    assert problems == [
        'the worker reaches src/kernel/gate.h: '
        'src/agent/worker.c:19 includes src/agent/hands.h -> '
        'src/agent/hands.h is implemented in src/agent/hands.c -> '
        'src/agent/hands.c:30 includes src/kernel/gate.h']
    # Only the first forbidden file of a way in is listed.
    includes['src/kernel/gate.c'] = [(9, 'src/store/db.h')]
    impl['src/kernel/gate.h'] = ['src/kernel/gate.c']
    assert len(check_worker('src/agent/worker.c', includes, impl)) == 1
    assert 'src/store/db.h' in worker_closure('src/agent/worker.c', includes,
                                              impl)
    del includes['src/agent/hands.c'][1]
    assert check_worker('src/agent/worker.c', includes, impl) == []


def test_self_reads_c():
    c = ('/* #include "kernel/no.h" */\n'
         '#include "agent/tools.h"\n'
         '// #include "kernel/no.h"\n'
         '  #  include "util/xalloc.h"\n'
         'static const char *s = "/* not a comment";\n'
         'const struct tool tool_table[] = {\n'
         '};\n'
         'static int\n'
         'tools_helper(void)\n'
         '{\n'
         '}\n'
         '\n'
         'int\n'
         'tools_run(struct tool_ctx *ctx)\n'
         '{\n'
         '}\n')
    assert parse_includes('src/agent/tools.c', c) == [
        (2, 'agent/tools.h'), (4, 'util/xalloc.h')]
    assert exported(c) == {'tool_table', 'tools_run'}
    h = ('/* tools_helper(x) in a comment */\n'
         'extern const struct tool tool_table[];\n'
         'int tools_run(struct tool_ctx *ctx);\n')
    assert declared(h) >= {'tool_table', 'tools_run'}
    assert 'tools_helper' not in declared(h)
    assert implementers_of({'src/agent/tools.h': h},
                           {'src/agent/tools.c': c,
                            'src/kernel/other.c': 'int\nother(void)\n{\n}\n'}
                           ) == {'src/agent/tools.h': ['src/agent/tools.c']}
    files = {'src/version.h.in', 'src/agent/tools.h', 'src/util/buf.h'}
    assert resolve('src/cli/cmd_version.c', 'version.h',
                   lambda p: p in files) == 'src/version.h.in'
    assert resolve('src/agent/tools.c', 'agent/tools.h',
                   lambda p: p in files) == 'src/agent/tools.h'
    assert resolve('src/agent/x.c', 'nope.h', lambda p: p in files) is None
