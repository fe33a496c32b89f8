#!/usr/bin/env python3
"""Open a novalite console URL in headless Chromium and wait for the guest.

  console-check.py [--screenshot FILE] [--timeout S] URL

Debian's /usr/bin/chromium driven by Playwright (tools/install-browser.sh
installs both), the way the browser tests drive it. Passes (exit 0) when
noVNC says "Connected", the server name names QEMU and the console canvas
shows the guest's screen (more than 100 pixels unlike its top-left one);
prints what it saw either way. tools/fresh-machine-check.sh runs it in the
fresh machine's network namespace, where the URL's 127.0.0.1 is.
"""

import argparse
import sys
import tempfile
import time

CHROMIUM = '/usr/bin/chromium'
BROWSER_ARGS = ['--no-sandbox', '--disable-gpu',
                '--disable-background-networking']
# pixels of the canvas that differ from its top-left one; -1: no canvas
CANVAS_INK = '''() => {
    const canvas = document.querySelector('#screen canvas');
    if (!canvas || !canvas.width || !canvas.height) { return -1; }
    const data = canvas.getContext('2d')
        .getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (data[i] !== data[0] || data[i + 1] !== data[1] ||
                data[i + 2] !== data[2]) { ink++; }
    }
    return ink;
}'''


def check(url, screenshot, timeout):
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory(prefix='console-check-') as profile, \
            sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True,
            args=BROWSER_ARGS, viewport={'width': 1024, 'height': 640})
        try:
            page = context.new_page()
            page.goto(url, timeout=timeout * 1000)
            deadline = time.monotonic() + timeout
            status = ink = ''
            while time.monotonic() < deadline:
                status = page.locator('#status').inner_text()
                ink = page.evaluate(CANVAS_INK)
                if status == 'Connected' and ink > 100:
                    break
                time.sleep(0.5)
            name = page.locator('#name').inner_text()
            if screenshot:
                page.screenshot(path=screenshot)
        finally:
            context.close()
    print('status: %s\nname: %s\nink: %s' % (status, name, ink))
    return status == 'Connected' and ink > 100 and 'QEMU' in name


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('url')
    parser.add_argument('--screenshot', help='PNG of the page at the end')
    parser.add_argument('--timeout', type=float, default=90)
    args = parser.parse_args()
    return 0 if check(args.url, args.screenshot, args.timeout) else 1


if __name__ == '__main__':
    sys.exit(main())
