#!/usr/bin/python3
"""The demo in a real browser.

Headless Chromium, driven through WebDriver (Debian's chromium,
chromium-driver and python3-selenium), signs in to the demo's account page
(docs/demo/run start, on ports of its own), clicks its three buttons and
checks where each click lands, what the provider stand-in received and
what the browser saw; then opens another site's page (another port) that
loads an <img> from "keep my subscription" and posts a form there with
the session cookie, and checks that nginx refused both and the stand-in
received nothing; then, with the stand-in stopped, that "Cancel
subscription" lands on the direct-cancel page.  A screenshot of each
landing page goes to build/browser/.  Prints a line per check and
"N passed, N failed"; exits 1 on a failure.  Run by "make browser-test".
"""

import base64
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(TOP, 'build', 'browser')
DEMO = os.path.join(OUT, 'demo')

# not the demo's 19850-19852, so that a demo kept up for a person
# (DEMO_KEEP=1 make demo) does not stand in the way
PORT, STANDIN_PORT, TLS_PORT, OTHER_PORT = 19853, 19854, 19855, 19856
APP = f'http://127.0.0.1:{PORT}'
OTHER = f'http://127.0.0.1:{OTHER_PORT}'
PROVIDER = f'https://127.0.0.1:{TLS_PORT}'

RETENTION = '/precancel'
PRE_CANCEL = '/api/v2/hosted_pages/pre_cancel'
KEEP = '/api/v2/subscriptions/sub_demo_42/remove_scheduled_cancellation'


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, ok, what, detail=''):
        if ok:
            self.passed += 1
            print(f'ok - {what}')
        else:
            self.failed += 1
            print(f'not ok - {what}' + (f': {detail}' if detail else ''))
        return ok


