import time
from test_http_hostile import ws_key, sock_connect, frame, read_head, WsReader

def test_race_handshake_packet(daemon):
    for i in range(60):
        key = ws_key()
        req = ('GET /api/chat/stream HTTP/1.1\r\nHost: x\r\n'
               'Upgrade: websocket\r\nConnection: Upgrade\r\n'
               'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n'
               'Authorization: Bearer %s\r\n\r\n' % (key, daemon.token))
        s = sock_connect(daemon)
        s.sendall(req.encode() + frame(0x1, b'hi', mask=False))
        st, h, rest = read_head(s)
        ws = WsReader(s, rest)
        try:
            ws.close_code()
            ws.expect_eof()
        except Exception as e:
            print(i, e)
        ws.close()
        if daemon.proc.poll() is not None:
            print('died at', i); break
