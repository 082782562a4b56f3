#include "lib/fmt.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void put_str(struct out *o, const char *s, int width, int prec, bool left)
{
	int n = 0;
	if (!s)
		s = "(null)";
	while (s[n] && (prec < 0 || n < prec))
		n++;
	if (!left)
		pad(o, ' ', width - n);
	for (int i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		pad(o, ' ', width - n);
}

static void put_num(struct out *o, u64 v, bool neg, unsigned base, bool upper, int width, bool left,
                    bool zero, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	int plen = (int)(neg ? 1 : 0) + (prefix ? 2 : 0);
	int fill = width - n - plen;
	if (!left && !zero)
		pad(o, ' ', fill);
	if (neg)
		put(o, '-');
	if (prefix) {
		put(o, prefix[0]);
		put(o, prefix[1]);
	}
	if (!left && zero)
		pad(o, '0', fill);
	while (n)
		put(o, tmp[--n]);
	if (left)
		pad(o, ' ', fill);
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		bool left = false, zero = false;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else
				break;
		}
		int width = 0, prec = -1;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'h')
				lng--;
			else if (*fmt == 'z')
				lng = 1;
			else
				break;
		}
		u64 uv;
		s64 sv;
		switch (*fmt) {
		case 'd':
		case 'i':
			if (lng >= 1)
				sv = lng == 1 ? va_arg(ap, long) : va_arg(ap, long long);
			else
				sv = va_arg(ap, int);
			if (lng == -1)
				sv = (short)sv;
			else if (lng == -2)
				sv = (signed char)sv;
			put_num(&o, sv < 0 ? -(u64)sv : (u64)sv, sv < 0, 10, false, width, left,
			        zero, NULL);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (lng >= 1)
				uv = lng == 1 ? va_arg(ap, unsigned long)
				              : va_arg(ap, unsigned long long);
			else
				uv = va_arg(ap, unsigned int);
			if (lng == -1)
				uv = (u16)uv;
			else if (lng == -2)
				uv = (u8)uv;
			put_num(&o, uv, false,
			        *fmt == 'u'   ? 10
			        : *fmt == 'o' ? 8
			                      : 16,
			        *fmt == 'X', width, left, zero, NULL);
			break;
		case 'p':
			put_num(&o, (u64)(uintptr_t)va_arg(ap, void *), false, 16, false, width,
			        left, zero, "0x");
			break;
		case 's':
			put_str(&o, va_arg(ap, const char *), width, prec, left);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
