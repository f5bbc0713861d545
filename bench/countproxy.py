#!/usr/bin/env python3
"""countproxy.py LISTEN_PORT TARGET_HOST TARGET_PORT LOG

A byte-counting TCP relay (no TLS termination: it counts what goes over the wire, TLS
included). For every closed client connection it appends "up down" (bytes client->server,
server->client) to LOG. Runs until SIGTERM."""
import selectors, signal, socket, sys, threading

def relay(client, target, log):
    up = down = 0
    try:
        server = socket.create_connection(target)
    except OSError:
        client.close()
        return
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, server)
    sel.register(server, selectors.EVENT_READ, client)
    open_ = 2
    try:
        while open_:
            for key, _ in sel.select():
                src, dst = key.fileobj, key.data
                data = src.recv(65536)
                if not data:
                    sel.unregister(src)
                    open_ -= 1
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                dst.sendall(data)
                if src is client:
                    up += len(data)
                else:
                    down += len(data)
    except OSError:
        pass
    finally:
        client.close()
        server.close()
        with open(log, "a") as f:
            f.write(f"{up} {down}\n")

def main():
    port, host, tport, log = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=relay, args=(c, (host, tport), log), daemon=True).start()

if __name__ == "__main__":
    main()
