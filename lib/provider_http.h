/*
 * provider_http.h: the plumbing shared by the outbound provider clients
 * (provider_hf.c, provider_replicate.c) and their dispatcher (provider.c).
 * Internal to libcommon.  It carries no libcurl types, so only the
 * provider_*.c files include curl/curl.h.
 */
#ifndef PROVIDER_HTTP_H
#define PROVIDER_HTTP_H

#define PH_MAX_WAIT	30	/* longest Retry-After we sleep for (s) */
#define PH_RETRY_DEFAULT 10	/* retry_after when the provider gave none */
#define PH_CONNECT_MAX	10	/* connect timeout cap (s) */
#define PH_URL_MAX	4096	/* any URL we build or accept */

/* One provider run: its settings, the overall deadline, a curl handle. */
struct ph_ctx {
	const struct provider_cfg *pc;
	const char	*name;		/* "huggingface", "replicate": logs */
	double		 deadline;	/* ph_now() seconds; the whole run */
	void		*curl;		/* CURL *, reused for keep-alive */
};

struct ph_req {
	const char	*method;	/* "GET" or "POST" */
	const char	*url;
	int		 auth;		/* send Authorization: Bearer <key> */
	int		 idempotent;	/* safe to resend after a broken reply */
	const char	*ctype;		/* request body type (POST) */
	const void	*body;
	size_t		 bodylen;
	const char	*header;	/* one more header line, or NULL */
	/* Seconds to wait suggested by a 429/503 body, or -1. */
	int		(*hint)(const struct buf *);
};

struct ph_resp {
	long		 status;	/* HTTP status of the last attempt */
	char		 ctype[128];	/* its Content-Type, "" when none */
	int		 retry_after;	/* Retry-After or body hint; -1 none */
	struct buf	*body;		/* the caller's buffer, with its max */
};

enum prov_err	 ph_init(struct ph_ctx *, const struct provider_cfg *,
		    const char *name, struct prov_result *);
void		 ph_free(struct ph_ctx *);
enum prov_err	 ph_send(struct ph_ctx *, const struct ph_req *,
		    struct ph_resp *, struct prov_result *);
enum prov_err	 ph_status(const struct ph_ctx *, const struct ph_resp *,
		    struct prov_result *);

double		 ph_now(void);
void		 ph_sleep(double);
int		 ph_same_origin(const char *, const char *);
int		 ph_model_ok(const char *, int need_owner);
int		 ph_base_url(const struct provider_cfg *, struct buf *);
char		*ph_data_uri(const unsigned char *, size_t, const char *mime);
void		 ph_clean(char *out, size_t outsz, const char *in);
void		 prov_detail(struct prov_result *, const char *, ...)
		    PR_PRINTF(2, 3);

/* The provider clients, called by provider_run(). */
enum prov_err	 prov_hf_run(const struct config *, const cJSON *model,
		    const cJSON *params, const unsigned char *, size_t,
		    const char *mime, struct prov_result *);
enum prov_err	 prov_replicate_run(const struct config *,
		    const cJSON *model, const cJSON *params,
		    const unsigned char *, size_t, const char *mime,
		    struct prov_result *);

#endif /* !PROVIDER_HTTP_H */
