/*
 * config - deptmilter.conf
 *
 * See config.h.  The parser is driven by one table: each key names its
 * parser and where the value goes, so a new key is one line here.  Values
 * are checked as they are read (bounds, keywords, socket syntax).
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <netinet/in.h>

#include "milter/config.h"

#define CONFIG_LINE_MAX	4096
#define STATS_MAX	(7 * 86400)		/* a week */
#define DRAIN_MAX	600			/* Postfix's timeouts are far below */

struct name_value {
    const char *name;
    int     value;
};

struct key {
    const char *name;
    /* *INDENT-OFF* (indent reads "struct config * cf" here) */
    int     (*parse) (const struct key *k, const char *val, struct config *cf,
		      char *why, size_t whylen);
    /* *INDENT-ON* */
    size_t  offset;			/* into struct config */
    int     empty_ok;			/* strings: "" allowed */
    const struct name_value *names;	/* keywords: the allowed words */
};

static const struct name_value on_error_names[] = {
    {"tempfail", ON_ERROR_TEMPFAIL}, {"accept", ON_ERROR_ACCEPT}, {0, 0},
};
static const struct name_value bool_names[] = {
    {"yes", 1}, {"no", 0}, {"true", 1}, {"false", 0}, {"on", 1}, {"off", 0},
    {0, 0},
};
static const struct name_value level_names[] = {
    {"error", LOG_ERR}, {"warn", LOG_WARNING}, {"warning", LOG_WARNING},
    {"info", LOG_INFO}, {"debug", LOG_DEBUG}, {0, 0},
};
static const struct name_value facility_names[] = {
    {"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}, {0, 0},
};

/* field - the member of cf that a key writes */
static void *field(struct config *cf, const struct key *k)
{
    return (char *) cf + k->offset;
}

/* parse_string - a path or name, copied whole or refused */
static int parse_string(const struct key *k, const char *val, struct config *cf,
			char *why, size_t whylen)
{
    char   *dst = field(cf, k);

    if (*val == 0 && !k->empty_ok) {
	snprintf(why, whylen, "%s: empty value", k->name);
	return -1;
    }
    if (strlen(val) >= CONFIG_STR_MAX) {
	snprintf(why, whylen, "%s: value longer than %d bytes",
		 k->name, CONFIG_STR_MAX - 1);
	return -1;
    }
    strcpy(dst, val);
    return 0;
}

/* parse_word - one of a fixed set of words, stored as its int value */
static int parse_word(const struct key *k, const char *val, struct config *cf,
		      char *why, size_t whylen)
{
    const struct name_value *nv;
    size_t  used;

    for (nv = k->names; nv->name; nv++) {
	if (strcasecmp(nv->name, val) == 0) {
	    *(int *) field(cf, k) = nv->value;
	    return 0;
	}
    }
    used = (size_t) snprintf(why, whylen, "%s: \"%s\" is not one of:", k->name, val);
    for (nv = k->names; nv->name && used < whylen; nv++)
	used += (size_t) snprintf(why + used, whylen - used, " %s", nv->name);
    return -1;
}

/* parse_number - an unsigned number in base 10 (or 8 for modes) in bounds */
static int parse_number(const char *name, const char *val, int base,
			unsigned long max, unsigned long *out, char *why, size_t whylen)
{
    char   *end;

    errno = 0;
    if (!isdigit((unsigned char) *val)
	|| (*out = strtoul(val, &end, base), errno != 0) || *end != 0) {
	snprintf(why, whylen, "%s: \"%s\" is not %s number", name, val,
		 base == 8 ? "an octal" : "a decimal");
	return -1;
    }
    if (*out > max) {
	snprintf(why, whylen, base == 8 ? "%s: %s is above %lo" :
		 "%s: %s is above %lu", name, val, max);
	return -1;
    }
    return 0;
}

/* parse_mode - socket_mode: octal, at most 0777 */
static int parse_mode(const struct key *k, const char *val, struct config *cf,
		      char *why, size_t whylen)
{
    unsigned long n;

    if (parse_number(k->name, val, 8, 0777, &n, why, whylen) < 0)
	return -1;
    cf->socket_mode = (mode_t) n;
    return 0;
}

/* parse_interval - stats_interval: seconds, 0 .. a week */
static int parse_interval(const struct key *k, const char *val, struct config *cf,
			  char *why, size_t whylen)
{
    unsigned long n;

    if (parse_number(k->name, val, 10, STATS_MAX, &n, why, whylen) < 0)
	return -1;
    cf->stats_interval = (unsigned) n;
    return 0;
}

/* parse_drain - drain_time: seconds, 0 .. DRAIN_MAX */
static int parse_drain(const struct key *k, const char *val, struct config *cf,
		       char *why, size_t whylen)
{
    unsigned long n;

    if (parse_number(k->name, val, 10, DRAIN_MAX, &n, why, whylen) < 0)
	return -1;
    cf->drain_time = (unsigned) n;
    return 0;
}

/* all_of - whether s is non-empty and made of the bytes in set */
static int all_of(const char *s, size_t n, const char *set)
{
    size_t  i;

    for (i = 0; i < n; i++)
	if (s[i] == 0 || strchr(set, s[i]) == 0)
	    return 0;
    return n > 0;
}

/* port_ok - a port number 1..65535 or a service name */
static int port_ok(const char *p, size_t n)
{
    unsigned long v;

    if (all_of(p, n, "0123456789"))
	return n <= 5 && (v = strtoul(p, 0, 10)) >= 1 && v <= 65535;
    return all_of(p, n,
		  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
}

/* host_ok - an address of the family, or a host name */
static int host_ok(const char *host, int family)
{
    unsigned char addr[sizeof(struct in6_addr)];

    if (inet_pton(family, host, addr) == 1)
	return 1;
    return all_of(host, strlen(host), "abcdefghijklmnopqrstuvwxyz"
		  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
	&& strspn(host, "0123456789.") != strlen(host);
}

/* postfix_hint - "did you mean" for Postfix's inet:HOST:PORT spelling
 * (and inet:[IPV6]:PORT) */
static void postfix_hint(const char *kind, const char *rest, char *hint, size_t len)
{
    const char *colon = strrchr(rest, ':');
    int     n, bracket;

    *hint = 0;
    if (colon == 0 || colon == rest || !port_ok(colon + 1, strlen(colon + 1)))
	return;
    n = (int) (colon - rest);
    bracket = n > 2 && rest[0] == '[' && rest[n - 1] == ']';
    snprintf(hint, len, " (Postfix writes inet:HOST:PORT; libmilter wants"
	     " %s:PORT@HOST: %s:%s@%.*s)", kind, bracket ? "inet6" : kind,
	     colon + 1, bracket ? n - 2 : n, rest + bracket);
}

/* inet_ok - PORT@HOST of an inet: or inet6: socket; why when not */
static int inet_ok(const char *kind, const char *rest, int family,
		   char *why, size_t whylen)
{
    const char *at = strchr(rest, '@');
    char    hint[300];

    if (at == 0) {
	postfix_hint(kind, rest, hint, sizeof(hint));
	snprintf(why, whylen, "expected %s:PORT@HOST%s", kind, *hint ? hint :
		 " (name the address to listen on: 127.0.0.1 for this host only)");
	return 0;
    }
    if (!port_ok(rest, at - rest)) {
	postfix_hint(kind, rest, hint, sizeof(hint));
	snprintf(why, whylen, "\"%.*s\" is not a port%s", (int) (at - rest), rest, hint);
	return 0;
    }
    if (!host_ok(at + 1, family)) {
	snprintf(why, whylen, "\"%s\" is not an %s address or host name", at + 1,
		 family == AF_INET ? "IPv4" : "IPv6");
	return 0;
    }
    return 1;
}

/* config_socket_path - the file of a unix:/PATH (local:, bare /PATH)
 * socket, or NULL for inet: and inet6: */
const char *config_socket_path(const char *spec)
{
    if (strncmp(spec, "unix:", 5) == 0)
	return spec + 5;
    if (strncmp(spec, "local:", 6) == 0)
	return spec + 6;
    return *spec == '/' ? spec : 0;
}

/* parse_socket - libmilter's unix:/PATH (local:, or a bare /PATH),
 * inet:PORT@HOST or inet6:PORT@HOST, checked here: libmilter takes
 * Postfix's inet:HOST:PORT without a word and listens somewhere else;
 * the socketmap's socket is spelled the same way, or empty (off) */
static int parse_socket(const struct key *k, const char *val, struct config *cf,
			char *why, size_t whylen)
{
    const char *path = 0;
    char    reason[400];
    int     ok;

    if (*val == 0 && k->empty_ok)		/* socketmap: off */
	return parse_string(k, val, cf, why, whylen);
    if ((path = config_socket_path(val)) != 0)
	ok = *path == '/' || (snprintf(reason, sizeof(reason),
				       "the path must be absolute"), 0);
    else if (strncmp(val, "inet:", 5) == 0)
	ok = inet_ok("inet", val + 5, AF_INET, reason, sizeof(reason));
    else if (strncmp(val, "inet6:", 6) == 0)
	ok = inet_ok("inet6", val + 6, AF_INET6, reason, sizeof(reason));
    else
	ok = (snprintf(reason, sizeof(reason), "expected unix:/PATH, inet:PORT@HOST"
		       " or inet6:PORT@HOST"), 0);
    if (!ok) {
	snprintf(why, whylen, "%s: \"%s\": %s", k->name, val, reason);
	return -1;
    }
    return parse_string(k, val, cf, why, whylen);
}

#define OFF(m)	offsetof(struct config, m)

static const struct key keys[] = {
    {"socket", parse_socket, OFF(socket), 0, 0},
    {"socket_mode", parse_mode, OFF(socket_mode), 0, 0},
    {"map", parse_string, OFF(map), 0, 0},
    {"on_error", parse_word, OFF(on_error), 0, on_error_names},
    {"dry_run", parse_word, OFF(dry_run), 0, bool_names},
    {"user", parse_string, OFF(user), 1, 0},
    {"syslog_facility", parse_word, OFF(syslog_facility), 0, facility_names},
    {"log_level", parse_word, OFF(log_level), 0, level_names},
    {"pid_file", parse_string, OFF(pid_file), 1, 0},
    {"stats_interval", parse_interval, OFF(stats_interval), 0, 0},
    {"socketmap", parse_socket, OFF(socketmap), 1, 0},
    {"shadow_map", parse_string, OFF(shadow_map), 1, 0},
    {"drain_time", parse_drain, OFF(drain_time), 0, 0},
};

#define NKEYS	(sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= CONFIG_KEYS_MAX, "CONFIG_KEYS_MAX is too small");

/* config_defaults - the values that hold without a config line */
void config_defaults(struct config *cf)
{
    memset(cf, 0, sizeof(*cf));
    strcpy(cf->socket, "unix:/var/spool/postfix/deptmilter/deptmilter.sock");
    cf->socket_mode = 0660;
    strcpy(cf->map, "/etc/deptmilter/departments.cdb");
    cf->on_error = ON_ERROR_TEMPFAIL;
    cf->dry_run = 0;
    strcpy(cf->user, "deptmilter");
    cf->syslog_facility = LOG_MAIL;
    cf->log_level = LOG_INFO;
    strcpy(cf->pid_file, "/run/deptmilter/deptmilter.pid");
    cf->stats_interval = 3600;
    cf->drain_time = 20;
}

/* trim - cut leading and trailing white space in place */
static char *trim(char *s)
{
    char   *end;

    while (isspace((unsigned char) *s))
	s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char) end[-1]))
	*--end = 0;
    return s;
}

