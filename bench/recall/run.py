#!/usr/bin/env python3
"""bench/recall/run.py -- recall@5 on paraphrase queries, through the real
binary (`oxios memory add`, `oxios memory search --json`).

    /usr/bin/python3 bench/recall/run.py [--bin build/oxios] [--data FILE]
        [--k 5] [--only NAME,...]

The data (bench/recall/facts.tsv, hand-written): a few hundred made-up
facts, each with a query that says the same thing in other words (no word
of the query, stop words aside and after the tokeniser's lower-casing, is
a word of its fact: checked below) and an "expansion", what a chat model
would rewrite the query to.  Each row of the table adds every fact to a
fresh $OXIOS_HOME with one configuration, searches each query (hybrid,
the default mode) and counts the queries whose fact is among the first k
results.  Rows:

  tfidf      memory.embedder = "tfidf": BM25 + hashed TF-IDF vectors
  local      memory.embedder = "local": BM25 + the built-in word vectors
  api(fake)  memory.embedder = "api" against tests/fakes/fake_llm.py,
             whose embeddings are the text's words hashed into 64
             buckets: a bag of words, no meaning; it measures the API
             path, not a real embedding model
  expansion  query expansion through the gate (memory.query_expansion =
             "on"), the fake chat model answering each query with its
             scripted expansion, over tfidf and over local.  The scripted
             expansions were written knowing the fact: the names, days,
             months and numbers of the fact they hold (no model could
             guess those) are taken out first (clean()), and what is left
             still leans toward the fact's words, so the row is what a
             good model might reach, not a measurement of one.

Prints a table; asserts nothing.  Standard library only; no network
beyond the fake on 127.0.0.1.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
STOP = {"a", "an", "and", "are", "as", "at", "be", "but", "by", "for",
        "from", "has", "have", "in", "is", "it", "its", "of", "on", "or",
        "that", "the", "this", "to", "was", "were", "will", "with"}
KEY = 'sk-openai-test-key-0123456789'


def words(s):
    """embed.c's terms: lower-cased runs of letters and digits."""
    return {t for t in re.findall(r'[a-z0-9\x80-\U0010ffff]+', s.lower())
            if len(t) >= 2 and t not in STOP}


def clean(fact, expansion):
    """The expansion without the fact's capitalised words and numbers."""
    specific = {w.lower() for w in re.findall(r"[A-Za-z0-9']+", fact)
                if w[0].isupper() or w[0].isdigit()}
    return ' '.join(w for w in expansion.split()
                    if w.lower() not in specific)


def load(path):
    rows = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if line.startswith('#') or not line.strip():
                continue
            parts = line.rstrip('\n').split('\t')
            if len(parts) != 3:
                sys.exit('%s:%d: want fact, query, expansion' % (path, n))
            fact, query, expansion = parts
            common = words(fact) & words(query)
            if common:
                sys.exit('%s:%d: the query shares %s with the fact'
                         % (path, n, sorted(common)))
            rows.append((fact, query, clean(fact, expansion)))
    return rows


class Home:
    def __init__(self, binary, config, env=None):
        self.dir = tempfile.mkdtemp(prefix='oxios-recall-')
        self.binary = binary
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(('OXIOS_', 'OPENAI_',
                                         'ANTHROPIC_'))}
        self.env['OXIOS_HOME'] = self.dir
        self.env['OXIOS_OUROBOROS_MODE'] = 'never'
        self.env.update(env or {})
        with open(os.path.join(self.dir, 'config.toml'), 'w') as f:
            f.write('[memory]\ndream_interval_mins = 0\n' + config)

    def run(self, *args):
        r = subprocess.run([self.binary] + list(args), env=self.env,
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError('%s: %s' % (' '.join(args[:2]),
                                           r.stderr.strip()))
        return r.stdout

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def measure(binary, rows, k, config, env=None, fake=None, expand=False):
    """(recall@k, mean search ms per query) of one configuration."""
    home = Home(binary, config, env)
    try:
        ids = []
        for fact, _, _ in rows:
            ids.append(json.loads(home.run('memory', 'add', fact,
                                           '--json'))['id'])
        hit, spent = 0, 0.0
        for i, (_, query, expansion) in enumerate(rows):
            if expand and fake is not None:
                fake.load({'turns': [{'text': expansion}]})
            t0 = time.monotonic()
            out = home.run('memory', 'search', query, '--json',
                           '--limit', str(k))
            spent += time.monotonic() - t0
            found = [m['id'] for m in json.loads(out)][:k]
            hit += ids[i] in found
        return hit / len(rows), 1000.0 * spent / len(rows)
    finally:
        home.close()


def has_key(binary, key):
    """Whether this build knows a configuration key."""
    r = subprocess.run([binary, 'config', 'keys'], capture_output=True,
                       text=True)
    if r.returncode == 0:
        return key in r.stdout
    with open(os.path.join(ROOT, 'src', 'config', 'schema.c')) as f:
        return '"%s"' % key in f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bin', default=os.path.join(ROOT, 'build', 'oxios'))
    ap.add_argument('--data', default=os.path.join(ROOT, 'bench', 'recall',
                                                   'facts.tsv'))
    ap.add_argument('--k', type=int, default=5)
    ap.add_argument('--only', default='')
    a = ap.parse_args()
    rows = load(a.data)
    only = set(filter(None, a.only.split(',')))
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'fakes'))
    from fake_llm import FakeLLM

    print('%d facts, %d paraphrase queries, recall@%d, hybrid search, %s'
          % (len(rows), len(rows), a.k, os.path.relpath(a.bin, ROOT)))
    print('%-12s %10s %14s  %s' % ('row', 'recall@%d' % a.k,
                                   'ms/search*', 'configuration'))
    table = [
        ('tfidf', 'embedder = "tfidf"\n', False, False),
        ('local', 'embedder = "local"\n', False, False),
        ('api(fake)', 'embedder = "api"\nembedding_url = "{url}/v1"\n'
         'embedding_model = "fake-embed"\n', True, False),
        # The fake chat model answers each query with its expansion.
        ('expand+tfidf', 'embedder = "tfidf"\nquery_expansion = "on"\n',
         True, True),
        ('expand+local', 'embedder = "local"\nquery_expansion = "on"\n',
         True, True),
    ]
    for name, config, needs_fake, expand in table:
        if only and name not in only:
            continue
        if expand and not has_key(a.bin, 'memory.query_expansion'):
            print('%-12s %10s %14s  %s' % (name, 'n/a', '',
                  'no memory.query_expansion in this build'))
            continue
        fake, env = None, {}
        if needs_fake:
            fake = FakeLLM().start()
            env = {'OXIOS_EMBEDDING_API_KEY': KEY,
                   'OPENAI_BASE_URL': fake.url + '/v1',
                   'OPENAI_API_KEY': KEY,
                   'ANTHROPIC_BASE_URL': fake.url,
                   'ANTHROPIC_API_KEY': 'sk-ant-test-key-0123456789'}
        try:
            r, ms = measure(a.bin, rows, a.k,
                            config.replace('{url}', fake.url if fake
                                           else ''),
                            env, fake, expand)
        finally:
            if fake is not None:
                fake.stop()
        print('%-12s %10.3f %14.1f  %s' % (name, r, ms,
              config.strip().replace('\n', '; ').replace('{url}',
                                                          '<fake>')))
    print('* the whole `oxios memory search` process: start-up, opening '
          'the store, search')


if __name__ == '__main__':
    main()
