/*
 * t/unit/password.c: PBKDF2-HMAC-SHA256, stored hashes, policy, generator.
 * Usage: password BEHAVIOUR, one of "pbkdf2-sha256-vectors",
 * "hash-verify", "policy", "generate".
 */
#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "photorestore.h"
#include "tap.h"

static void
tohex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static size_t
unhex(const char *h, unsigned char *out, size_t outsz)
{
	size_t		 n = 0;
	char		 two[3] = { 0 };

	while (h[0] != '\0' && h[1] != '\0' && n < outsz) {
		two[0] = h[0];
		two[1] = h[1];
		out[n++] = (unsigned char)strtoul(two, NULL, 16);
		h += 2;
	}
	return n;
}

/* shared/vectors.md, PBKDF2-HMAC-SHA256 (lengths explicit for the NULs). */
static const struct {
	const char	*p;
	size_t		 plen;
	const char	*s;
	size_t		 slen;
	unsigned	 c;
	size_t		 dklen;
	const char	*dk;
} pbkdf2_vec[] = {
	{ "password", 8, "salt", 4, 1, 32,
	  "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b" },
	{ "password", 8, "salt", 4, 2, 32,
	  "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43" },
	{ "password", 8, "salt", 4, 4096, 32,
	  "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a" },
	{ "passwordPASSWORDpassword", 24,
	  "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096, 40,
	  "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1"
	  "c635518c7dac47e9" },
	{ "pass\0word", 9, "sa\0lt", 5, 4096, 16,
	  "89b69d0516f829893c696226650a8687" },
	{ "passwd", 6, "salt", 4, 1, 64,
	  "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
	  "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783" },
	{ "Password", 8, "NaCl", 4, 80000, 64,
	  "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
	  "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d" },
};

static void
pbkdf2_vectors(void)
{
	unsigned char	 dk[64];
	char		 hex[129];
	size_t		 i;

	for (i = 0; i < sizeof(pbkdf2_vec) / sizeof(pbkdf2_vec[0]); i++) {
		memset(dk, 0, sizeof(dk));
		is_int(pbkdf2_sha256(pbkdf2_vec[i].p, pbkdf2_vec[i].plen,
		    pbkdf2_vec[i].s, pbkdf2_vec[i].slen, pbkdf2_vec[i].c, dk,
		    pbkdf2_vec[i].dklen), 0, "row %zu runs", i + 1);
		tohex(dk, pbkdf2_vec[i].dklen, hex);
		is_str(hex, pbkdf2_vec[i].dk, "row %zu: P=%.*s S=%.*s c=%u "
		    "dkLen=%zu", i + 1, (int)strlen(pbkdf2_vec[i].p),
		    pbkdf2_vec[i].p, (int)strlen(pbkdf2_vec[i].s),
		    pbkdf2_vec[i].s, pbkdf2_vec[i].c, pbkdf2_vec[i].dklen);
	}

	/* The NUL row with C-string lengths must differ. */
	pbkdf2_sha256("pass\0word", 4, "sa\0lt", 2, 4096, dk, 16);
	tohex(dk, 16, hex);
	ok(strcmp(hex, "89b69d0516f829893c696226650a8687") != 0,
	    "truncating at the NUL gives a different key");

	is_int(pbkdf2_sha256("p", 1, "s", 1, 0, dk, 32), -1, "0 rounds");
	is_int(pbkdf2_sha256("p", 1, "s", 1, 1, dk, 0), -1, "0 output bytes");
	is_int(pbkdf2_sha256(NULL, 5, "s", 1, 1, dk, 32), -1,
	    "NULL password with a length");
	is_int(pbkdf2_sha256("", 0, "salt", 4, 1, dk, 32), 0,
	    "empty password is allowed");
}

