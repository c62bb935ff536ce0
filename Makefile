# Build the module against Debian's nginx source (package nginx-dev, with
# the configure flags Debian used, so /usr/sbin/nginx loads the .so) or
# against another nginx tree: make NGINX_SRC=/path/to/nginx-1.22.1

NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
BUILD       ?= $(CURDIR)/build
CC          ?= cc
PROVE       ?= prove
WARN_FLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter
CC_OPT      ?= -g -O2 -fstack-protector-strong -fPIC $(WARN_FLAGS)

MODULE       = $(BUILD)/nginx/objs/ngx_http_precancel_module.so
SRCS         = $(wildcard $(CURDIR)/src/*.c) $(wildcard $(CURDIR)/src/*.h)
UNIT_TESTS   = $(BUILD)/unit/test_hmac $(BUILD)/unit/test_json \
               $(BUILD)/unit/test_url

# Test::Nginx from CPAN when it is installed, else the project's runner
TEST_NGINX_INC = $(shell perl -MTest::Nginx::Socket -e1 2>/dev/null \
                   || echo -I$(CURDIR)/t/compat)

export TEST_NGINX_BINARY ?= $(NGINX_BIN)
export TEST_NGINX_LOAD_MODULES ?= $(MODULE)

.PHONY: all module deps unit test t demo bench bench-callgrind bench-memory \
        clean

all: module

module: $(MODULE)

deps:
	sh $(CURDIR)/.ci/deps

# Debian's recipe: a build tree that links to the source, its conf_flags,
# --with-compat, and "make modules" only
$(BUILD)/nginx/objs/Makefile: config
	rm -rf $(BUILD)/nginx && mkdir -p $(BUILD)/nginx
	for f in auto src configure conf docs man html; do \
	    if [ -e $(NGINX_SRC)/$$f ]; then \
	        ln -s $(NGINX_SRC)/$$f $(BUILD)/nginx/$$f; fi; done
	flags=""; if [ -f $(NGINX_SRC)/conf_flags ]; then \
	    flags=$$(bash -c '. $(NGINX_SRC)/conf_flags; \
	                      printf "%s\n" "$${NGX_CONF_FLAGS[@]}"'); fi; \
	cd $(BUILD)/nginx && IFS=' \
' && ./configure $$flags --with-compat --with-cc-opt='$(CC_OPT)' \
	    --add-dynamic-module=$(CURDIR) > configure.log \
	    || { cat configure.log; exit 1; }

$(MODULE): $(BUILD)/nginx/objs/Makefile $(SRCS)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules

$(BUILD)/unit/test_%: t/unit/test_%.c src/ngx_http_precancel_%.c \
                      src/ngx_http_precancel_%.h t/unit/tap.h
	@mkdir -p $(BUILD)/unit
	$(CC) -std=c99 -g -O1 $(WARN_FLAGS) -Isrc -It/unit -o $@ \
	    t/unit/test_$*.c src/ngx_http_precancel_$*.c -lcrypto

unit: $(UNIT_TESTS)
	$(PROVE) --exec '' $(UNIT_TESTS)

# the Test::Nginx suite; t/99-secrets-sweep.t then searches the logs of
# every nginx it started for the private keys
t: module
	rm -rf $(BUILD)/sweep && mkdir -p $(BUILD)/sweep
	PRECANCEL_SWEEP_DIR=$(BUILD)/sweep $(PROVE) $(TEST_NGINX_INC) t/

test: deps
	$(MAKE) unit
	$(MAKE) t

demo: deps module
	sh $(CURDIR)/docs/demo/run

bench: module
	sh $(CURDIR)/bench/run

bench-callgrind: module
	sh $(CURDIR)/bench/run callgrind

bench-memory: module
	sh $(CURDIR)/bench/run memory

clean:
	rm -rf $(BUILD) t/servroot
