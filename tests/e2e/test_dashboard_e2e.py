"""The dashboard in Debian's chromium: sign-in, chat (a streamed answer
with a tool call, cancel), a lost and regained connection."""
from conftest import scenario


def test_signin(dash):
    scenario(dash, 'signin')


def test_chat(dash):
    scenario(dash, 'chat')


def test_reconnect(dash):
    scenario(dash, 'reconnect')
