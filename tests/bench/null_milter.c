/*
 * null_milter - a libmilter filter that decides nothing, for make bench
 *
 *   null_milter SOCKET
 *
 * It asks Postfix for the same protocol steps as deptmilter (connect,
 * MAIL and RCPT; no reply to connect and MAIL) and lets every recipient
 * through unchanged, so that the benchmark can tell what the milter
 * protocol and libmilter cost from what deptmilter itself adds.
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <string.h>
#include <libmilter/mfapi.h>

/* null_negotiate - the steps deptmilter asks for, no actions */
static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			       unsigned long f2, unsigned long f3,
			       unsigned long *pf0, unsigned long *pf1,
			       unsigned long *pf2, unsigned long *pf3)
{
    (void) ctx, (void) f0, (void) f2, (void) f3;
    *pf0 = 0;
    *pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOHDRS | SMFIP_NOBODY | SMFIP_NOEOH
		 | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_CONN | SMFIP_NR_MAIL);
    *pf2 = *pf3 = 0;
    return SMFIS_CONTINUE;
}

/* null_connect - no reply */
static sfsistat null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
    (void) ctx, (void) host, (void) sa;
    return SMFIS_NOREPLY;
}

/* null_envfrom - no reply */
static sfsistat null_envfrom(SMFICTX *ctx, char **argv)
{
    (void) ctx, (void) argv;
    return SMFIS_NOREPLY;
}

/* null_envrcpt - every recipient through */
static sfsistat null_envrcpt(SMFICTX *ctx, char **argv)
{
    (void) ctx, (void) argv;
    return SMFIS_CONTINUE;
}

int main(int argc, char **argv)
{
    struct smfiDesc desc;

    if (argc != 2)
	return 2;
    memset(&desc, 0, sizeof(desc));
    desc.xxfi_name = "null_milter";
    desc.xxfi_version = SMFI_VERSION;
    desc.xxfi_connect = null_connect;
    desc.xxfi_envfrom = null_envfrom;
    desc.xxfi_envrcpt = null_envrcpt;
    desc.xxfi_negotiate = null_negotiate;
    if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS
	|| smfi_opensocket(1) != MI_SUCCESS)
	return 1;
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