/* find_key - the table entry for a key name, or NULL */
static const struct key *find_key(const char *name)
{
    size_t  i;

    for (i = 0; i < NKEYS; i++)
	if (strcmp(keys[i].name, name) == 0)
	    return &keys[i];
    return 0;
}

/* parse_line - one line: comment, blank, or key = value */
static int parse_line(char *line, unsigned lineno, struct config *cf, unsigned *seen,
		      char *why, size_t whylen)
{
    char   *hash, *eq, *name, *val;
    const struct key *k;

    if ((hash = strchr(line, '#')) != 0)
	*hash = 0;
    line = trim(line);
    if (*line == 0)
	return 0;
    if ((eq = strchr(line, '=')) == 0) {
	snprintf(why, whylen, "expected \"key = value\", found \"%s\"", line);
	return -1;
    }
    *eq = 0;
    name = trim(line);
    val = trim(eq + 1);
    if ((k = find_key(name)) == 0) {
	snprintf(why, whylen, "unknown key \"%s\"", name);
	return -1;
    }
    if (*seen & (1u << (k - keys))) {
	snprintf(why, whylen, "%s: set twice", k->name);
	return -1;
    }
    *seen |= 1u << (k - keys);
    cf->line[k - keys] = lineno;
    return k->parse(k, val, cf, why, whylen);
}

