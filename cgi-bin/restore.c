/*
 * restore.fcgi: being built (see the issues); answers health and 404 for now.
 */
#include "photorestore.h"

static const struct route routes[] = {
	{ "GET", "/health", health_handler, 0 },
	{ "GET", "/api/v1/health", health_handler, 0 },
};

static const struct app app = {
	"restore", routes, sizeof(routes) / sizeof(routes[0]), 0
};

int
main(int argc, char *argv[])
{

	return fcgi_main(&app, argc, argv);
}