def start_demo():
    """docs/demo/run start, once it says it is ready."""
    env = dict(os.environ, DEMO_DIR=DEMO, DEMO_PORT=str(PORT),
               DEMO_STANDIN_PORT=str(STANDIN_PORT),
               DEMO_TLS_PORT=str(TLS_PORT), DEMO_OTHER_PORT=str(OTHER_PORT))
    demo = subprocess.Popen(['sh', os.path.join(TOP, 'docs/demo/run'),
                             'start'], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    for line in demo.stdout:
        if line.startswith('demo ready'):
            return demo
        print(line, end='')
    sys.exit('the demo did not start')


def spki_hash(cert):
    """Base64 SHA-256 of the certificate's public key, the form
    --ignore-certificate-errors-spki-list takes."""
    pem = subprocess.run(['openssl', 'x509', '-in', cert, '-pubkey',
                          '-noout'], check=True, capture_output=True).stdout
    der = subprocess.run(['openssl', 'pkey', '-pubin', '-outform', 'der'],
                         input=pem, check=True, capture_output=True).stdout
    digest = subprocess.run(['openssl', 'dgst', '-sha256', '-binary'],
                            input=der, check=True,
                            capture_output=True).stdout
    return base64.b64encode(digest).decode()


def chromium():
    profile = os.path.join(OUT, 'profile')
    shutil.rmtree(profile, ignore_errors=True)
    opts = webdriver.ChromeOptions()
    opts.binary_location = '/usr/bin/chromium'
    for arg in ('--headless', '--no-sandbox', '--disable-gpu',
                '--disable-quic', '--no-first-run',
                '--disable-background-networking',
                '--disable-component-update', '--disable-sync',
                '--window-size=900,720', '--user-data-dir=' + profile,
                # the provider pages' self-signed certificate, and only
                # it: any other certificate error still stops the page
                '--ignore-certificate-errors-spki-list='
                + spki_hash(os.path.join(DEMO, 'tls.crt'))):
        opts.add_argument(arg)
    # Debian's driver, named, so that Selenium looks for nothing online
    return webdriver.Chrome(service=Service('/usr/bin/chromedriver'),
                            options=opts)


def standin_log():
    with open(os.path.join(DEMO, 'standin.log')) as f:
        return [json.loads(line) for line in f]


def secrets():
    """The test keys' contents, and the Billing keys also in the Basic
    credential they travel in."""
    found = []
    for path in glob.glob(os.path.join(TOP, 't', 'keys', '*.key')):
        with open(path) as f:
            key = f.readline().strip()
        if key:
            found.append(key)
            found.append(base64.b64encode((key + ':').encode()).decode())
    return found


class Browser:
    """Chromium on the demo, keeping the source of every page it saw."""

    def __init__(self, driver):
        self.driver = driver
        self.pages = []

    def settle(self):
        WebDriverWait(self.driver, 10).until(
            lambda d: d.execute_script('return document.readyState')
            == 'complete')
        self.pages.append((self.driver.current_url,
                           self.driver.page_source))

    def open(self, url):
        self.driver.get(url)
        self.settle()

    def click(self, element_id):
        """Clicks on the page, waits for the next one; its URL.  The
        next page may have the same URL (sign-in), so what is waited for
        is the old document going away."""
        old = self.driver.find_element(By.TAG_NAME, 'html')
        self.driver.find_element(By.ID, element_id).click()
        WebDriverWait(self.driver, 10).until(staleness_of(old))
        self.settle()
        return self.driver.current_url

    def text(self, element_id):
        found = self.driver.find_elements(By.ID, element_id)
        return found[0].text if found else ''

    def screenshot(self, name):
        path = os.path.join(OUT, name + '.png')
        self.driver.save_screenshot(path)
        return path


def button(browser, check, element_id, landing, calls):
    """From the account page, a click on a button: it must land on a URL
    matching landing, and the stand-in must have received exactly the
    calls (paths) listed, each verified.  The landing page's id (the
    worker pid and count the stand-in put into its URL) or None."""
    browser.open(APP + '/account')
    seen = len(standin_log())
    url = browser.click(element_id)
    m = re.fullmatch(landing, url)
    check(m, f'"{element_id}" lands on {url}', f'not {landing}')
    new = standin_log()[seen:]
    check([(r['path'], r['verdict']) for r in new]
          == [(path, 'ok') for path in calls],
          f'"{element_id}": the stand-in verified {calls or "nothing"}',
          [(r['path'], r['verdict']) for r in new])
    if m and m.groups():
        # the URL the browser followed is one this click's call got
        check(bool(new) and str(new[0]['pid']) == m.group(1).split('-')[0],
              f'"{element_id}": the landing URL came from that call')
        return m.group(1)
    return None


def other_site(browser, check):
    """Another site's page, with the customer signed in at the app: its
    <img> at "keep my subscription" and its form that posts itself there
    carry the session cookie; nginx must refuse both and the stand-in
    receive no call."""
    seen = len(standin_log())
    with open(os.path.join(DEMO, 'access.log')) as f:
        logged = len(f.readlines())
    browser.driver.get(OTHER + '/')
    WebDriverWait(browser.driver, 10).until(
        lambda d: d.current_url == APP + '/billing/keep')
    browser.settle()
    check('403 Forbidden' in browser.driver.page_source,
          'another site\'s form POST to "keep" gets 403',
          browser.driver.current_url)
    print('# screenshot', browser.screenshot('other-site-refused'))
    time.sleep(0.5)
    check(standin_log()[seen:] == [],
          'another site\'s <img> and form made no call to the provider',
          standin_log()[seen:])
    with open(os.path.join(DEMO, 'access.log')) as f:
        lines = f.readlines()[logged:]
    check(any('"GET /billing/keep HTTP/1.1" 405 '
              'precancel=method_not_allowed' in l for l in lines),
          'the <img> (a GET) got 405, method_not_allowed', lines)
    check(any('"POST /billing/keep HTTP/1.1" 403 precancel=cross_origin'
              in l for l in lines),
          'the form POST got 403, cross_origin', lines)
    with open(os.path.join(DEMO, 'error.log')) as f:
        errors = f.read()
    check('precancel refused: cross-origin request: Sec-Fetch-Site is not '
          'same-origin (Sec-Fetch-Site "same-site"' in errors,
          'nginx logged why it refused the POST')


def stop_standin():
    """Stops the stand-in docs/demo/run started for this test, and waits
    until it is gone (it removes its pid file last)."""
    pid_file = os.path.join(DEMO, 'standin.pid')
    with open(pid_file) as f:
        os.kill(int(f.read()), signal.SIGTERM)
    deadline = time.time() + 10
    while os.path.exists(pid_file) and time.time() < deadline:
        time.sleep(0.1)


def run(check, browser):
    os.makedirs(OUT, exist_ok=True)
    browser.open(APP + '/account')
    check('Sign in' in browser.driver.title,
          'without a session the account page asks to sign in')
    browser.click('login')
    check(browser.driver.current_url == APP + '/account'
          and browser.text('subscription') == 'sub_demo_42',
          'signing in lands on the account page',
          browser.driver.current_url)
    cookie = browser.driver.get_cookie('session') or {}
    check(cookie.get('value') == 'demo' and cookie.get('httpOnly'),
          'the session cookie is set, HttpOnly', cookie)

    session = button(browser, check, 'cancel',
                     re.escape(PROVIDER) + r'/session/([0-9]+-[0-9]+)',
                     [RETENTION])
    check(session and f'Chargebee Retention session {session}: '
          "we're sorry to see you go" in browser.text('session'),
          '"cancel" shows the Retention session page', browser.text('session'))
    print('# screenshot', browser.screenshot('session-page'))

    page = button(browser, check, 'billing-cancel',
                  re.escape(PROVIDER) + r'/pages/v3/([0-9]+-[0-9]+)/',
                  [PRE_CANCEL])
    check(page and f'Chargebee Billing hosted page {page}'
          in browser.text('hosted-page'),
          '"billing-cancel" shows the pre_cancel hosted page',
          browser.text('hosted-page'))
    print('# screenshot', browser.screenshot('hosted-page'))

    button(browser, check, 'keep', re.escape(APP + '/account?kept=1'), [KEEP])
    check('Your subscription continues' in browser.text('kept'),
          '"keep" shows the account page with its notice')
    print('# screenshot', browser.screenshot('kept'))

    other_site(browser, check)

    log = standin_log()
    check(all('cookie' not in r['headers'] for r in log)
          and 'session=demo' not in json.dumps(log),
          f'no cookie in any of the {len(log)} requests the stand-in '
          'received')

    stop_standin()
    button(browser, check, 'cancel',
           re.escape(APP + '/account/cancel/direct'), [])
    check('the fallback' in browser.text('fallback'),
          'with the stand-in stopped "cancel" shows the direct-cancel page')
    with open(os.path.join(DEMO, 'error.log')) as f:
        errors = f.read()
    check('precancel failed: provider request to "/_precancel" failed '
          'with 502, redirecting to fallback' in errors,
          'nginx logged why it sent the browser to the fallback')
    check('[alert]' not in errors and '[crit]' not in errors,
          'no [alert] or [crit] in the demo nginx\'s error log')
    print('# screenshot', browser.screenshot('direct-cancel'))

    leaked = [(url, s[:8] + '...') for url, source in browser.pages
              for s in secrets() if s in source]
    check(not leaked, f'no key in the {len(browser.pages)} pages the '
          'browser saw (private keys, Billing API key)', leaked)


def main():
    started = time.time()
    check = Checks()
    demo = start_demo()
    try:
        driver = chromium()
        try:
            run(check, Browser(driver))
        except Exception as e:      # a page that never came, say
            check(False, 'the run went to its end', repr(e))
        finally:
            driver.quit()
    finally:
        demo.terminate()
        demo.wait()
    print(f'# browser test: {time.time() - started:.1f} s')
    print(f'{check.passed} passed, {check.failed} failed')
    sys.exit(1 if check.failed else 0)


if __name__ == '__main__':
    main()