/* add_error - one more "FILE:LINE: text" line in err */
static void add_error(char *err, size_t errlen, const char *path, unsigned line,
		      const char *why)
{
    size_t  used = strlen(err);

    if (used + 1 >= errlen)
	return;
    snprintf(err + used, errlen - used, "%s%s:%u: %s", used ? "\n" : "", path,
	     line, why);
}

/* config_load - read a config file over the defaults already in cf; every
 * error, one "FILE:LINE: text" line each */
int config_load(const char *path, struct config *cf, char *err, size_t errlen)
{
    char    line[CONFIG_LINE_MAX];
    char    why[512];
    unsigned lineno = 0, seen = 0;
    FILE   *fp;
    int     ret = 0;

    *err = 0;
    snprintf(cf->file, sizeof(cf->file), "%s", path);
    if ((fp = fopen(path, "r")) == 0) {
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return -1;
    }
    while (fgets(line, sizeof(line), fp) != 0) {
	lineno++;
	if (strchr(line, '\n') == 0 && !feof(fp)) {
	    snprintf(why, sizeof(why), "line longer than %d bytes", CONFIG_LINE_MAX - 2);
	    add_error(err, errlen, path, lineno, why);
	    ret = -1;
	    while (fgets(line, sizeof(line), fp) != 0 && strchr(line, '\n') == 0)
		/* the rest of the long line */ ;
	} else if (parse_line(line, lineno, cf, &seen, why, sizeof(why)) < 0) {
	    add_error(err, errlen, path, lineno, why);
	    ret = -1;
	}
    }
    if (ferror(fp)) {
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	ret = -1;
    }
    fclose(fp);
    return ret;
}

/* config_where - "FILE:LINE" where a key was set, "FILE" for a default */
const char *config_where(const struct config *cf, const char *key, char *buf, size_t len)
{
    const struct key *k = find_key(key);

    if (k && cf->line[k - keys])
	snprintf(buf, len, "%s:%u", cf->file, cf->line[k - keys]);
    else
	snprintf(buf, len, "%s", cf->file);
    return buf;
}
