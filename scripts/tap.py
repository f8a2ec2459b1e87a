#!/usr/bin/python3
"""Turn a TAP stream (GLib's --tap output) into PASS/FAIL/SKIP lines.

Usage: tap.py NAME EXIT_STATUS < tap-output
A test program that dies, or that runs fewer tests than its plan, fails as
a whole on top of the cases it reported.
"""
import re
import sys


def main():
    name, status = sys.argv[1], int(sys.argv[2])
    plan = None
    seen = 0
    failed = 0
    for line in sys.stdin:
        line = line.rstrip('\n')
        m = re.match(r'^1\.\.(\d+)', line)
        if m:
            plan = int(m.group(1))
            continue
        m = re.match(r'^(not ok|ok)\b\s*\d*\s*-?\s*(.*)$', line)
        if not m:
            continue
        seen += 1
        ok, desc = m.group(1) == 'ok', m.group(2)
        skip = re.search(r'#\s*SKIP\b', desc, re.I)
        desc = re.sub(r'\s*#.*$', '', desc)
        if ok and skip:
            print(f'SKIP: {name} {desc}')
        elif ok:
            print(f'PASS: {name} {desc}')
        else:
            print(f'FAIL: {name} {desc}')
            failed += 1
    if status != 0 and failed == 0:
        print(f'FAIL: {name} exited with status {status}')
    elif plan is not None and seen < plan:
        print(f'FAIL: {name} ran {seen} of {plan} planned tests')
    elif seen == 0:
        print(f'FAIL: {name} ran no test')


if __name__ == '__main__':
    main()
