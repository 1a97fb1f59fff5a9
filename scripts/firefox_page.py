#!/usr/bin/env python3
"""Loads a page of `milkyway serve` in headless Firefox and saves a screenshot, through
Firefox's Marionette protocol (no driver to install: the browser speaks it on a TCP port).

usage: scripts/firefox_page.py URL OUT.png [--firefox BINARY] [--timeout S]

Waits until the page reports its three density maps drawn and its overview ready
(`window.explorer`), checks that every map image decoded (naturalWidth > 0), prints what the
page shows (JSON: maps drawn, overview points, time to the first map) and writes the
screenshot. Exit status 1 when the page does not get there or reports an error.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


class Marionette:
    """The few commands of Marionette's protocol: messages `LEN:JSON`, requests
    `[0, id, command, params]`, answers `[1, id, error, result]`."""

    def __init__(self, port, timeout):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        self.buf = b""
        self.id = 0
        self.recv()  # the greeting: {"applicationType": "gecko", "marionetteProtocol": 3}

    def recv(self):
        while b":" not in self.buf:
            self.buf += self.sock.recv(65536)
        n, _, rest = self.buf.partition(b":")
        n = int(n)
        while len(rest) < n:
            rest += self.sock.recv(65536)
        self.buf = rest[n:]
        return json.loads(rest[:n])

    def call(self, command, params=None):
        self.id += 1
        msg = json.dumps([0, self.id, command, params or {}]).encode()
        self.sock.sendall(str(len(msg)).encode() + b":" + msg)
        while True:
            _, mid, err, result = self.recv()
            if mid == self.id:
                if err:
                    raise RuntimeError(f"{command}: {err}")
                return result

    def script(self, body):
        return self.call("WebDriver:ExecuteScript", {"script": body, "args": []})["value"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--firefox", default=shutil.which("firefox-esr") or shutil.which("firefox") or "firefox")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    port = 28000 + os.getpid() % 1000
    profile = tempfile.mkdtemp(prefix="firefox-page-")
    with open(os.path.join(profile, "user.js"), "w") as f:
        f.write(f'user_pref("marionette.port", {port});\n')
        f.write('user_pref("browser.shell.checkDefaultBrowser", false);\n')
        f.write('user_pref("datareporting.policy.dataSubmissionEnabled", false);\n')
    env = dict(os.environ, MOZ_HEADLESS="1", MOZ_HEADLESS_WIDTH="1100", MOZ_HEADLESS_HEIGHT="950")
    ff = subprocess.Popen([a.firefox, "--headless", "--marionette", "--no-remote", "--profile", profile],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        m = Marionette(port, a.timeout)
        m.call("WebDriver:NewSession", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        m.call("WebDriver:SetWindowRect", {"width": 1100, "height": 950})
        m.call("WebDriver:Navigate", {"url": a.url})
        deadline = time.time() + a.timeout
        state = None
        while time.time() < deadline:
            state = m.script("""
                const ex = window.explorer || {};
                const imgs = [...document.querySelectorAll('.view img')];
                return { ready: !!ex.ready, images: ex.images || 0, firstPicture: ex.firstPicture,
                         overviewPoints: ex.overviewPoints || 0,
                         decoded: imgs.filter((i) => i.complete && i.naturalWidth > 0).length,
                         error: (document.getElementById('error') || {}).textContent || '',
                         totals: (document.getElementById('totals') || {}).textContent || '',
                         userAgent: navigator.userAgent };""")
            if state["ready"] and state["images"] >= 3:
                break
            time.sleep(0.2)
        time.sleep(0.5)  # let the 3-D overview paint
        png = base64.b64decode(m.call("WebDriver:TakeScreenshot", {"full": False})["value"])
        with open(a.out, "wb") as f:
            f.write(png)
        state["screenshot_bytes"] = len(png)
        print(json.dumps(state))
        ok = state["ready"] and state["decoded"] == 3 and state["overviewPoints"] > 0 and not state["error"]
        m.call("WebDriver:DeleteSession")
        return 0 if ok else 1
    finally:
        ff.terminate()
        try:
            ff.wait(10)
        except subprocess.TimeoutExpired:
            ff.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
