"""X-Oxios-Phase: every request to a provider says what it is for, and
llm_calls records the same phase (an `oxios run` outside Ouroboros is
"chat"), for both wire formats."""
import os
import sqlite3

import pytest


@pytest.mark.parametrize('provider,model,path', [
    ('openai', 'gpt-4.1', '/chat/completions'),
    ('anthropic', 'claude-sonnet-4-5', '/messages'),
])
def test_run_says_chat(llm, provider, model, path):
    os.makedirs(os.path.join(llm.home, 'workspace'), exist_ok=True)
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "%s/%s"\n' % (provider, model))
    llm.fake.load({'turns': [
        {'tool_calls': [{'id': 'c1', 'name': 'ls', 'arguments': {}}]},
        {'text': 'Done.'}]})
    r = llm.run('run', 'list the workspace', timeout=60)
    assert r.returncode == 0, r.stderr
    reqs = [q for q in llm.fake.requests() if q['path'].endswith(path)]
    assert len(reqs) == 2
    for q in reqs:
        assert q['headers'].get('x-oxios-phase') == 'chat', q['headers']
    db = sqlite3.connect(os.path.join(llm.home, 'oxios.db'))
    rows = db.execute('SELECT kind, phase FROM llm_calls').fetchall()
    db.close()
    assert rows == [('chat', 'chat'), ('chat', 'chat')]
