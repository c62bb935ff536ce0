# Build the module against Debian's nginx source (package nginx-dev, with
# the configure flags Debian used, so /usr/sbin/nginx loads the .so) or
# against another nginx tree: make NGINX_SRC=/path/to/nginx-1.22.1

MAKEFLAGS   += --no-print-directory

NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
BUILD       ?= $(CURDIR)/build
CC          ?= cc
PROVE       ?= prove
# Debian's, which python3-selenium serves (not a python3 earlier in PATH)
PYTHON      ?= /usr/bin/python3
WARN_FLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter
CC_OPT      ?= -g -O2 -fstack-protector-strong -fPIC $(WARN_FLAGS)
LD_OPT      ?= -Wl,-z,relro -Wl,-z,now
SANITIZE     = -fsanitize=address,undefined -fno-omit-frame-pointer

MODULE       = $(BUILD)/nginx/objs/ngx_http_precancel_module.so
SRCS         = $(wildcard $(CURDIR)/src/*.c) $(wildcard $(CURDIR)/src/*.h)
UNIT_TESTS   = $(BUILD)/unit/test_codec $(BUILD)/unit/test_form \
               $(BUILD)/unit/test_hmac $(BUILD)/unit/test_json \
               $(BUILD)/unit/test_url $(BUILD)/unit/test_webhook_scheme \
               $(BUILD)/unit/test_origin \
               $(BUILD)/unit/test_redact

# the pure sources each unit test is linked with
UNIT_SRCS_codec   = src/ngx_edge_codec.c
UNIT_SRCS_form    = src/ngx_http_precancel_form.c
UNIT_SRCS_hmac    = src/ngx_edge_hmac.c $(UNIT_SRCS_codec)
UNIT_SRCS_json    = src/ngx_http_precancel_json.c
UNIT_SRCS_url     = src/ngx_http_precancel_url.c
UNIT_SRCS_origin  = src/ngx_http_precancel_origin.c
UNIT_SRCS_redact  = src/ngx_http_precancel_redact.c
UNIT_SRCS_webhook_scheme = src/ngx_http_webhook_verify_scheme.c \
                           $(UNIT_SRCS_hmac)

# Test::Nginx starts nginx as a daemon, whose parent is then PID 1, and
# waits (kill 0) until it is gone after each block: where PID 1 reaps its
# orphans only now and then (about once a second on some VMs), every block
# waited for that.  tini -s makes the test run itself the reaper of the
# nginx it starts (make deps installs it; without it the suite only runs
# slower).
REAP         ?= $(shell command -v tini >/dev/null 2>&1 && echo tini -s --)

# Test::Nginx from CPAN when it is installed, else the project's runner
TEST_NGINX_INC = $(shell perl -MTest::Nginx::Socket -e1 2>/dev/null \
                   || echo -I$(CURDIR)/t/compat)

export TEST_NGINX_BINARY ?= $(NGINX_BIN)
export TEST_NGINX_LOAD_MODULES ?= $(MODULE)

.PHONY: all module deps deps-bench deps-deb deps-browser deb package-test \
        browser-test unit unit-asan asan fuzz check test t demo bench \
        bench-paired bench-callgrind bench-memory bench-webhook soak \
        clean

all: module

module: $(MODULE)

deps:
	sh $(CURDIR)/.ci/deps

deps-bench:
	sh $(CURDIR)/.ci/deps bench

deps-deb:
	sh $(CURDIR)/.ci/deps deb

deps-browser:
	sh $(CURDIR)/.ci/deps browser

# Debian's recipe: a build tree that links to the source, its conf_flags,
# --with-compat, and "make modules" only.  A source tree without
# conf_flags (nginx.org's release tarball, or a git checkout, which has
# auto/configure only): --with-compat, plus --with-http_ssl_module (the
# TLS checks) and --with-debug (the module's own debug lines) when
# $(NGINX_BIN), the nginx that will load the module, was built with them.
$(BUILD)/nginx/objs/Makefile: config
	rm -rf $(BUILD)/nginx && mkdir -p $(BUILD)/nginx
	for f in auto src configure conf docs man html; do \
	    if [ -e $(NGINX_SRC)/$$f ]; then \
	        ln -s $(NGINX_SRC)/$$f $(BUILD)/nginx/$$f; fi; done
	flags=""; if [ -f $(NGINX_SRC)/conf_flags ]; then \
	    flags=$$(bash -c '. $(NGINX_SRC)/conf_flags; \
	                      printf "%s\n" "$${NGX_CONF_FLAGS[@]}"'); \
	else \
	    flags=$$($(NGINX_BIN) -V 2>&1 | tr ' ' '\n' | sort -u \
	             | grep -x -e --with-debug -e --with-http_ssl_module); \
	fi; \
	conf=./configure; [ -e $(NGINX_SRC)/configure ] || conf=auto/configure; \
	cd $(BUILD)/nginx && IFS=' \
' && $$conf $$flags --with-compat --with-cc-opt='$(CC_OPT)' \
	    --with-ld-opt='$(LD_OPT)' \
	    --add-dynamic-module=$(CURDIR) > configure.log \
	    || { cat configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/objs/Makefile $(SRCS)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules

# $$* below: the test's stem, expanded a second time for its sources
.SECONDEXPANSION:
$(BUILD)/unit/test_%: t/unit/test_%.c $$(UNIT_SRCS_$$*) \
                      $$(patsubst %.c,%.h,$$(UNIT_SRCS_$$*)) t/unit/tap.h
	@mkdir -p $(BUILD)/unit
	$(CC) -std=c99 -g -O1 $(WARN_FLAGS) -Isrc -It/unit -o $@ \
	    t/unit/test_$*.c $(UNIT_SRCS_$*) -lcrypto

unit: $(UNIT_TESTS)
	$(PROVE) --exec '' $(UNIT_TESTS)

# the unit tests again, built with AddressSanitizer and UBSan
unit-asan:
	$(MAKE) unit BUILD=$(BUILD)/asan \
	    CC='$(CC) $(SANITIZE) -fno-sanitize-recover=all'

# the whole Test::Nginx suite against the module built with ASan and UBSan
# (loaded into Debian's nginx through t/lib/nginx-asan); any report fails
asan:
	$(MAKE) module BUILD=$(BUILD)/asan LD_OPT='$(SANITIZE)' \
	    CC_OPT='-g -O1 -fPIC $(SANITIZE) $(WARN_FLAGS)'
	rm -rf $(BUILD)/asan/reports && mkdir -p $(BUILD)/asan/reports
	PRECANCEL_ASAN_DIR=$(BUILD)/asan/reports \
	TEST_NGINX_BINARY=$(CURDIR)/t/lib/nginx-asan \
	TEST_NGINX_LOAD_MODULES=$(BUILD)/asan/nginx/objs/ngx_http_precancel_module.so \
	    $(REAP) $(PROVE) $(TEST_NGINX_INC) t/
	@if ls $(BUILD)/asan/reports | grep -q .; then \
	    cat $(BUILD)/asan/reports/*; \
	    echo "sanitizer reports in $(BUILD)/asan/reports"; exit 1; fi
	@echo "asan: no AddressSanitizer or UBSan report"

# the Test::Nginx suite; each file searches the logs of every nginx it
# started for the keys (t/lib/PrecancelTest.pm), kept in $(BUILD)/sweep
t: module
	rm -rf $(BUILD)/sweep && mkdir -p $(BUILD)/sweep
	PRECANCEL_SWEEP_DIR=$(BUILD)/sweep $(REAP) $(PROVE) $(TEST_NGINX_INC) t/

# short fuzzing runs; "t/fuzz/run 600" (FUZZ_SECONDS=600) for a long one
FUZZ_SECONDS ?= 20

fuzz:
	sh $(CURDIR)/t/fuzz/run $(FUZZ_SECONDS)

# the daily loop: no root, no browser, no package installed (make deps
# once, as root, brings what it needs)
check: module
	$(MAKE) unit
	$(MAKE) t

# everything, for CI.  The Test::Nginx suite mostly waits (timeouts,
# slow providers), the fuzzers keep one core busy: on two cores they run
# side by side, each target's output kept together.
test: deps
	$(MAKE) module
	$(MAKE) unit
	$(MAKE) -j2 --output-sync=target unit-asan fuzz t \
	    FUZZ_SECONDS=$${FUZZ_SECONDS:-10}
	$(MAKE) browser-test

# the demo clicked through in headless Chromium (t/browser/test_demo.py)
browser-test: deps-browser module
	$(PYTHON) $(CURDIR)/t/browser/test_demo.py

demo: deps module
	sh $(CURDIR)/docs/demo/run

# the benchmarks time the module this Makefile built (BUILD=... too)
bench: deps-bench module
	MODULE=$(MODULE) sh $(CURDIR)/bench/run

# Billing's CPU time per request against proxying's, both at once
bench-paired: deps-bench module
	MODULE=$(MODULE) ROUNDS=$${ROUNDS:-10} DURATION=$${DURATION:-8} \
	    WARMUP=$${WARMUP:-1} sh $(CURDIR)/bench/run paired

bench-callgrind: deps-bench module
	MODULE=$(MODULE) sh $(CURDIR)/bench/run callgrind

bench-memory: deps-bench module
	MODULE=$(MODULE) sh $(CURDIR)/bench/run memory

# the webhook verifier's CPU per request and memory, verified vs plain
bench-webhook: deps-bench module
	MODULE=$(MODULE) perl $(CURDIR)/bench/webhook.pl

soak: deps-bench module
	MODULE=$(MODULE) bash $(CURDIR)/bench/soak

# The Debian package, built by Debian's tools (debhelper, dh_nginx) in a
# copy of what it needs, with packaging/debian/ as its debian/; its
# version is packaging/debian/changelog's.  Lintian must find nothing.
DEB_NAME = libnginx-mod-http-precancel
DEB_DIR  = $(BUILD)/deb

deb: deps-deb
	v=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version) && \
	tree=$(DEB_DIR)/$(DEB_NAME)-$$v && \
	rm -rf $(DEB_DIR) && mkdir -p $$tree/docs && \
	cp -R config src README.md $$tree/ && cp docs/*.md docs/*.yml $$tree/docs/ && \
	cp -R packaging/debian $$tree/debian && \
	cd $$tree && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 \
	    || { tail -n 40 ../build.log; exit 1; }
	lintian --fail-on error,warning $(DEB_DIR)/$(DEB_NAME)_*.deb
	@ls $(DEB_DIR)/$(DEB_NAME)_*.deb

# installs the previous release's package on this machine (built from
# the commit before the changelog's last version), upgrades it to this
# one, uses it, purges it (needs root; leaves the machine as it found
# it): not part of make test
OLD_DIR = $(BUILD)/old-release

package-test: deb
	rm -rf $(OLD_DIR) && mkdir -p $(OLD_DIR)/src
	v=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version); \
	rev=; for c in $$(git log --format=%H -- packaging/debian/changelog); do \
	    git show $$c:packaging/debian/changelog | head -n 1 \
	        | grep -qF "($$v)" || { rev=$$c; break; }; done; \
	[ -n "$$rev" ] || { echo "no earlier release in git"; exit 1; }; \
	git archive "$$rev" | tar x -C $(OLD_DIR)/src && \
	$(MAKE) -C $(OLD_DIR)/src deb BUILD=$(OLD_DIR)/build > $(OLD_DIR)/log \
	    2>&1 || { tail -n 20 $(OLD_DIR)/log; exit 1; }
	PRECANCEL_OLD_DEB=$$(ls $(OLD_DIR)/build/deb/$(DEB_NAME)_*.deb) \
	PRECANCEL_DEB=$$(ls $(DEB_DIR)/$(DEB_NAME)_*.deb) \
	    $(REAP) $(PROVE) $(TEST_NGINX_INC) t/30-package.t

clean:
	rm -rf $(BUILD) t/servroot