/* Stored strings that must be reported malformed (-1). */
static const char *const bad_stored[] = {
	"",
	"password",
	"$pbkdf2-sha256$",
	"$pbkdf2-sha256$i=",
	"$pbkdf2-sha256$i=1000",
	"$pbkdf2-sha256$i=1000$",
	"$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA",
	"$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$",
	"$pbkdf2-sha256$i=$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=0$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=01000$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=+1000$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i= 1000$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=-1$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=1e3$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=10000001$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=99999999999999999999$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA==$"	/* padding */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=1000$c2FsdA$"			/* 4-byte salt */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=1000$c2Fsd+NhbHRzYWx0c2FsdA$"	/* '+' */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$"	/* 31 bytes */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$"	/* 33 bytes */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$"	/* trailing bits */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
	"$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$"	/* extra field */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$",
	"$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$"	/* newline */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	"$pbkdf2-sha256$rounds=1000$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$pbkdf2-sha512$i=1000$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"$PBKDF2-SHA256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"pbkdf2_sha256$1000$salt$hash",			/* Django */
	"$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA",
	"$1$saltsalt$hashhashhashhashhash",		/* md5crypt */
	"$2b$",
	"$2b$04$tooshort",
	"$2b$99$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
	"$2x$04$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
};

static void
hash_verify(void)
{
	char		 h1[PW_HASHLEN], h2[PW_HASHLEN], st[PW_HASHLEN];
	char		 setting[CRYPT_GENSALT_OUTPUT_SIZE], big[PW_MAXLEN + 2];
	char		 salt64[64], key64[64];
	unsigned char	 dk[40];
	struct crypt_data *cd;
	const char	*p, *bc;
	size_t		 i;
	int		 rehash;

	/* Our format. */
	is_int(pw_hash("Secret123", 9, 1000, h1), 0, "pw_hash");
	ok(strncmp(h1, "$pbkdf2-sha256$i=1000$", 22) == 0,
	    "prefix $pbkdf2-sha256$i=1000$ (%s)", h1);
	p = strchr(h1 + 22, '$');
	ok(p != NULL && p - (h1 + 22) == 22 && strlen(p + 1) == 43,
	    "22 characters of salt, 43 of hash");
	is_int(pw_hash("Secret123", 9, 1000, h2), 0, "pw_hash again");
	ok(strcmp(h1, h2) != 0, "fresh salt each time");

	rehash = -1;
	is_int(pw_verify("Secret123", 9, h1, 1000, &rehash), 1, "match");
	is_int(rehash, 0, "no rehash at the same cost");
	rehash = -1;
	is_int(pw_verify("Secret124", 9, h1, 1000, &rehash), 0,
	    "wrong password");
	is_int(rehash, 0, "no rehash on mismatch at the same cost");
	is_int(pw_verify("Secret12", 8, h1, 1000, NULL), 0, "prefix");
	is_int(pw_verify("secret123", 9, h1, 1000, NULL), 0, "case");
	is_int(pw_verify("", 0, h1, 1000, NULL), 0, "empty password");
	rehash = -1;
	is_int(pw_verify("Secret123", 9, h1, 2000, &rehash), 1,
	    "match when more rounds are now wanted");
	is_int(rehash, 1, "rehash when the stored cost is lower");
	rehash = -1;
	is_int(pw_verify("Secret123", 9, h1, 500, &rehash), 1,
	    "match when fewer rounds are now wanted");
	is_int(rehash, 0, "no rehash when the stored cost is higher");

	/* Lengths, not C strings. */
	is_int(pw_hash("pass\0word", 9, 1000, h2), 0, "hash with a NUL");
	is_int(pw_verify("pass\0word", 9, h2, 1000, NULL), 1,
	    "the full 9 bytes match");
	is_int(pw_verify("pass", 4, h2, 1000, NULL), 0,
	    "the part before the NUL does not");
	is_int(pw_hash("", 0, 1000, h2), 0, "hash of the empty password");
	is_int(pw_verify("", 0, h2, 1000, NULL), 1, "empty matches empty");

	/* The length cap. */
	memset(big, 'A', sizeof(big));
	is_int(pw_hash(big, PW_MAXLEN, 1000, h2), 0, "PW_MAXLEN bytes hash");
	is_int(pw_verify(big, PW_MAXLEN, h2, 1000, NULL), 1,
	    "and verify");
	is_int(pw_verify(big, PW_MAXLEN + 1, h2, 1000, NULL), 0,
	    "PW_MAXLEN + 1 bytes: mismatch");
	is_int(pw_hash(big, PW_MAXLEN + 1, 1000, h2), -1,
	    "PW_MAXLEN + 1 bytes: not hashed");
	is_str(h2, "", "out is empty on failure");
	is_int(pw_hash("x", 1, 0, h2), -1, "0 rounds refused");
	is_int(pw_hash("x", 1, PW_MAX_ITER + 1, h2), -1,
	    "rounds over PW_MAX_ITER refused");

	/* Known answer: vectors.md row 4 (first 32 bytes) as a stored hash. */
	pbkdf2_sha256("passwordPASSWORDpassword", 24,
	    "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096, dk, 40);
	unhex("348c89dbcbd32b2f32d814b8116e84cf"
	    "2b17347ebc1800181c4e2a1fb8dd53e1", dk, 32);
	b64url_encode((const unsigned char *)
	    "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, salt64);
	b64url_encode(dk, 32, key64);
	snprintf(st, sizeof(st), "$pbkdf2-sha256$i=4096$%s$%s", salt64,
	    key64);
	rehash = -1;
	is_int(pw_verify("passwordPASSWORDpassword", 24, st, 600000, &rehash),
	    1, "known-answer stored hash with a 36-byte salt verifies");
	is_int(rehash, 1, "and wants a rehash at 600000 rounds");

	/* Malformed stored strings. */
	for (i = 0; i < sizeof(bad_stored) / sizeof(bad_stored[0]); i++) {
		rehash = -1;
		is_int(pw_verify("Secret123", 9, bad_stored[i], 1000,
		    &rehash), -1, "malformed: \"%s\"", bad_stored[i]);
		if (rehash != 0)
			diag("rehash %d", rehash);
	}
	is_int(pw_verify("Secret123", 9, NULL, 1000, NULL), -1,
	    "NULL stored string");
	ok(pw_verify("x", 1, "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1000, NULL) == 0,
	    "control: the well-formed neighbour is a mismatch, not -1");

	/* bcrypt made here with libxcrypt. */
	cd = calloc(1, sizeof(*cd));
	ok(crypt_gensalt_rn("$2b$", 4, NULL, 0, setting, sizeof(setting)) !=
	    NULL, "crypt_gensalt_rn $2b$ (%s)", setting);
	bc = cd != NULL ? crypt_r("Secret123", setting, cd) : NULL;
	ok(bc != NULL && bc[0] == '$' && strlen(bc) == 60,
	    "crypt_r bcrypt hash (%s)", bc ? bc : "(null)");
	if (bc != NULL && bc[0] == '$') {
		snprintf(st, sizeof(st), "%s", bc);
		rehash = -1;
		is_int(pw_verify("Secret123", 9, st, 1000, &rehash), 1,
		    "bcrypt $2b$ matches");
		is_int(rehash, 1, "bcrypt always wants a rehash");
		rehash = -1;
		is_int(pw_verify("Secret124", 9, st, 1000, &rehash), 0,
		    "bcrypt wrong password");
		is_int(pw_verify("Secret123\0x", 11, st, 1000, NULL), 0,
		    "bcrypt: a password with a NUL never matches");
		is_int(pw_verify("Secret12", 8, st, 1000, NULL), 0,
		    "bcrypt: prefix does not match");
		st[2] = 'y';
		is_int(pw_verify("Secret123", 9, st, 1000, NULL), 1,
		    "same hash as $2y$ matches");
		st[2] = 'a';
		is_int(pw_verify("Secret123", 9, st, 1000, NULL), 1,
		    "same hash as $2a$ matches (ASCII password)");
		st[2] = 'b';
		st[59] = st[59] == 'a' ? 'b' : 'a';
		is_int(pw_verify("Secret123", 9, st, 1000, NULL), 0,
		    "altered bcrypt hash: mismatch");
	}
	free(cd);

	/* The dummy burns time and tells nothing. */
	is_int(pw_verify_dummy("Secret123", 9, 1000), 0, "pw_verify_dummy");
	is_int(pw_verify_dummy(NULL, 0, 0), 0, "pw_verify_dummy, odd input");
}

static void
policy(void)
{
	static const struct {
		const char	*pw;
		const char	*msg;	/* NULL: accepted */
		const char	*type;
	} pol[] = {
		{ "", "String should have at least 8 characters",
		    "string_too_short" },
		{ "Ab1", "String should have at least 8 characters",
		    "string_too_short" },
		{ "Abcdef1", "String should have at least 8 characters",
		    "string_too_short" },
		/* 7 characters in 8 bytes: counted as characters. */
		{ "\xc3\x84" "bcdef1", "String should have at least 8 "
		    "characters", "string_too_short" },
		{ "abcdefgh", "Value error, Password must contain at least "
		    "one uppercase letter", "value_error" },
		{ "12345678", "Value error, Password must contain at least "
		    "one uppercase letter", "value_error" },
		{ "abcdefg1", "Value error, Password must contain at least "
		    "one uppercase letter", "value_error" },
		/* Non-ASCII capitals do not count. */
		{ "\xc3\x84" "bcdefg1", "Value error, Password must contain at "
		    "least one uppercase letter", "value_error" },
		{ "ABCDEFGH", "Value error, Password must contain at least "
		    "one lowercase letter", "value_error" },
		{ "ABCDEFG1", "Value error, Password must contain at least "
		    "one lowercase letter", "value_error" },
		{ "Abcdefgh", "Value error, Password must contain at least "
		    "one digit", "value_error" },
		{ "Abcdefg!", "Value error, Password must contain at least "
		    "one digit", "value_error" },
		{ "Abcdefg1", NULL, NULL },
		{ "\xc3\x84" "Abcdef1", NULL, NULL },
		{ "correct Horse battery 9 staple", NULL, NULL },
	};
	const char	*msg, *type;
	size_t		 i;

	for (i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
		type = "unset";
		msg = pw_policy(pol[i].pw, &type);
		if (pol[i].msg == NULL) {
			ok(msg == NULL, "\"%s\" accepted", pol[i].pw);
			ok(type == NULL, "no type for \"%s\"", pol[i].pw);
		} else {
			is_str(msg, pol[i].msg, "\"%s\": message", pol[i].pw);
			is_str(type, pol[i].type, "\"%s\": type", pol[i].pw);
		}
	}
	is_str(pw_policy("abc", NULL), "String should have at least 8 "
	    "characters", "type may be NULL");
}

static void
generate(void)
{
	static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	    "abcdefghijkmnpqrstuvwxyz23456789";
	char		 pw[200][21], buf[64];
	int		 seen[256];
	size_t		 i, j, bad_len = 0, bad_char = 0, bad_pol = 0, dup = 0;
	size_t		 missing = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 200; i++) {
		if (pw_generate(pw[i], sizeof(pw[i])) != 0)
			break;
		if (strlen(pw[i]) != 20)
			bad_len++;
		for (j = 0; pw[i][j] != '\0'; j++) {
			if (strchr(alpha, pw[i][j]) == NULL)
				bad_char++;
			seen[(unsigned char)pw[i][j]]++;
		}
		if (pw_policy(pw[i], NULL) != NULL)
			bad_pol++;
		for (j = 0; j < i; j++)
			if (strcmp(pw[i], pw[j]) == 0)
				dup++;
	}
	is_int(i, 200, "200 passwords generated");
	is_int(bad_len, 0, "each has 20 characters in a 21-byte buffer");
	is_int(bad_char, 0, "only unambiguous letters and digits");
	is_int(bad_pol, 0, "each satisfies pw_policy");
	is_int(dup, 0, "no two alike");
	for (j = 0; alpha[j] != '\0'; j++)
		if (seen[(unsigned char)alpha[j]] == 0)
			missing++;
	is_int(missing, 0, "every alphabet character appears in 4000 draws");
	diag("first: %s", pw[0]);

	is_int(pw_generate(buf, 17), 0, "17-byte buffer");
	is_int(strlen(buf), 16, "gives 16 characters");
	is_int(pw_generate(buf, sizeof(buf)), 0, "64-byte buffer");
	is_int(strlen(buf), 24, "gives at most 24 characters");
	is_int(pw_generate(buf, 16), -1, "16-byte buffer is too small");
	is_int(pw_generate(NULL, 32), -1, "NULL buffer");
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		void		(*fn)(void);
	} b[] = {
		{ "pbkdf2-sha256-vectors", pbkdf2_vectors },
		{ "hash-verify", hash_verify },
		{ "policy", policy },
		{ "generate", generate },
	};
	size_t	 i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s behaviour\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if (strcmp(argv[1], b[i].name) == 0)
			break;
	if (i == sizeof(b) / sizeof(b[0])) {
		fprintf(stderr, "%s: unknown behaviour %s\n", argv[0],
		    argv[1]);
		return 2;
	}
	b[i].fn();
	return done_testing();
}
