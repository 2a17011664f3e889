#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and answers its prompts, as a person
typing would.  usage: pty_drive.py SCRIPT LOG -- COMMAND...

SCRIPT is JSON: a list of [PATTERN, ANSWER].  Each PATTERN (a Python regex)
must appear in the output after the previous one's match; then ANSWER is
typed followed by Enter.  ANSWER null types nothing (the pattern is only
awaited); "<browser>" plays the browser: it follows the last http(s) URL
the pattern matched with curl until the command's callback listener takes the redirect.
Everything the terminal showed (echoed typing included) goes to LOG.  Exits
with the command's status, or 90 when a pattern did not appear in time."""
import json
import os
import pty
import re
import select
import subprocess
import sys
import time

TIMEOUT = 60


def main():
    script = json.load(open(sys.argv[1]))
    log_path = sys.argv[2]
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    seen = b""
    pos = 0
    status = None

    def pump(timeout):  # None: nothing yet; False: the terminal closed
        nonlocal seen
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return None
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
        return True

    for pattern, answer in script:
        rx = re.compile(pattern.encode(), re.M)
        deadline = time.time() + TIMEOUT
        m = rx.search(seen, pos)
        while not m and time.time() < deadline:
            if pump(0.2) is False:
                break
            m = rx.search(seen, pos)
        if not m:
            sys.stderr.write("pattern not seen: %r\n" % pattern)
            status = 90
            break
        pos = m.end()
        if answer == "<browser>":
            url = re.findall(rb"https?://\S+", m.group(0))[-1].decode()
            for _ in range(300):
                if subprocess.call(["curl", "-s", "-L", "-o", "/dev/null", url]) == 0:
                    break
                time.sleep(0.1)
        elif answer is not None:
            os.write(fd, answer.encode() + b"\r")
    deadline = time.time() + (TIMEOUT if status is None else 1)
    while time.time() < deadline and pump(0.2) is not False:
        pass
    if status is None:
        _, st = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(st)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    with open(log_path, "wb") as f:
        f.write(seen)
    sys.exit(status if status >= 0 else 128 - status)


main()
