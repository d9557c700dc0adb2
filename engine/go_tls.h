#define	get_tls(r)	MOVQ TLS, r
#define	g(r)	0(r)(TLS*1)
