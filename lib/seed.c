/*
 * seed.c: the seed administrator of API.md §6.
 */
#include <stdio.h>
#include <string.h>

#include "photorestore.h"

/*
 * Create the administrator named by the AUTH_* settings unless a user with
 * that username or email exists (case-insensitive).  Runs in one IMMEDIATE
 * transaction, so concurrent starts create at most one.  When no password
 * is configured a random one is generated, written to genpw (else genpw
 * is ""), and the account must change it.  *created is 1 when a user was
 * made.
 */
enum pr_err
seed_admin(const struct config *cfg, struct db *db, char *genpw,
    size_t genpwsz, int *created)
{
	struct user	 u;
	char		 pw[64];
	const char	*pass, *type;
	int		 utaken, etaken;
	enum pr_err	 e;

	*created = 0;
	genpw[0] = '\0';
	memset(&u, 0, sizeof(u));
	pr_lower(cfg->auth_username, u.username, sizeof(u.username));
	pr_lower(cfg->auth_email, u.email, sizeof(u.email));
	snprintf(u.full_name, sizeof(u.full_name), "%s", cfg->auth_full_name);
	snprintf(u.role, sizeof(u.role), "admin");
	u.is_active = 1;
	if ((e = db_begin(db)) != PR_OK)
		return e;
	if ((e = db_user_taken(db, u.username, u.email, 0, &utaken,
	    &etaken)) != PR_OK)
		goto err;
	if (utaken || etaken) {
		db_rollback(db);
		return PR_OK;
	}
	if (cfg->auth_password[0] != '\0') {
		if (pw_policy(cfg->auth_password, &type) != NULL) {
			log_error("AUTH_PASSWORD (auth.password) does not meet "
			    "the password policy: %s",
			    pw_policy(cfg->auth_password, &type));
			e = PR_ECONFIG;
			goto err;
		}
		pass = cfg->auth_password;
		u.password_must_change = 0;
	} else {
		if (pw_generate(pw, sizeof(pw)) == -1) {
			e = PR_ECRYPTO;
			goto err;
		}
		pass = pw;
		u.password_must_change = 1;
	}
	if (pw_hash(pass, strlen(pass), cfg->pbkdf2_iterations,
	    u.password_hash) == -1) {
		e = PR_ECRYPTO;
		goto err;
	}
	if ((e = db_user_insert(db, &u, pr_now())) != PR_OK)
		goto err;
	if ((e = db_commit(db)) != PR_OK)
		goto err;
	*created = 1;
	if (pass == pw)
		snprintf(genpw, genpwsz, "%s", pw);
	pr_wipe(pw, sizeof(pw));
	pr_wipe(&u, sizeof(u));
	return PR_OK;
err:
	db_rollback(db);
	pr_wipe(pw, sizeof(pw));
	pr_wipe(&u, sizeof(u));
	return e;
}
