"""oxios chat: turns in one session, meta-commands, and on a terminal,
Ctrl-C cancelling the answer in progress without leaving the chat."""
import os
import sqlite3
import time

import pytest

from conftest import BIN, Terminal


@pytest.fixture
def chat(llm):
    llm.write_config('[engine]\nretry_base_ms = 20\n'
                     'default_model = "openai/gpt-4.1"\n'
                     '[exec]\nallowlist = ["sleep", "ls"]\n')
    return llm


def test_piped_turns_share_a_session(chat):
    chat.fake.load({'turns': [{'text': 'Hi there.'},
                              {'text': 'You said hello first.'}]})
    r = chat.run('chat', stdin='hello\n.session\nwhat did I say?\n.quit\n')
    assert r.returncode == 0, r.stderr
    assert 'Hi there.\n' in r.stdout
    assert 'You said hello first.\n' in r.stdout
    assert 'session ' in r.stdout
    msgs = [q for q in chat.fake.requests()
            if q['path'].endswith('/completions')][-1]['body']['messages']
    assert [m['content'] for m in msgs if m['role'] == 'user'] == [
        'hello', 'what did I say?']
    db = sqlite3.connect(os.path.join(chat.home, 'oxios.db'))
    assert db.execute('SELECT COUNT(*) FROM sessions').fetchone()[0] == 1
    db.close()


def test_meta_commands(chat):
    chat.fake.load({'turns': [{'text': 'one'}, {'text': 'two'}]})
    r = chat.run('chat', stdin='.help\n.model\n.model local\n'
                 '.model openai/gpt-4.1-mini\nfirst\n.reset\nsecond\n'
                 '.bogus\n')
    assert r.returncode == 0
    assert '/reset' in r.stdout and '/quit' in r.stdout
    assert 'model openai/gpt-4.1\n' in r.stdout
    assert 'a model is provider/model' in r.stdout
    assert 'model openai/gpt-4.1-mini\n' in r.stdout
    assert 'unknown command .bogus' in r.stdout
    reqs = [q for q in chat.fake.requests()
            if q['path'].endswith('/completions')]
    assert reqs[0]['body']['model'] == 'gpt-4.1-mini'
    # After .reset, the second message starts a new conversation.
    assert [m['content'] for m in reqs[1]['body']['messages']
            if m['role'] == 'user'] == ['second']
    db = sqlite3.connect(os.path.join(chat.home, 'oxios.db'))
    assert db.execute('SELECT COUNT(*) FROM sessions').fetchone()[0] == 2
    db.close()


def test_ctrl_c_cancels_the_answer_not_the_chat(chat):
    chat.fake.load({'turns': [
        {'tool_calls': [{'id': 'c1', 'name': 'exec', 'arguments': {
            'mode': 'structured', 'binary': 'sleep', 'args': ['33.75']}}]},
        {'text': 'Still here.'}]})
    with Terminal([BIN, 'chat'], dict(chat.env, TERM='dumb')) as t:
        t.expect('you> ')
        t.send('sleep please')
        t.expect('-> exec')
        time.sleep(0.3)
        t.interrupt()
        t.expect('[cancelled]')
        t.expect('you> ', since=t.out.index(b'[cancelled]'))
        t.send('are you there?')
        t.expect('Still here.')
        t.send('.quit')
        assert t.wait() == 0
