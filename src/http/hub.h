/*
 * hub.h — the WebSocket hub: one thread, epoll, every upgraded socket.
 *
 * The hub reads frames (ws.c), answers pings, follows the close handshake,
 * and hands each text message to the connection's handler on the hub
 * thread (which must not block: it starts work elsewhere).  Any thread may
 * send on a connection: the text is framed into the connection's output
 * buffer and the hub writes it when the socket can take it.  A client that
 * does not read (its buffer passes HUB_MAX_PENDING) is closed with 1008.
 */
#ifndef OXIOS_HTTP_HUB_H
#define OXIOS_HTTP_HUB_H

#include <stddef.h>

#define HUB_MAX_PENDING (8 * 1024 * 1024)
#define HUB_PING_SECS 30 /* a ping after this long without traffic */
#define HUB_IDLE_SECS 90 /* closed after this long without any frame */

struct hub_conn;
struct MHD_UpgradeResponseHandle;

struct hub_handlers {
	void (*open)(struct hub_conn *c, void *arg);
	void (*text)(struct hub_conn *c, const char *s, size_t n, void *arg);
	void (*close)(struct hub_conn *c, void *arg); /* once, at the end */
	void *arg;
};

/* Start the hub thread.  0, or -1 with *cause. */
int hub_start(size_t max_message, char **cause);
/* Close every connection (1001 going away) and stop the thread. */
void hub_stop(void);
/*
 * Take an upgraded socket (from libmicrohttpd's upgrade callback) with the
 * bytes already read past the handshake.  Returns 0, or -1 (the socket is
 * then closed through urh).
 */
int hub_add(int sock, struct MHD_UpgradeResponseHandle *urh, const char *extra,
    size_t extra_len, const struct hub_handlers *h);
/* Send a text message.  Any thread.  0, or -1 if the connection is gone
 * or too far behind. */
int hub_send(struct hub_conn *c, const char *text, size_t len);
/* Start the close handshake.  Any thread. */
void hub_close(struct hub_conn *c, int code, const char *reason);
/* Keep c alive across threads; drop with hub_unref(). */
void hub_ref(struct hub_conn *c);
void hub_unref(struct hub_conn *c);
/* How many connections are open. */
int hub_count(void);

#endif
