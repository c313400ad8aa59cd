/*
 * t/unit/crypto.c: the FastCGI master's crypto_warm (lib/hash.c) and
 * what it must not break in the workers it forks: each worker's random
 * numbers are its own (OpenSSL reseeds after fork), and hashing and
 * HMAC still give the published answers.
 *
 *	crypto warm-fork
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "photorestore.h"
#include "tap.h"

#define NKIDS	4
/* FIPS 180-2 B.1: SHA-256("abc"). */
#define ABC_SHA256 \
	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

struct kid_out {
	char	 uuid[37];
	char	 rnd[33];	/* 16 random bytes in hex */
	char	 sha[SHA256_HEXLEN + 1];
	int	 jwt_ok;	/* a token signed here verifies here */
};

static void
hex16(const unsigned char *b, char out[33])
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0x0f];
	}
	out[32] = '\0';
}

static void
fill(struct kid_out *o)
{
	static const unsigned char	 key[32] = "0123456789abcdef0123456789abcde";
	struct jwt_claims		 c, back;
	unsigned char			 b[16];
	char				*tok = NULL;

	memset(o, 0, sizeof(*o));
	if (pr_uuid4(o->uuid) == -1)
		o->uuid[0] = '\0';
	if (pr_random(b, sizeof(b)) == -1)
		memset(b, 0, sizeof(b));
	hex16(b, o->rnd);
	sha256_hex("abc", 3, o->sha);
	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "alice");
	c.user_id = 7;
	snprintf(c.role, sizeof(c.role), "user");
	memcpy(c.session_id, o->uuid, sizeof(o->uuid));
	c.iat = 1000;
	c.exp = 2000;
	snprintf(c.jti, sizeof(c.jti), "%s", o->uuid);
	o->jwt_ok = jwt_sign(&c, key, sizeof(key), &tok) == JWT_OK &&
	    jwt_verify(tok, strlen(tok), key, sizeof(key), 1500, &back) ==
	    JWT_OK && back.user_id == 7 && strcmp(back.sub, "alice") == 0;
	free(tok);
}

static void
warm_fork(void)
{
	struct kid_out	 mine, kids[NKIDS];
	pid_t		 pid[NKIDS];
	int		 fd[NKIDS][2], st, i, j, distinct = 1;
	ssize_t		 got;

	crypto_warm();
	for (i = 0; i < NKIDS; i++) {
		if (pipe(fd[i]) == -1 || (pid[i] = fork()) == -1) {
			ok(0, "pipe/fork");
			return;
		}
		if (pid[i] == 0) {
			struct kid_out	 o;

			close(fd[i][0]);
			fill(&o);
			_exit(write(fd[i][1], &o, sizeof(o)) ==
			    (ssize_t)sizeof(o) ? 0 : 1);
		}
		close(fd[i][1]);
	}
	fill(&mine);
	for (i = 0; i < NKIDS; i++) {
		got = read(fd[i][0], &kids[i], sizeof(kids[i]));
		close(fd[i][0]);
		is_int(waitpid(pid[i], &st, 0), pid[i], "worker %d reaped", i);
		ok(got == (ssize_t)sizeof(kids[i]) && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0, "worker %d reported", i);
		if (got != (ssize_t)sizeof(kids[i]))
			memset(&kids[i], 0, sizeof(kids[i]));
		is_str(kids[i].sha, ABC_SHA256, "worker %d: SHA-256(abc)", i);
		ok(kids[i].jwt_ok, "worker %d: HS256 sign and verify", i);
		ok(strlen(kids[i].uuid) == 36, "worker %d: a UUID", i);
	}
	is_str(mine.sha, ABC_SHA256, "master: SHA-256(abc)");
	ok(mine.jwt_ok, "master: HS256 sign and verify");
	/* The master's and every worker's random output differ. */
	for (i = 0; i < NKIDS; i++) {
		if (strcmp(kids[i].uuid, mine.uuid) == 0 ||
		    strcmp(kids[i].rnd, mine.rnd) == 0)
			distinct = 0;
		for (j = i + 1; j < NKIDS; j++)
			if (strcmp(kids[i].uuid, kids[j].uuid) == 0 ||
			    strcmp(kids[i].rnd, kids[j].rnd) == 0)
				distinct = 0;
	}
	ok(distinct, "%d workers and the master drew different UUIDs and "
	    "random bytes after the warm-up", NKIDS);
}

int
main(int argc, char *argv[])
{
	if (argc != 2 || strcmp(argv[1], "warm-fork") != 0) {
		fprintf(stderr, "usage: %s warm-fork\n", argv[0]);
		return 2;
	}
	warm_fork();
	return done_testing();
}
